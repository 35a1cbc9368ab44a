/**
 * STEPS.md for UniFi, built in code: apply with the API file (section 1) or by hand in the UI
 * (section 2), then the AP radios the API cannot set, what must stay in place, and the checks. Free
 * text (site name, warnings, SSID, tags, lease names, tool names) arrives through escape.ts `mdText`;
 * object names, addresses and numbers are chargewall's own and validated. Each section is a list of
 * lines and `lines()` joins them, refusing any value that would add a line.
 */
import { lines } from '../../render/lines.js';

export interface UnifiStepsView {
  header: string;
  siteName: string;
  siteId: string;
  apiVersion: string;
  /** Before Network 10: no API file, UI steps only, host-name rules widened to ports. */
  portOnly: boolean;
  warnings: string[];
  network: {
    name: string;
    vlan: number;
    gatewayCidr: string;
    gateway: string;
    first: string;
    last: string;
    size: number;
    needed: number;
    leaseSeconds: number;
    leaseTime: string;
    isolated: boolean;
    cellularBackup: boolean;
  };
  zoneName: string;
  /** defaultDeny: the two block policies exist, and the order of each zone pair matters. */
  block: boolean;
  blocks: { name: string; to: string }[];
  policies: { n: number; name: string; action: string; to: string; what: string; protocol: string; ports: string }[];
  /** Each zone pair's policy names in evaluation order: the allows, then the block. */
  externalOrder: string[];
  gatewayOrder: string[];
  dnsRedirect: boolean;
  /** targets.unifi.apDeviceTags, empty when the SSID goes to every AP. */
  tags: string[];
  log: boolean;
  dns: { strategy: string; why: string };
  ntp: { strategy: string; why: string };
  wifi?: {
    ssid: string;
    channel: number;
    frequencyMHz: number;
    country: string;
    lockedTo6: boolean;
    minSignalDbm: number;
    enforceMinSignal: boolean;
    pskSource: string;
    pskEnv: string;
  };
  leases: { name: string; mac: string; ip: string }[];
  tools: { app: string; portal: string };
}

type Wifi = NonNullable<UnifiStepsView['wifi']>;

export function unifiSteps(v: UnifiStepsView): string {
  return lines(
    `<!-- ${v.header} -->`,
    `# UniFi steps: ${v.siteName} (\`${v.siteId}\`)`,
    '',
    intro(v),
    '',
    'Order matters, in the API file and in the UI: a new zone may reach the internet and the gateway',
    'until its blocks exist, so the zone comes first, then its blocks, then the network, the allows and',
    'their order, and the Wi-Fi last. Stopped anywhere, no charger SSID is on the air on a network that can',
    'reach more than the allow-list.',
    '',
    v.warnings.length > 0 && ['## Warnings', '', ...v.warnings.map((w) => `- ${w}`), ''],
    applyWithApi(v),
    '',
    `## 2. ${v.portOnly ? 'In' : 'Or by hand in'} the UI`,
    '',
    '### 2.1 Firewall zone',
    '',
    'Policy Engine > Zones (Network 9: Settings > Security > Firewall > Zones) > Create Zone: name',
    `\`${v.zoneName}\`, no networks yet.`,
    '',
    v.block && [...blockPolicies(v), ''],
    network(v),
    '',
    allowPolicies(v),
    '',
    v.dnsRedirect && [...dnsRedirect(v), ''],
    v.wifi && [...wifiBroadcast(v, v.wifi), ''],
    radios(v),
    '',
    mustStay(v),
    '',
    checks(v),
  );
}

/** A tag list as the UI shows it, comma-separated. */
const tagList = (tags: string[]) => tags.join(', ');
/** The last name of a zone pair's order: the block the allows must stand above. */
const lastOf = (names: string[]) => names[names.length - 1] ?? '';
const code = (names: string[]) => names.map((n) => `\`${n}\``).join(', ');

function intro(v: UnifiStepsView): string[] {
  const start = `For UniFi Network ${v.apiVersion} with the zone-based firewall.`;
  const either = ' Section 3 (radios) and section 4 (what must stay in';
  const rest = 'place) are needed either way: the API cannot express them.';
  if (v.portOnly) {
    return [
      `${start} **Network ${v.apiVersion} is older than 10: its`,
      'Integration API has no firewall zone or policy endpoints, so there is no `integration-api.json`; apply',
      'section 2 in the UI. The firewall cannot match host names there, so the policies to host names',
      `below match ports only, to any address (see Warnings).**${either}`,
      rest,
    ];
  }
  return [`${start} Two ways to apply, with the same result: the API requests in`, `\`integration-api.json\` (section 1), or the UI steps in section 2.${either}`, rest];
}

function applyWithApi(v: UnifiStepsView): string[] {
  if (v.portOnly) return ['## 1. Apply with the API', '', `Not for Network ${v.apiVersion}: use section 2.`];
  // The passphrase goes in through the environment variable the file's $env placeholder names.
  const psk = v.wifi ? `${v.wifi.pskEnv}='…' ` : '';
  const zones = '   not for (10.2 up to 10.x), looks up the site, the built-in External and Gateway zones';
  const keyCheck = ', checks that the key may write firewall policies, and refuses when an object of';
  return [
    '## 1. Apply with the API',
    '',
    '1. In UniFi Network: Settings > Control Plane > Integrations, create an API key (a Super Admin\'s or',
    '   a Network admin\'s with full management: it must write networks, zones, policies and Wi-Fi).',
    '2. Run, in the repository where chargewall is installed and the site was rendered (`out/` is render\'s',
    '   default output folder; from a chargewall clone: `node scripts/unifi-apply.mjs` instead of',
    '   `npx chargewall-unifi-apply`):',
    '',
    '   ```sh',
    `   UNIFI_API_KEY='…' ${psk}npx chargewall-unifi-apply out/${v.siteId}/unifi/integration-api.json --url https://<console-address> --site <site name>`,
    '   ```',
    '',
    '   Before the first write it reads `GET /v1/info` and refuses a UniFi Network version the file is',
    ...(v.tags.length > 0 ? [`${zones} and`, `   the device tags${keyCheck}`] : [`${zones}${keyCheck}`]),
    '   the file\'s name is ambiguous or someone else\'s. It then sends the requests in order and stops at',
    '   the first error, saying what state the site is in and what to do. Running it again after a spec',
    '   change updates only what differs, deletes this site\'s firewall policies the spec no longer has,',
    '   and keeps policies other people made in the same zone pairs in their place.',
    '3. Continue with section 3, then check with section 5.',
  ];
}

function blockPolicies(v: UnifiStepsView): string[] {
  return [
    '### 2.2 Block policies',
    '',
    'Policy Engine > Firewall > Create Policy, before the network joins the zone. Source: zone',
    `\`${v.zoneName}\` (any source). Action Block. IPv4 and IPv6, all protocols. Connection state: New and`,
    `Invalid only (established connections of allowed traffic survive a gateway restart).${v.log ? ' Logging on.' : ''}`,
    '',
    ...v.blocks.map((b) => `- \`${b.name}\`: destination zone ${b.to}, any destination.`),
  ];
}

function network(v: UnifiStepsView): string[] {
  const n = v.network;
  return [
    '### 2.3 Network',
    '',
    'Settings > Networks > New Virtual Network:',
    '',
    '| field | value |',
    '| --- | --- |',
    `| Name | \`${n.name}\` |`,
    '| Router | the gateway (gateway-managed network) |',
    `| Zone | \`${v.zoneName}\` |`,
    `| Host address / netmask | \`${n.gatewayCidr}\` |`,
    '| Auto-Scale Network | off |',
    `| VLAN ID | \`${n.vlan}\` |`,
    `| Isolate Network | ${n.isolated ? 'on' : 'off'} |`,
    '| Allow Internet Access | on |',
    `| Cellular backup | ${n.cellularBackup ? 'on (chargers stay online during a WAN outage)' : 'off (`targets.unifi.cellularBackup: false`)'} |`,
    '| DHCP Mode | DHCP Server |',
    `| DHCP Range | \`${n.first}\` – \`${n.last}\` (${n.size} addresses, ${n.needed} needed) |`,
    `| DNS Server | manual: \`${n.gateway}\` (the gateway itself, nothing else) |`,
    `| Lease Time | ${n.leaseSeconds} seconds (${n.leaseTime}) |`,
    '| Ping conflict detection | on |',
  ];
}

function allowPolicies(v: UnifiStepsView): string[] {
  const subdomains = 'too).';
  // With the blocks, the order within each zone pair decides what the chargers reach.
  const order = v.block
    ? [
        `${subdomains} Then order the policies (Policy Engine > Firewall, reorder) so that, before the`,
        'system-defined policies of each zone pair, these come in this order (policies someone else made in',
        'the pair stay where they are; one above a block applies to the chargers):',
        '',
        `- \`${v.zoneName}\` → External: ${code(v.externalOrder)}`,
        `- \`${v.zoneName}\` → Gateway: ${code(v.gatewayOrder)}`,
      ]
    : [subdomains];
  return [
    '### 2.4 Allow policies and their order',
    '',
    `Policy Engine > Firewall > Create Policy, once per row. Source: zone \`${v.zoneName}\`, network`,
    `\`${v.network.name}\`. IPv4. "Allow return traffic" on.`,
    '',
    '| # | name | action | destination zone | destination | protocol | ports |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...v.policies.map((p) => `| ${p.n} | \`${p.name}\` | ${p.action} | ${p.to} | ${p.what} | ${p.protocol} | ${p.ports} |`),
    '',
    'Host names go in as Domain destinations, one policy per host set: a port opens only to its own',
    'group\'s hosts. A domain also matches its subdomains (`api.example.com` opens `x.api.example.com`',
    ...order,
  ];
}

/** Section 2.5: the Integration API has no NAT, so the redirect the spec asks for is a UI step. */
function dnsRedirect(v: UnifiStepsView): string[] {
  return [
    '### 2.5 DNS redirect (UI only)',
    '',
    'The spec asks for a DNS redirect; the Integration API has no NAT, so the requests enforce',
    'router-only. To let a charger that falls back to another resolver be answered by the gateway:',
    'Policy Engine > NAT > Create (Network 10), type Destination NAT',
    `(DNAT), twice, once for TCP and once for UDP: source network \`${v.network.name}\`, destination port 53,`,
    `translated address \`${v.network.gateway}\`, port 53. Without it DNS stays router-only: a charger that`,
    'asks another resolver is blocked, nothing is opened.',
  ];
}

function wifiBroadcast(v: UnifiStepsView, w: Wifi): string[] {
  return [
    '### 2.6 Wi-Fi (last)',
    '',
    'Settings > WiFi > Create New, only after the policies are in place and ordered:',
    '',
    '| field | value |',
    '| --- | --- |',
    `| Name (SSID) | ${w.ssid} (exactly as \`wifi.ssid\` in the spec) |`,
    `| Network | \`${v.network.name}\` |`,
    `| Broadcasting APs | ${v.tags.length > 0 ? `Device tags: ${tagList(v.tags)}` : 'all APs (no `targets.unifi.apDeviceTags` in the spec)'} |`,
    '| WiFi Band | 2.4 GHz only (5 GHz and 6 GHz off) |',
    '| Security Protocol | WPA2 Personal (not WPA2/WPA3, not WPA3) |',
    `| Password | from ${w.pskSource} |`,
    '| PMF | off |',
    '| Band Steering, Fast Roaming, BSS Transition, MLO, Proxy ARP, U-APSD | off |',
    '| Hide WiFi Name, Client Device Isolation | off |',
    '| Multicast to unicast, Lock DTIM to 3 | off |',
    `| Lock 2.4 GHz channel to 6 | ${w.lockedTo6 ? "on (the plan's channel is 6; only the tagged APs broadcast this SSID)" : 'off (it locks every broadcasting AP; the channel is set per AP in section 3)'} |`,
  ];
}

/** Section 3: the per-AP radio settings, or, without Wi-Fi, when to move the switch ports. */
function radios(v: UnifiStepsView): string[] {
  const w = v.wifi;
  const title = ['## 3. AP radios (the API cannot set them)', ''];
  if (!w) {
    return [
      ...title,
      'Not needed: the spec has no Wi-Fi (the chargers use a cable, PLC or another link). Put the chargers\'',
      `switch ports on VLAN \`${v.network.vlan}\` only after the apply finished.`,
    ];
  }
  const lock = 'The API can lock one thing: channel 6, on every AP that broadcasts the SSID';
  const perAp = '. Everything else is per AP, for every access point that serves the chargers:';
  const minRssi = w.enforceMinSignal
    ? `on, ${w.minSignalDbm} dBm (asked for in the spec: weaker chargers are disconnected)`
    : `off (${w.minSignalDbm} dBm is an acceptance check in the ${v.tools.app}, not an AP setting: the AP would disconnect weaker chargers)`;
  const tags =
    v.tags.length > 0
      ? [
          `The SSID goes only to APs with the device tag${v.tags.length > 1 ? 's' : ''} ${tagList(v.tags)} (UniFi Devices > select the APs > Tag;`,
          'the apply script refuses a tag that does not exist).',
        ]
      : [
          'The SSID goes to every AP of the site. To keep it to the chargers\' APs, tag them (UniFi Devices >',
          'select the APs > Tag) and name the tag in `targets.unifi.apDeviceTags`.',
        ];
  return [
    ...title,
    ...(w.lockedTo6 ? [`${lock} (done by the file,`, `for the tagged APs)${perAp}`] : [`${lock}${perAp}`]),
    'UniFi Devices > the AP > Settings > Radios > 2.4 GHz:',
    '',
    `- Channel: **${w.channel}** (${w.frequencyMHz} MHz). Never Auto: auto channel can move to 12 or 13, where the chargers do not work.`,
    '- Channel Width: **20 MHz** (HT20). Never 40 MHz or Auto.',
    '- Transmit Power: Auto.',
    `- Minimum RSSI: ${minRssi}.`,
    '',
    ...tags,
    '',
    `Also: Settings > System > Country/Region must be the site's country (${w.country}), and the 2.4 GHz`,
    'minimum data rate stays at 1 Mbps (802.11b clients allowed). The API document has no usable field for',
    'either (its 2.4 GHz basic-rate field is typed integer with string values).',
  ];
}

function mustStay(v: UnifiStepsView): string[] {
  const matrix = '  zone matrix in Policy Engine > Zones)';
  const addBlocks = '. Add Block policies there if the site needs them.';
  return [
    '## 4. What must stay in place',
    '',
    '- **DNS through the gateway.** The domain policies only match addresses the gateway\'s own resolver',
    `  handed to the chargers. Keep the network's DHCP DNS server at \`${v.network.gateway}\`: never hand out`,
    '  8.8.8.8, 1.1.1.1, a Pi-hole or another resolver on this network, and keep the gateway\'s DNS service on.',
    `- **DNS** is ${v.dns.strategy}: ${v.dns.why}.${v.dnsRedirect ? ' With the UI step 2.5, DNS to any other resolver is answered by the gateway instead.' : ''}`,
    `- **NTP** is \`${v.ntp.strategy}\`: ${v.ntp.why}.`,
    '- **Other zones toward the chargers.** The policies here only limit what the chargers reach. What',
    `  Internal, VPN and Hotspot may send to \`${v.zoneName}\` is UniFi's default for those pairs (check the`,
    ...(v.network.isolated ? [`${matrix}; the network is isolated, which the`, `  console should enforce on top${addBlocks}`] : [`${matrix}${addBlocks}`]),
    ...(v.leases.length > 0
      ? [
          '- **Fixed IPs** (the API has no field for them). Client Devices > the charger > Settings > Fixed IP Address, once it has connected:',
          '',
          '| charger | MAC | fixed IP |',
          '| --- | --- | --- |',
          ...v.leases.map((l) => `| ${l.name} | \`${l.mac}\` | \`${l.ip}\` |`),
        ]
      : []),
  ];
}

function checks(v: UnifiStepsView): string[] {
  const w = v.wifi;
  // With the blocks, the allows must also stand above them in each zone pair.
  const order = v.block
    ? [
        '   there, with its destination, protocol and ports as in the table, and in each zone pair',
        `   the allows stand above \`${lastOf(v.externalOrder)}\` / \`${lastOf(v.gatewayOrder)}\`, which stand above the system-defined`,
      ]
    : [];
  const companions = `${v.block ? '   policies' : '   there'}. Policies named \`… (Return)\` are UniFi's own return-traffic companions.`;
  // The check from a shell only where there is an API file (Network 10 and newer).
  const fromShell = v.portOnly
    ? [companions]
    : [
        `${companions} The same`,
        '   from a shell: `GET /v1/sites/<site>/firewall/policies` and',
        '   `GET /v1/sites/<site>/firewall/policies/ordering?sourceFirewallZoneId=<zone>&destinationFirewallZoneId=<External id>`',
        '   (`unifi-apply.mjs` run again reports `unchanged` for every object when the console matches the file).',
      ];
  return [
    '## 5. Check after applying',
    '',
    `1. Policy Engine > Firewall, filter by source zone \`${v.zoneName}\`: every policy of section 2.4 is`,
    ...order,
    ...fromShell,
    `2. Every charger gets an address from \`${v.network.first}\`–\`${v.network.last}\` (Client Devices, network \`${v.network.name}\`).`,
    `3. Each charger shows online in the ${v.tools.portal}${w ? ` and its signal in the ${v.tools.app} is ${w.minSignalDbm} dBm or better` : ''}.`,
    ...(w ? [`4. The AP's 2.4 GHz radio still shows channel ${w.channel} at 20 MHz after provisioning${v.tags.length > 0 ? ', and only the tagged APs broadcast the SSID' : ''}.`] : []),
  ];
}
