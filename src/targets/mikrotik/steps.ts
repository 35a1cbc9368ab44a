/**
 * STEPS.md for MikroTik, built in code: the installer's procedure around chargewall.rsc (backup,
 * preflight refusals, Safe Mode import, Wi-Fi, checks, undo). Free text (site name, SSID, restore
 * advice) arrives through escape.ts `mdText`; names, commands and numbers are chargewall's own and
 * validated. Each section is a list of lines and `lines()` joins them, refusing any value that would
 * add a line.
 */
import { lines } from '../../render/lines.js';

/** What the Wi-Fi part of STEPS.md needs (built by index.ts wifiPlanFor). */
export interface WifiSteps {
  /** The Wi-Fi package, which is also its menu: /interface wireless, wifiwave2 or wifi. */
  dialect: 'wireless' | 'wifiwave2' | 'wifi';
  /** The charger SSID is a virtual AP on the radio (else it takes the radio over). */
  virtual: boolean;
  radio: string;
  /** The interface that carries the charger SSID: the virtual AP, or the radio itself. */
  charger: string;
  ssid: string;
  channel: number;
  frequency: number;
  moveRadio: boolean;
  pskInFile: boolean;
  pskSource: string;
  setPskCmd: string;
  enableCmd: string;
  vlan?: number;
}

export interface MikrotikStepsView {
  siteId: string;
  siteName: string;
  v: 6 | 7;
  /** What else the version check refuses (older package versions), or ''. */
  versionNote: string;
  /** Lines of the script that change something (Safe Mode holds 100). */
  changeLines: number;
  tag: string;
  chain: string;
  list: string;
  segment: string;
  iface: string;
  dhcp: string;
  vlan?: number;
  wifi?: WifiSteps;
  /** RouterOS 6 answers NTP only with the ntp package: the preflight checks it. */
  v6ntp: boolean;
  /** RouterOS 7 fills the address lists from the chargers' own lookups too (FWD entries). */
  fwd: boolean;
  undo: string[];
  restore: { what: string; cmd?: string }[];
}

export function mikrotikSteps(v: MikrotikStepsView): string {
  return lines(
    `# MikroTik steps: ${v.siteName} (\`${v.siteId}\`)`,
    '',
    `For RouterOS ${v.v}. The file to import is \`chargewall.rsc\` next to this one.`,
    '',
    beforeYouStart(v),
    '',
    preflight(v),
    '',
    apply(v),
    v.wifi && ['', ...wifiSection(v.wifi, v.iface)],
    '',
    verify(v),
    '',
    undo(v),
  );
}

function beforeYouStart(v: MikrotikStepsView): string[] {
  const ownBridge = '   interface list `LAN`, no address or DHCP server of its own. ';
  return [
    '## 1. Before you start',
    '',
    '1. Take a backup you can read: in a terminal `/export file=before-chargewall` (and download',
    '   `before-chargewall.rsc` from Files). The undo in step 6 needs the values in it.',
    `2. Check the interface \`${v.iface}\` is the charger bridge: not the office \`bridge\`, not in the`,
    // The VLAN sentence ends the item; without a VLAN the line keeps its trailing space (as it always has).
    ...(v.vlan ? [`${ownBridge}The script creates VLAN ${v.vlan}`, `   (\`${v.segment}\`) on it.`] : [ownBridge]),
    '3. Upload `chargewall.rsc` (Winbox/WebFig: Files, or `scp chargewall.rsc admin@<router>:`).',
  ];
}

/** The refusals of the script's first lines, one table row each, only those this site's script has. */
function preflight(v: MikrotikStepsView): string[] {
  const w = v.wifi;
  return [
    '## 2. What the preflight refuses (and what to do)',
    '',
    'The first lines of the script change nothing; each one stops the import with `chargewall: ...` when:',
    '',
    '| check | why | what to do |',
    '| --- | --- | --- |',
    `| RouterOS is not ${v.v}.x${v.versionNote} | the script uses menus of that version | set \`targets.mikrotik.routeros\`/\`wifi\`, render again, or upgrade |`,
    `| \`${v.iface}\` missing, a bridge port, in the \`LAN\` list, has a foreign address or DHCP server | an address or VLAN on a bridge port gets no traffic; the LAN would lose Winbox/SSH | give the chargers their own bridge |`,
    ...(v.vlan
      ? [`| \`${v.iface}\` filters VLANs and is not tagged in VLAN ${v.vlan} | the VLAN interface would get no frames | \`/interface bridge vlan add bridge=${v.iface} tagged=${v.iface} vlan-ids=${v.vlan}\` |`]
      : []),
    ...(w ? [`| \`${w.radio}\` missing or not 2.4 GHz | chargers use 2.4 GHz b/g/n | set \`targets.mikrotik.wifiInterface\` |`] : []),
    ...(w?.virtual
      ? [`| \`${w.radio}\` disabled, or \`${w.charger}\` exists and is not chargewall's | a virtual AP needs its master running | enable the radio, or \`radio: take-over\` |`]
      : []),
    ...(w && !w.virtual && !w.moveRadio
      ? [`| \`${w.radio}\` is a port of another bridge | the charger SSID would join that network (default configuration: the LAN) | \`radio: virtual-ap\`, or \`moveRadio: true\` |`]
      : []),
    ...(v.v6ntp ? ['| the `ntp` package is not enabled | RouterOS 6 answers NTP only with it | install it, reboot |'] : []),
    '',
    'It only warns (`chargewall: WARNING ...`) when srcnat has no masquerade rule or the router has no DNS',
    'servers: the chargers need both and the script sets up neither.',
    '',
    'After the import the router answers new DNS (and NTP) requests only from the chargers and the interface',
    'list `LAN` (without the default configuration nothing else keeps its resolver off the WAN). A guest',
    'network that uses the router as its resolver must be in `LAN`.',
  ];
}

function apply(v: MikrotikStepsView): string[] {
  const holds = '   everything since Safe Mode was turned on. It holds up to 100 changes (Console manual);';
  // Safe Mode holds 100 actions: a bigger import may leave it half-way, which this script's order makes safe.
  const safeMode =
    v.changeLines > 100
      ? [
          `${holds} this script`,
          `   has ${v.changeLines} lines that change something, so RouterOS may leave Safe Mode during the import (\`[Safe Mode released]\`)`,
          '   without undoing anything. That is safe here: the script does not touch the LAN, and its order is fail-closed at every',
          '   line; use the undo in step 6 to go back.',
        ]
      : [`${holds} this script has ${v.changeLines} lines that change something.`];
  return [
    '## 3. Apply',
    '',
    '1. Turn on Safe Mode (terminal: Ctrl+X; Winbox: Safe Mode). If the connection drops, RouterOS undoes',
    ...safeMode,
    v.v === 7 ? '2. RouterOS 7.16 or newer: check it first with `/import file-name=chargewall.rsc verbose=yes dry-run`.' : '2. (RouterOS 6 has no dry-run.)',
    '3. `/import file-name=chargewall.rsc verbose=yes`. It stops at the first error; whatever ran before is in',
    '   place, and the order makes that safe (the charger segment gets its address only after the filter is complete).',
    '   Do not paste the file into a terminal: a paste carries on after an error.',
    '4. Read the `chargewall:` lines it printed (notes, warnings, TODOs), then turn Safe Mode off (Ctrl+X) to keep the changes.',
  ];
}

function wifiSection(w: WifiSteps, iface: string): string[] {
  const gone = `The charger SSID ${w.ssid} **takes over \`${w.radio}\`**: an SSID it carried before is gone.`;
  const ssid = w.virtual
    ? [
        `The charger SSID ${w.ssid} is a **virtual AP \`${w.charger}\`** on \`${w.radio}\`: the office SSID on`,
        `\`${w.radio}\`, its security and its bridge stay. **The radio's channel becomes ${w.channel} (${w.frequency} MHz,`,
        '20 MHz wide) for both SSIDs.**',
      ]
    : w.moveRadio
      ? [`${gone} The radio is`, 'moved out of any other bridge (`moveRadio`).']
      : [gone];
  // Without the passphrase in the file the SSID is created disabled: the two commands set and enable it.
  const passphrase = w.pskInFile
    ? ['The passphrase is in the file (rendered with `--with-secrets`): delete the file from the router after the import.']
    : [`The passphrase is not in the file (${w.pskSource}), so \`${w.charger}\` stays **disabled**. Set it and enable it:`, '', '```', w.setPskCmd, w.enableCmd, '```'];
  return [
    '## 4. Wi-Fi',
    '',
    ...ssid,
    ...passphrase,
    ...(w.vlan ? [`VLAN ${w.vlan}: put \`${w.charger}\` into VLAN ${w.vlan} on \`${iface}\` by hand (the script prints a TODO).`] : []),
  ];
}

function verify(v: MikrotikStepsView): string[] {
  const w = v.wifi;
  return [
    '## 5. Verify on the router',
    '',
    '```',
    '/ip firewall address-list print where list~"cw-"',
    `/ip firewall filter print stats where chain="${v.chain}"`,
    `/ip firewall filter print stats where comment~"^${v.tag}"`,
    `/ip firewall nat print stats where comment~"^${v.tag}"`,
    `/ip dhcp-server lease print where server="${v.dhcp}"`,
    `/interface list member print where list="${v.list}"`,
    ...(w ? [`/interface ${w.dialect} print detail where name="${w.charger}"`, `/interface ${w.dialect} registration-table print`] : []),
    '```',
    '',
    '- The address lists hold the cloud hosts\' addresses (dynamic entries appear once the router resolves',
    `  the names${v.fwd ? ', and, on 7.17+, once a charger looks them up' : ''}).`,
    '- The chain\'s counters grow on the accept rules; the final drop counts what the chargers are not allowed.',
    `- Every charger has a lease${w ? ' and shows in the registration table at -75 dBm or better' : ''}.`,
    '- From a laptop in the charger segment: `https://api.zaptec.com` loads, anything else does not; the',
    '  router\'s Winbox/SSH do not answer.',
  ];
}

function undo(v: MikrotikStepsView): string[] {
  return [
    '## 6. Undo',
    '',
    `Paste these lines in a terminal, in this order (Wi-Fi and addressing go first, so nothing is routed without the rules; they remove only items whose comment starts with \`${v.tag}\` or whose name chargewall owns):`,
    '',
    '```',
    ...v.undo,
    '```',
    '',
    'Then restore from `before-chargewall.rsc` what the script changed but cannot know the earlier value of:',
    '',
    ...v.restore.map((r) => `- ${r.what}${r.cmd ? `: \`${r.cmd}\`` : ''}`),
  ];
}
