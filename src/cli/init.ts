import { compiledSchema } from '../util/schemas.js';
import { intToIp, parseSubnet, usableRange } from '../util/ipv4.js';
import { validateSpec } from '../spec/validate.js';
import { formatDiagnostic } from '../spec/diagnostics.js';

/** The essentials `chargewall init` asks for (or takes as flags). */
export interface InitAnswers {
  siteId: string;
  name: string;
  chargers: number;
  subnet: string;
  wifi: boolean;
  channel: number;
  country: string;
  target: string;
}

export const initDefaults: InitAnswers = {
  siteId: 'my-site',
  name: 'My charger site',
  chargers: 6,
  subnet: '10.20.30.0/24',
  wifi: true,
  channel: 6,
  country: 'SE',
  target: 'iptables',
};

/** A problem with one answer: which flag/question, and what would be right. */
export class InitInputError extends Error {}

/** Checks one answer; returns the parsed value or throws InitInputError naming the flag. */
export function checkAnswer<K extends keyof InitAnswers>(key: K, raw: string, knownTargets: string[]): InitAnswers[K] {
  const value = raw.trim();
  const fail = (msg: string): never => {
    throw new InitInputError(`--${flagName(key)}: ${msg}`);
  };
  switch (key) {
    case 'siteId':
      if (!/^[a-z][a-z0-9-]{0,23}$/.test(value)) fail(`'${value}' is not a site id: a lower-case letter, then up to 23 of a-z, 0-9, '-' (e.g. brf-solgarden)`);
      return value as InitAnswers[K];
    case 'name':
      if (!value || value.length > 200) fail('give 1 to 200 characters');
      return value as InitAnswers[K];
    case 'chargers': {
      const n = Number(value);
      if (!/^[0-9]+$/.test(value) || n < 1 || n > 65000) fail(`'${value}' is not a charger count: a whole number 1 to 65000`);
      return n as InitAnswers[K];
    }
    case 'subnet': {
      const parsed = parseSubnet(value);
      if (parsed.error) fail(`subnet '${value}' ${parsed.error}${parsed.aligned ? `: did you mean ${parsed.aligned}?` : ''}`);
      if (parsed.subnet!.prefix > 30) fail(`subnet ${value} has no room for a gateway and chargers: use /30 or larger (e.g. /24)`);
      return parsed.subnet!.cidr as InitAnswers[K];
    }
    case 'channel': {
      const n = Number(value);
      if (!/^[0-9]+$/.test(value) || n < 1 || n > 11) fail(`'${value}' is not a usable channel: a fixed 2.4 GHz channel 1 to 11 (1, 6 or 11 recommended)`);
      return n as InitAnswers[K];
    }
    case 'country':
      if (!/^[A-Za-z]{2}$/.test(value)) fail(`'${value}' is not a two-letter country code (ISO 3166-1, e.g. SE)`);
      return value.toUpperCase() as InitAnswers[K];
    case 'target':
      if (!knownTargets.includes(value)) fail(`unknown target '${value}': choose from ${knownTargets.join(', ')}`);
      return value as InitAnswers[K];
    case 'wifi':
      if (/^(y|yes|true)$/i.test(value)) return true as InitAnswers[K];
      if (/^(n|no|false)$/i.test(value)) return false as InitAnswers[K];
      return fail(`answer yes or no`);
  }
  return fail('unknown setting');
}

function flagName(key: keyof InitAnswers): string {
  return { siteId: 'site-id', name: 'name', chargers: 'chargers', subnet: 'subnet', wifi: 'wifi', channel: 'channel', country: 'country', target: 'target' }[key];
}

/** `key: value  # comment`, with the comments lined up. */
function line(indent: number, text: string, comment?: string): string {
  const left = ' '.repeat(indent) + text;
  return comment ? `${left.padEnd(30)} # ${comment}` : left;
}

/** A YAML scalar for free text: double-quoted JSON is valid YAML and cannot start a comment or a new key. */
const quoted = (s: string) => JSON.stringify(s);

/** The target's settings with their defaults and descriptions, straight from the published schema. */
function targetSettings(target: string): string[] {
  const props: Record<string, any> = compiledSchema('site').schema().properties.targets.properties[target]?.properties ?? {};
  const lines = Object.entries(props)
    .filter(([, p]) => p.default !== undefined)
    .map(([k, p]) => line(4, `${k}: ${typeof p.default === 'string' ? quoted(p.default) : p.default}`, firstSentence(p.description)));
  return lines.length ? lines : [line(4, '{}', 'no settings needed')];
}

const firstSentence = (s?: string) => (s ?? '').split(/(?<=\.)\s/)[0].replace(/\.$/, '');

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
    line(2, '# vlan: 30', 'when the segment is an 802.1Q VLAN'),
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
    line(0, 'targets:', 'per-target settings; the keys are the default targets of chargewall render'),
    line(2, `${a.target}:`),
    ...targetSettings(a.target),
  );
  const text = out.join('\n') + '\n';
  // Belt and braces: what init writes must validate as written.
  const result = validateSpec(text, 'starter.yaml');
  if (!result.ok) {
    throw new InitInputError(`these answers do not give a valid spec:\n${result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic).join('\n')}`);
  }
  return text;
}

export type Ask = (question: string, fallback: string) => Promise<string>;

/** Asks the essentials one by one; a wrong answer is explained and asked again. */
export async function askAnswers(ask: Ask, knownTargets: string[], say: (s: string) => void): Promise<InitAnswers> {
  const a: InitAnswers = { ...initDefaults, target: knownTargets.includes(initDefaults.target) ? initDefaults.target : knownTargets[0] };
  const questions: [keyof InitAnswers, string][] = [
    ['siteId', 'Site id (lower-case, a-z 0-9 -)'],
    ['name', 'Site name'],
    ['chargers', 'Number of chargers'],
    ['subnet', 'Charger subnet (CIDR)'],
    ['wifi', 'Do the chargers use Wi-Fi from this router? (yes/no)'],
    ['channel', 'Fixed 2.4 GHz channel (1-11)'],
    ['country', 'Country code'],
    ['target', `Router target (${knownTargets.join(', ')})`],
  ];
  for (const [key, question] of questions) {
    if ((key === 'channel' || key === 'country') && !a.wifi) continue;
    for (;;) {
      const fallback = key === 'wifi' ? (a.wifi ? 'yes' : 'no') : String(a[key]);
      const answer = (await ask(question, fallback)).trim() || fallback;
      try {
        (a as any)[key] = checkAnswer(key, answer, knownTargets);
        break;
      } catch (e) {
        if (!(e instanceof InitInputError)) throw e;
        say(`  ${e.message.replace(/^--[a-z-]+: /, '')}\n`);
      }
    }
  }
  return a;
}
