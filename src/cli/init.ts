import { compiledSchema } from '../util/schemas.js';
import { intToIp, parseSubnet, usableRange } from '../util/ipv4.js';
import { closest } from '../util/suggest.js';
import { validateSpec } from '../spec/validate.js';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { dirname, join } from 'node:path';

/** What `chargewall init` asks for (or takes as flags): the site, then the facts of its router. */
export interface InitAnswers {
  /** Router type first: the other questions depend on it. */
  target: string;
  siteId: string;
  name: string;
  chargers: number;
  subnet: string;
  /** 802.1Q VLAN id of the charger segment; 0 = none. */
  vlan: number;
  wifi: boolean;
  channel: number;
  country: string;
  // Linux (iptables, nftables)
  lanInterface: string;
  wanInterface: string;
  wifiInterface: string;
  // MikroTik
  routeros: number;
  wifiPackage: string;
  dualBand: boolean;
  bridge: string;
  radio: string;
  // pfSense
  pfInterface: string;
  backup: string;
  // UniFi
  apiVersion: string;
  /** Device tags of the APs that broadcast the charger SSID, comma-separated ('' = every AP). */
  apDeviceTags: string;
}

export const initDefaults: InitAnswers = {
  target: 'iptables',
  siteId: 'my-site',
  name: 'My charger site',
  chargers: 6,
  subnet: '10.20.30.0/24',
  vlan: 0,
  wifi: true,
  channel: 6,
  country: 'SE',
  lanInterface: 'br-chargers',
  wanInterface: 'eth0',
  wifiInterface: 'wlan0',
  routeros: 7,
  wifiPackage: 'wifi',
  dualBand: true,
  bridge: 'bridge-chargers',
  radio: 'wifi2',
  pfInterface: 'opt1',
  backup: '',
  apiVersion: '10',
  apDeviceTags: '',
};

/** A problem with one answer: which flag/question, and what would be right. */
export class InitInputError extends Error {}

type Key = keyof InitAnswers;

/**
 * The 2.4 GHz radio's default name: the `wifi`/`wifiwave2` packages name radios wifi1, wifi2, ...
 * and on dual-band routers (hAP ax2/ax3, hAP ac2 with wifi-qcom-ac) wifi1 is the 5 GHz radio, so the
 * 2.4 GHz one is wifi2; the legacy `wireless` package calls it wlan1.
 */
export function defaultRadio(pkg: string, dualBand: boolean): string {
  return pkg === 'wireless' ? 'wlan1' : dualBand ? 'wifi2' : 'wifi1';
}

interface Question {
  key: Key;
  flag: string;
  /** For `init --help` and the question itself. */
  text: string;
  /** Asked only when this holds (depends on earlier answers). */
  when?: (a: InitAnswers) => boolean;
  /** The default shown, from earlier answers. */
  fallback?: (a: InitAnswers) => string;
}

const linux = (a: InitAnswers) => a.target === 'iptables' || a.target === 'nftables';
const mikrotik = (a: InitAnswers) => a.target === 'mikrotik';

/** In asking order. Flags use the same checks (checkAnswer) and the same conditions. */
export const initQuestions: Question[] = [
  { key: 'target', flag: 'target', text: 'Router type' },
  { key: 'siteId', flag: 'site-id', text: 'Site id (lower-case, a-z 0-9 -)' },
  { key: 'name', flag: 'name', text: 'Site name', fallback: (a) => (a.siteId === initDefaults.siteId ? initDefaults.name : a.siteId) },
  { key: 'chargers', flag: 'chargers', text: 'Number of chargers' },
  { key: 'subnet', flag: 'subnet', text: 'Charger subnet (CIDR)' },
  { key: 'vlan', flag: 'vlan', text: 'VLAN id of the charger segment (0 = none; UniFi needs one)', fallback: (a) => (a.target === 'unifi' && !a.vlan ? '30' : String(a.vlan)) },
  { key: 'wifi', flag: 'wifi', text: 'Do the chargers use Wi-Fi on this segment? (yes/no)' },
  { key: 'channel', flag: 'channel', text: 'Fixed 2.4 GHz channel (1-11)', when: (a) => a.wifi },
  { key: 'country', flag: 'country', text: 'Country code', when: (a) => a.wifi },
  { key: 'lanInterface', flag: 'lan-interface', text: 'Charger-side interface or bridge (at most 15 characters)', when: linux },
  { key: 'wanInterface', flag: 'wan-interface', text: 'Uplink interface (to the internet)', when: linux },
  { key: 'wifiInterface', flag: 'wifi-interface', text: 'Wireless interface hostapd drives', when: (a) => linux(a) && a.wifi },
  { key: 'routeros', flag: 'routeros', text: 'RouterOS major version (6 or 7; /system resource print shows it)', when: mikrotik },
  {
    key: 'wifiPackage',
    flag: 'wifi-package',
    text: 'Wi-Fi package (wifi = RouterOS 7.13+ with wifi-qcom/wifi-qcom-ac, wifiwave2 = 7.x before 7.13, wireless = the legacy package)',
    when: (a) => mikrotik(a) && a.wifi,
    fallback: (a) => (a.routeros === 6 ? 'wireless' : a.wifiPackage),
  },
  { key: 'dualBand', flag: 'dual-band', text: 'Is the router dual-band (2.4 and 5 GHz radios)? (yes/no)', when: (a) => mikrotik(a) && a.wifi && a.wifiPackage !== 'wireless', fallback: (a) => (a.dualBand ? 'yes' : 'no') },
  { key: 'bridge', flag: 'bridge', text: 'Bridge (or interface) of the charger segment', when: mikrotik },
  { key: 'radio', flag: 'radio', text: '2.4 GHz radio interface', when: (a) => mikrotik(a) && a.wifi, fallback: (a) => defaultRadio(a.wifiPackage, a.dualBand) },
  { key: 'pfInterface', flag: 'pfsense-interface', text: 'pfSense interface id of the charger segment (lan, opt1, opt2, ...: Interfaces > Assignments)', when: (a) => a.target === 'pfsense' },
  { key: 'backup', flag: 'backup', text: 'pfSense backup config.xml, relative to the spec (empty = none yet)', when: (a) => a.target === 'pfsense' },
  { key: 'apiVersion', flag: 'api-version', text: 'UniFi Network version (10 or newer matches host names)', when: (a) => a.target === 'unifi' },
  {
    key: 'apDeviceTags',
    flag: 'ap-device-tags',
    text: 'UniFi device tags of the APs that broadcast the charger SSID, comma-separated (UniFi Devices; empty = every AP)',
    when: (a) => a.target === 'unifi' && a.wifi,
  },
];

const IFACE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const ROS_IFACE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;

/** Checks one answer; returns the parsed value or throws InitInputError naming the flag. */
export function checkAnswer<K extends Key>(key: K, raw: string, knownTargets: string[]): InitAnswers[K] {
  const value = raw.trim();
  const q = initQuestions.find((x) => x.key === key);
  const fail = (msg: string): never => {
    throw new InitInputError(`--${q?.flag ?? key}: ${msg}`);
  };
  const yesNo = (): boolean => {
    if (/^(y|yes|true)$/i.test(value)) return true;
    if (/^(n|no|false)$/i.test(value)) return false;
    return fail('answer yes or no');
  };
  const v = <T>(x: T) => x as unknown as InitAnswers[K];
  switch (key) {
    case 'target': {
      const id = value.toLowerCase();
      if (!knownTargets.includes(id)) {
        const guess = closest(id, knownTargets);
        fail(`unknown router type '${value}'${guess ? `: did you mean '${guess}'?` : ''} Choose from ${knownTargets.join(', ')}`);
      }
      return v(id);
    }
    case 'siteId':
      if (!/^[a-z][a-z0-9-]{0,23}$/.test(value)) fail(`'${value}' is not a site id: a lower-case letter, then up to 23 of a-z, 0-9, '-' (e.g. brf-solgarden)`);
      return v(value);
    case 'name':
      if (!value || value.length > 200) fail('give 1 to 200 characters');
      return v(value);
    case 'chargers': {
      const n = Number(value);
      if (!/^[0-9]+$/.test(value) || n < 1 || n > 65000) fail(`'${value}' is not a charger count: a whole number 1 to 65000`);
      return v(n);
    }
    case 'subnet': {
      const parsed = parseSubnet(value);
      if (parsed.error) fail(`subnet '${value}' ${parsed.error}${parsed.aligned ? `: did you mean ${parsed.aligned}?` : ''}`);
      if (parsed.subnet!.prefix > 30) fail(`subnet ${value} has no room for a gateway and chargers: use /30 or larger (e.g. /24)`);
      return v(parsed.subnet!.cidr);
    }
    case 'vlan': {
      const n = Number(value || '0');
      if (!/^[0-9]*$/.test(value) || n > 4094) fail(`'${value}' is not a VLAN id: 1 to 4094, or 0 for none`);
      return v(n);
    }
    case 'channel': {
      const n = Number(value);
      if (!/^[0-9]+$/.test(value) || n < 1 || n > 11) fail(`'${value}' is not a usable channel: a fixed 2.4 GHz channel 1 to 11 (1, 6 or 11 recommended)`);
      return v(n);
    }
    case 'country':
      if (!/^[A-Za-z]{2}$/.test(value)) fail(`'${value}' is not a two-letter country code (ISO 3166-1, e.g. SE)`);
      return v(value.toUpperCase());
    case 'wifi':
    case 'dualBand':
      return v(yesNo());
    case 'lanInterface':
    case 'wanInterface':
    case 'wifiInterface':
      if (!IFACE.test(value)) fail(`'${value}' is not a Linux interface name: 1 to 15 of letters, digits, '_', '.', '-' (ip link shows them)`);
      return v(value);
    case 'routeros':
      if (!/^[67](\.\d+)*$/.test(value)) fail(`'${value}' is not a RouterOS version: 6 or 7 (7.15 counts as 7)`);
      return v(Number(value.split('.')[0]));
    case 'wifiPackage': {
      const p = value.toLowerCase();
      if (!['wifi', 'wifiwave2', 'wireless'].includes(p)) fail(`'${value}' is not a Wi-Fi package: wifi (RouterOS 7.13+), wifiwave2 (7.x before 7.13) or wireless (legacy); /system package print shows it`);
      return v(p);
    }
    case 'bridge':
    case 'radio':
      if (!ROS_IFACE.test(value)) fail(`'${value}' is not a RouterOS interface name: 1 to 32 of letters, digits, '_', '.', '-' (/interface print shows them)`);
      return v(value);
    case 'pfInterface':
      if (!/^(lan|opt[0-9]{1,3})$/.test(value.toLowerCase())) fail(`'${value}' is not a pfSense interface id: lan, opt1, opt2, ... (the id in Interfaces > Assignments, not the description)`);
      return v(value.toLowerCase());
    case 'backup':
      if (/[\u0000-\u001f]/.test(value)) fail('a path without control characters');
      return v(value);
    case 'apiVersion':
      if (!/^[0-9]+(\.[0-9]+){0,2}$/.test(value)) fail(`'${value}' is not a version: e.g. 10 or 9.0.114`);
      return v(value);
    case 'apDeviceTags': {
      // As the schema checks targets.unifi.apDeviceTags: 1 to 8 distinct tags.
      const tags = value.split(',').map((t) => t.trim()).filter(Boolean);
      for (const t of tags) if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,47}$/.test(t)) fail(`'${t}' is not a UniFi device tag: up to 48 of letters, digits, space, '.', '_', '-', starting with a letter or digit`);
      if (tags.length > 8) fail(`${tags.length} tags: at most 8`);
      if (new Set(tags).size < tags.length) fail('a tag is named twice');
      return v(tags.join(', '));
    }
  }
  return fail('unknown setting');
}

/** `key: value  # comment`, with the comments lined up. */
function line(indent: number, text: string, comment?: string): string {
  const left = ' '.repeat(indent) + text;
  return comment ? `${left.padEnd(30)} # ${comment}` : left;
}

/** A YAML scalar for free text: double-quoted JSON is valid YAML and cannot start a comment or a new key. */
const quoted = (s: string) => JSON.stringify(s);

const firstSentence = (s?: string) => (s ?? '').split(/(?<=\.)\s/)[0].replace(/\.$/, '');

/** The target's settings block from the answers, each line with the schema's description as its comment. */
function targetSettings(a: InitAnswers): string[] {
  const props: Record<string, any> = compiledSchema('site').schema().properties.targets.properties[a.target]?.properties ?? {};
  const set = (k: string, value: string | number, comment?: string) => line(4, `${k}: ${typeof value === 'string' ? quoted(value) : value}`, comment ?? firstSentence(props[k]?.description));
  switch (a.target) {
    case 'iptables':
    case 'nftables':
      return [
        set('lanInterface', a.lanInterface, 'the charger segment (interface or bridge)'),
        set('wanInterface', a.wanInterface, "the uplink; chargers' traffic is masqueraded behind it"),
        ...(a.wifi ? [set('wifiInterface', a.wifiInterface, 'the radio hostapd drives, bridged into lanInterface')] : []),
      ];
    case 'mikrotik':
      return [
        set('routeros', a.routeros),
        set('interface', a.bridge, 'bridge of the charger segment; with network.vlan a VLAN interface on it'),
        set('wifi', a.wifi ? a.wifiPackage : 'none', 'Wi-Fi package: wifi (7.13+), wifiwave2 (7.x < 7.13), wireless, none'),
        ...(a.wifi ? [set('wifiInterface', a.radio, a.wifiPackage === 'wireless' ? 'the 2.4 GHz radio' : `the 2.4 GHz radio (${a.dualBand ? 'wifi2 on dual-band routers; wifi1 is 5 GHz' : 'wifi1 on a single-band router'})`)] : []),
      ];
    case 'pfsense':
      return [
        set('interface', a.pfInterface, 'Interfaces > Assignments id of the charger segment'),
        a.backup
          ? set('backup', a.backup, 'config.xml download, relative to this spec; keep it out of public repositories')
          : line(4, '# backup: fw1-config.xml', 'config.xml download (relative to this spec): render merges into it'),
      ];
    case 'unifi':
      return [
        set('apiVersion', a.apiVersion),
        set('fqdnFallback', 'refuse'),
        // Without it the SSID goes to every AP and render warns (unifi-ssid-on-every-ap): show where it goes.
        ...(!a.wifi
          ? []
          : a.apDeviceTags
            ? [line(4, `apDeviceTags: [${a.apDeviceTags.split(', ').map(quoted).join(', ')}]`, 'device tags of the APs that broadcast the charger SSID (UniFi Devices)')]
            : [line(4, '# apDeviceTags: [chargers-ap]', 'device tags of the APs that broadcast the charger SSID (UniFi Devices); none: every AP')]),
      ];
  }
  const lines = Object.entries(props)
    .filter(([, p]) => p.default !== undefined)
    .map(([k, p]) => set(k, p.default));
  return lines.length ? lines : [line(4, '{}', 'no settings needed')];
}

/** A commented starter spec that validates as written. `schemaRef` is the yaml-language-server `$schema` path. */
export function starterSpec(a: InitAnswers, schemaRef: string): string {
  const subnet = parseSubnet(a.subnet).subnet!;
  const usable = usableRange(subnet)!;
  const gateway = intToIp(usable.first);
  const example = intToIp(Math.min(usable.first + 10, usable.last));
  const out = [
    `# yaml-language-server: $schema=${schemaRef}`,
    '# chargewall site spec. Check it:   chargewall validate <this file>',
    '#                      Render it:  chargewall render <this file>     (writes out/<site id>/...)',
    '#                      Explain it: chargewall explain <this file>    (the report for the change ticket)',
    'version: 1',
    'site:',
    line(2, `id: ${a.siteId}`, "lower-case letter, then a-z, 0-9, '-'; names the output folder and every generated object"),
    line(2, `name: ${quoted(a.name)}`, 'free text for comments and the report'),
    line(0, 'profile: zaptec-pro', 'the chargers\' network requirements (built in: zaptec-pro)'),
    'chargers:',
    line(2, `count: ${a.chargers}`, 'sizes the DHCP pool'),
    line(2, '# units:', 'optional inventory: mac + ip = static lease (outside the pool), rssi = survey reading in dBm'),
    line(2, `#   - { name: "P-01", mac: "98:3d:ae:00:00:01", ip: ${example}, rssi: -65 }`),
    'network:',
    line(2, `subnet: ${subnet.cidr}`, 'the charger segment'),
    line(2, `gateway: ${gateway}`, "the router's address on it (default: the first usable address)"),
    a.vlan ? line(2, `vlan: ${a.vlan}`, 'the segment is this 802.1Q VLAN') : line(2, '# vlan: 30', 'when the segment is an 802.1Q VLAN'),
    line(2, 'dhcp:'),
    line(4, 'pool: auto', 'the highest free run of addresses; or first-last'),
    line(4, 'headroom: 25', 'percent spare addresses over the charger count'),
    line(4, 'leaseTime: 24h'),
  ];
  if (a.wifi) {
    out.push(
      line(0, 'wifi:', 'omit when the chargers use 4G, PLC or an existing WLAN'),
      line(2, 'ssid: "Chargers"', '1 to 32 bytes'),
      line(2, 'passphrase: { env: CHARGER_WIFI_PSK }', 'read with --with-secrets; never a literal in git'),
      line(2, `channel: ${a.channel}`, 'fixed 1 to 11 (1, 6 or 11); never auto'),
      line(2, `country: ${a.country}`, 'ISO 3166-1 country code (regulatory domain)'),
      line(2, 'enforceMinSignal: false', 'the -75 dBm minimum is a survey check, not an AP setting'),
    );
  } else {
    out.push(
      line(0, '# wifi:', 'none: the chargers use 4G, PLC/Ethernet or an existing WLAN'),
      '#   ssid: "Chargers"',
      '#   passphrase: { env: CHARGER_WIFI_PSK }',
      '#   channel: 6',
      `#   country: ${a.country}`,
    );
  }
  out.push(
    'policy:',
    line(2, 'dns: redirect', 'redirect | allow-fallback | router-only (redirect makes host-name rules exact)'),
    line(2, 'ntp: auto', 'auto | redirect | fqdn | any'),
    line(2, 'defaultDeny: true', 'drop everything else from the chargers'),
    line(2, 'log: false', 'log dropped packets'),
    line(0, '# extraEndpoints:', 'more outbound endpoints, e.g. a native OCPP backend'),
    '#   - { name: ocpp, protocol: tcp, ports: [443], hosts: [csms.example.com] }',
    // UniFi always reports the DNS redirect as a UI step: the line to accept it once done, never accepted on the admin's behalf.
    a.target === 'unifi'
      ? line(0, '# acknowledge: [unifi-dns-redirect-ui-step]', 'once the DNAT of STEPS.md 2.5 is made in the UI (then --strict passes)')
      : line(0, '# acknowledge: [dns-bypass]', 'warning codes this site accepts (then --strict passes)'),
    line(0, 'targets:', 'per-target settings; the keys are the default targets of chargewall render'),
    line(2, `${a.target}:`),
    ...targetSettings(a),
  );
  const text = out.join('\n') + '\n';
  // Belt and braces: what init writes must validate as written.
  const result = validateSpec(text, 'starter.yaml');
  if (!result.ok) {
    throw new InitInputError(`these answers do not give a valid spec:\n${result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n')}`);
  }
  return text;
}

/**
 * What to do next besides validate and render, for the spec written to `specFile` (the per-router
 * extra of init): a pfSense backup named but not there yet is to be saved where the spec expects it.
 * `exists` and `word` are the caller's (a file test, a shell word).
 */
export function initReminder(a: InitAnswers, specFile: string, exists: (path: string) => boolean, word: (s: string) => string): string {
  const backupFile = a.target === 'pfsense' && a.backup ? join(dirname(specFile), a.backup) : undefined;
  return backupFile && !exists(backupFile) ? `save the pfSense backup (Diagnostics > Backup & Restore, unencrypted) as ${word(backupFile)}\n` : '';
}

/** The answers with the defaults that depend on earlier answers filled in (UniFi's VLAN, RouterOS 6's package, the radio name). */
export function settle(a: InitAnswers, given: ReadonlySet<Key> = new Set()): InitAnswers {
  const out = { ...a };
  for (const q of initQuestions) {
    if (given.has(q.key) || !q.fallback) continue;
    if (q.when && !q.when(out)) continue;
    (out as any)[q.key] = checkAnswer(q.key, q.fallback(out), [out.target]);
  }
  return out;
}

/**
 * The answers no flag gave (for this router type), as the flags that would change them: what a run
 * without a terminal wrote without asking. `word` quotes a value for the shell.
 */
export function defaultedFlags(a: InitAnswers, given: ReadonlySet<Key>, word: (s: string) => string): string[] {
  const out: string[] = [];
  let wifi = '';
  for (const q of initQuestions) {
    if (given.has(q.key) || (q.when && !q.when(a))) continue;
    const value = a[q.key];
    // Wi-Fi has no value flag (--no-wifi turns it off): named last, so the flags before it paste as they are.
    if (q.key === 'wifi') wifi = `(Wi-Fi ${value ? 'yes; --no-wifi: none' : 'no'})`;
    else out.push(`--${q.flag} ${typeof value === 'boolean' ? (value ? 'yes' : 'no') : word(String(value))}`);
  }
  return wifi ? [...out, wifi] : out;
}

export type Ask = (question: string, fallback: string) => Promise<string>;

/** Asks the router type first, then the site and the router's facts; a wrong answer is explained and asked again. */
export async function askAnswers(ask: Ask, knownTargets: string[], say: (s: string) => void): Promise<InitAnswers> {
  const a: InitAnswers = { ...initDefaults, target: knownTargets.includes(initDefaults.target) ? initDefaults.target : knownTargets[0] };
  for (const q of initQuestions) {
    if (q.when && !q.when(a)) continue;
    const text = q.key === 'target' ? `${q.text} (${knownTargets.join(', ')})` : q.text;
    for (;;) {
      const fallback = q.fallback ? q.fallback(a) : typeof a[q.key] === 'boolean' ? (a[q.key] ? 'yes' : 'no') : String(a[q.key]);
      const answer = (await ask(text, fallback)).trim() || fallback;
      try {
        (a as any)[q.key] = checkAnswer(q.key, answer, knownTargets);
        break;
      } catch (e) {
        if (!(e instanceof InitInputError)) throw e;
        say(`  ${e.message.replace(/^--[a-z-]+: /, '')}\n`);
      }
    }
  }
  return a;
}
