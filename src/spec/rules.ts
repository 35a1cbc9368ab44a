import type { Profile } from '../profiles/types.js';
import type { Site, SpecDocument } from './types.js';
import { addressProblem, intToIp, ipToInt, isIPv4, parseSubnet, subnetProblem } from '../util/ipv4.js';
import { RESERVED_GROUP_IDS } from '../profiles/types.js';
import { autoPool, requiredPoolSize, reservedAddresses } from '../plan/pool.js';
import { leaseSeconds } from './normalize.js';

type Path = (string | number)[];

export interface RuleContext {
  site: Site;
  profile: Profile;
  /** The document as written (to know what the user actually set). */
  raw: SpecDocument;
  error(code: string, path: Path, message: string): void;
  warn(code: string, path: Path, message: string): void;
}

export type Rule = (ctx: RuleContext) => void;

/** RFC 1123 host name, at least two labels, the last not a number (nor hex, which inet_aton reads as one). */
export const HOSTNAME = /^(?=.{1,253}$)(?!.*\.(?:[0-9]+|0x[0-9a-f]*)$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** The segment must be a real IPv4 network with room for hosts. */
const subnetIsNetwork: Rule = ({ raw, error }) => {
  const parsed = parseSubnet(raw.network.subnet);
  if (parsed.error) {
    error('subnet-invalid', ['network', 'subnet'], `subnet '${raw.network.subnet}' ${parsed.error}${parsed.aligned ? `: did you mean ${parsed.aligned}?` : ''}`);
  } else if (parsed.subnet!.prefix > 30) {
    error('subnet-too-small', ['network', 'subnet'], `subnet ${parsed.subnet!.cidr} has no room for a gateway and chargers: use /30 or larger (e.g. /24)`);
  } else {
    const problem = subnetProblem(parsed.subnet!);
    if (problem) error('subnet-special', ['network', 'subnet'], `subnet ${parsed.subnet!.cidr} ${problem}: a charger segment is a network of its own, such as 10.20.30.0/24`);
  }
};

const gatewayInSubnet: Rule = ({ site, raw, error }) => {
  const subnet = parseSubnet(site.network.subnet).subnet;
  if (!subnet || subnet.prefix > 30) return;
  const gw = ipToInt(site.network.gateway);
  const path = raw.network.gateway !== undefined ? ['network', 'gateway'] : ['network', 'subnet'];
  if (gw < subnet.network || gw > subnet.broadcast) {
    error('gateway-outside-subnet', path, `gateway ${site.network.gateway} is not inside ${subnet.cidr} (${intToIp(subnet.network + 1)}-${intToIp(subnet.broadcast - 1)})`);
  } else if (gw === subnet.network || gw === subnet.broadcast) {
    error('gateway-reserved-address', path, `gateway ${site.network.gateway} is the ${gw === subnet.network ? 'network' : 'broadcast'} address of ${subnet.cidr}: use a host address such as ${intToIp(subnet.network + 1)}`);
  }
};

/** Static leases: a MAC and an address inside the subnet, unique, not the gateway. */
const staticLeases: Rule = ({ site, error, warn }) => {
  const subnet = parseSubnet(site.network.subnet).subnet;
  const ips = new Map<string, number>();
  const macs = new Map<string, number>();
  const names = new Map<string, number>();
  site.chargers.units.forEach((u, i) => {
    const at: Path = ['chargers', 'units', i];
    const previousName = names.get(u.name);
    if (previousName !== undefined) warn('duplicate-unit-name', [...at, 'name'], `unit name '${u.name}' is also used by units[${previousName}]`);
    else names.set(u.name, i);
    if (u.mac) {
      const prev = macs.get(u.mac);
      if (prev !== undefined) error('duplicate-mac', [...at, 'mac'], `MAC ${u.mac} of unit '${u.name}' is also the MAC of units[${prev}] (MACs compare case-insensitively)`);
      else macs.set(u.mac, i);
    }
    if (!u.ip) return;
    if (!u.mac) error('lease-needs-mac', [...at, 'ip'], `unit '${u.name}' has an ip but no mac: a static lease is keyed by the charger's MAC address`);
    const prev = ips.get(u.ip);
    if (prev !== undefined) error('duplicate-ip', [...at, 'ip'], `address ${u.ip} of unit '${u.name}' is also reserved for units[${prev}]`);
    else ips.set(u.ip, i);
    if (!subnet) return;
    const a = ipToInt(u.ip);
    if (a <= subnet.network || a >= subnet.broadcast) {
      error('lease-outside-subnet', [...at, 'ip'], `address ${u.ip} of unit '${u.name}' is not a host address of ${subnet.cidr}`);
    } else if (a === ipToInt(site.network.gateway)) {
      error('lease-is-gateway', [...at, 'ip'], `address ${u.ip} of unit '${u.name}' is the gateway's address`);
    }
  });
  if (site.chargers.units.length > site.chargers.count) {
    warn('more-units-than-chargers', ['chargers', 'count'], `${site.chargers.units.length} units are listed but count is ${site.chargers.count}: the pool is sized from count`);
  }
};

/** The pool: inside the subnet, clear of reserved addresses, and big enough for every charger plus headroom. */
const poolFits: Rule = ({ site, error }) => {
  const subnet = parseSubnet(site.network.subnet).subnet;
  if (!subnet || subnet.prefix > 30) return;
  const need = requiredPoolSize(site);
  const reserved = reservedAddresses(site);
  const pool = site.network.dhcp.pool;
  const at: Path = ['network', 'dhcp', 'pool'];
  if (pool === 'auto') {
    if (!autoPool(subnet, reserved, need)) {
      error('pool-no-room', ['network', 'subnet'], `${subnet.cidr} has no run of ${need} free addresses for ${site.chargers.count} chargers + ${site.network.dhcp.headroom}% headroom: use a larger subnet or lower network.dhcp.headroom`);
    }
    return;
  }
  if (!isIPv4(pool.first) || !isIPv4(pool.last)) {
    error('pool-invalid', at, `pool must be 'auto' or 'first-last' with two IPv4 addresses, e.g. ${intToIp(subnet.network + 100)}-${intToIp(subnet.network + 149)}`);
    return;
  }
  const first = ipToInt(pool.first);
  const last = ipToInt(pool.last);
  if (first > last) {
    error('pool-reversed', at, `pool starts at ${pool.first}, after its end ${pool.last}: write ${pool.last}-${pool.first}`);
    return;
  }
  if (first <= subnet.network || last >= subnet.broadcast) {
    error('pool-outside-subnet', at, `pool ${pool.first}-${pool.last} must lie within the host addresses of ${subnet.cidr} (${intToIp(subnet.network + 1)}-${intToIp(subnet.broadcast - 1)})`);
    return;
  }
  const clash = [...reserved].filter((a) => a >= first && a <= last).sort((a, b) => a - b);
  if (clash.length) {
    error('pool-overlaps-reserved', at, `pool ${pool.first}-${pool.last} contains ${clash.map(intToIp).join(', ')} (gateway or static leases): move the pool or the reservations`);
  }
  const size = last - first + 1;
  if (size < need) {
    error('pool-too-small', at, `pool has ${size} addresses but ${site.chargers.count} chargers + ${site.network.dhcp.headroom}% headroom need ${need}`);
  }
};

const leaseTimeSane: Rule = ({ site, error }) => {
  if (leaseSeconds(site.network.dhcp.leaseTime) < 120) {
    error('lease-time-too-short', ['network', 'dhcp', 'leaseTime'], `lease time ${site.network.dhcp.leaseTime} is under 2 minutes, the shortest DHCP servers accept: use e.g. 12h or 24h`);
  }
};

/** 2.4 GHz channel inside the profile's range, with the vendor's reason. */
const wifiChannel: Rule = ({ site, profile, error }) => {
  if (!site.wifi) return;
  const { min, max, reason } = profile.wifi.channels;
  const ch = site.wifi.channel;
  if (ch >= min && ch <= max) return;
  const band = ch >= 32 ? `channel ${ch} is a 5 GHz channel` : `channel ${ch} is not allowed`;
  error('wifi-channel', ['wifi', 'channel'], `${band}: use a fixed channel ${min}-${max} (1, 6 or 11 recommended). ${reason}`);
};

/**
 * Characters no target can hold in a one-line label: C0/C1 controls (newline, tab, NUL, ESC...), the
 * Unicode line/paragraph separators, and lone surrogates (not encodable as UTF-8). pfSense trims and
 * one-lines descriptions, RouterOS and UniFi labels are single-line, 802.11 forbids none but every AP UI does.
 */
export const UNHOLDABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export const describeChar = (text: string): string => {
  const m = UNHOLDABLE.exec(text);
  if (!m) return '';
  const c = m[0].codePointAt(0)!;
  const names: Record<number, string> = { 0: 'NUL', 9: 'tab', 10: 'newline', 13: 'carriage return', 27: 'ESC', 0x2028: 'line separator', 0x2029: 'paragraph separator' };
  return `${names[c] ?? (c >= 0xd800 && c <= 0xdfff ? 'lone surrogate' : 'control character')} U+${c.toString(16).toUpperCase().padStart(4, '0')} at character ${m.index + 1}`;
};

/**
 * Free text (site name, unit names, endpoint descriptions) is refused, never silently changed, when it
 * holds a character a device cannot store in a label (a newline in a pfSense description, a RouterOS comment).
 */
const freeTextHoldable: Rule = ({ site, error }) => {
  const check = (text: string | undefined, path: Path, what: string) => {
    if (text !== undefined && UNHOLDABLE.test(text)) {
      error('text-control-character', path, `${what} contains a ${describeChar(text)}: routers store labels on one line without control characters; use printable text`);
    }
  };
  check(site.site.name, ['site', 'name'], 'site.name');
  site.chargers.units.forEach((u, i) => check(u.name, ['chargers', 'units', i, 'name'], `unit name`));
  site.extraEndpoints.forEach((e, i) => check(e.description, ['extraEndpoints', i, 'description'], `description of endpoint '${e.name}'`));
};

/** SSID: 1-32 bytes, no control characters (hostapd, RouterOS and UniFi cannot hold a newline). */
const wifiSsid: Rule = ({ site, error }) => {
  if (!site.wifi) return;
  const bytes = Buffer.byteLength(site.wifi.ssid, 'utf8');
  if (UNHOLDABLE.test(site.wifi.ssid)) {
    error('ssid-control-character', ['wifi', 'ssid'], `SSID contains a ${describeChar(site.wifi.ssid)}: routers cannot store it; use printable text`);
  }
  if (bytes > 32) error('ssid-too-long', ['wifi', 'ssid'], `SSID is ${bytes} bytes in UTF-8; the 802.11 limit is 32`);
};

const wifiPassphrase: Rule = ({ site, error, warn }) => {
  const p = site.wifi?.passphrase;
  if (!p || p.kind !== 'literal') return;
  // Never echo the value: error messages end up in CI logs.
  if (!/^[\x20-\x7e]{8,63}$/.test(p.value)) {
    error('passphrase-invalid', ['wifi', 'passphrase'], `a WPA2 passphrase must be 8 to 63 printable ASCII characters (this one has ${p.value.length} characters${/[^\x20-\x7e]/.test(p.value) ? ', some not printable ASCII' : ''})`);
  }
  warn('passphrase-literal', ['wifi', 'passphrase'], 'the passphrase is written in the spec; prefer { env: CHARGER_WIFI_PSK } so it never lands in git');
};

/** Survey readings weaker than the profile's minimum mean that charger will drop off: an error naming the unit. */
const surveySignal: Rule = ({ site, profile, error }) => {
  const min = profile.wifi.minSignalDbm;
  site.chargers.units.forEach((u, i) => {
    if (u.rssi !== undefined && u.rssi < min) {
      error('weak-signal', ['chargers', 'units', i, 'rssi'], `unit '${u.name}' measured ${u.rssi} dBm, weaker than the ${profile.name} minimum of ${min} dBm: add or move an access point before installing`);
    }
  });
};

/**
 * Extra endpoint groups: a name no profile group, chargewall rule (ntp, dns, dhcp, dns-fallback) or
 * other group uses; RFC 1123 host names whose last label is not a number (`192.11010305` and `0x7f.1`
 * resolve to addresses) or unicast IPv4 addresses; and each host in one group only, profile groups and
 * the NTP host included (dnsmasq fills one set per host, so the other group would never work).
 */
const extraEndpoints: Rule = ({ site, profile, error }) => {
  const taken = new Set(profile.endpoints.map((e) => e.id));
  for (const id of RESERVED_GROUP_IDS) taken.add(id);
  const owner = new Map<string, string>([[profile.ntp.host, `the profile's NTP host`]]);
  for (const e of profile.endpoints) for (const h of e.hosts) owner.set(h, `profile group '${e.id}'`);
  site.extraEndpoints.forEach((e, i) => {
    if (taken.has(e.name)) error('duplicate-endpoint', ['extraEndpoints', i, 'name'], `endpoint name '${e.name}' is already used (by the profile, another endpoint, or chargewall's own ${RESERVED_GROUP_IDS.join('/')} rules): pick another`);
    else if (taken.has(`${e.name}-ip`) || (e.name.endsWith('-ip') && taken.has(e.name.slice(0, -3)))) {
      error('duplicate-endpoint', ['extraEndpoints', i, 'name'], `endpoint name '${e.name}' clashes with a group's address policy (UniFi names it '<group>-ip'): pick a name that is not another group's name plus '-ip'`);
    }
    taken.add(e.name);
    e.hosts.forEach((h, j) => {
      const at: Path = ['extraEndpoints', i, 'hosts', j];
      if (isIPv4(h)) {
        const problem = addressProblem(h);
        if (problem) error('invalid-host', at, `address ${h} is ${problem}: give the public address of the endpoint, or its host name`);
      } else if (!HOSTNAME.test(h)) {
        error('invalid-host', at, `${JSON.stringify(h)} is not a host name (RFC 1123 labels of 1-63 letters, digits and inner hyphens, at most 253 characters, a last label that is not a number; like csms.example.com) or an IPv4 address`);
      }
      const prev = owner.get(h);
      if (prev === `extraEndpoints[${i}]`) error('duplicate-host', at, `host ${JSON.stringify(h)} is listed twice in this endpoint: list it once`);
      else if (prev !== undefined) {
        error('duplicate-host', at, `host ${JSON.stringify(h)} is also in ${prev}: dnsmasq fills one set per host, so one of the two groups would never work. List each host in one group with every port it needs (for a profile host, use a copy of the profile with the port added)`);
      } else owner.set(h, `extraEndpoints[${i}]`);
    });
  });
};

/** allow-fallback opens DNS to the profile's fallback resolvers: without any it is an empty rule. */
const fallbackResolvers: Rule = ({ site, profile, error }) => {
  if (site.policy.dns === 'allow-fallback' && profile.dns.fallbackResolvers.length === 0) {
    error('no-fallback-resolvers', ['policy', 'dns'], `dns: allow-fallback needs fallback resolvers, and profile '${profile.id}' lists none (dns.fallbackResolvers): use dns: redirect or router-only`);
  }
};

/** Host-name rules only hold when the chargers resolve through the router. */
const dnsBypass: Rule = ({ site, profile, warn }) => {
  if (site.policy.dns === 'allow-fallback') {
    warn('dns-bypass', ['policy', 'dns'], `allow-fallback lets chargers resolve through ${profile.dns.fallbackResolvers.join(' and ')}; the router then does not see those answers, and host-name allow-sets can miss addresses. 'redirect' is exact`);
  }
};

/**
 * The spec paths each rule reads ('*' matches any list index). When the schema pass fails, a rule
 * still runs on the parts that parsed, unless it reads a part that did not (its result would be
 * about a placeholder): so a typo'd key does not hide "gateway outside subnet" elsewhere. A rule
 * without an entry runs only on a schema-valid spec.
 */
export const ruleReads = new Map<Rule, string[]>([
  [subnetIsNetwork, ['network.subnet']],
  [gatewayInSubnet, ['network.subnet', 'network.gateway']],
  [staticLeases, ['network.subnet', 'network.gateway', 'chargers.count']],
  [poolFits, ['network.subnet', 'network.gateway', 'network.dhcp.pool', 'network.dhcp.headroom', 'chargers.count', 'chargers.units.*.ip', 'chargers.units.*.mac']],
  [leaseTimeSane, ['network.dhcp.leaseTime']],
  [wifiChannel, ['profile', 'wifi.channel']],
  [freeTextHoldable, []],
  [wifiSsid, ['wifi.ssid']],
  [wifiPassphrase, ['wifi.passphrase']],
  [surveySignal, ['profile']],
  [extraEndpoints, ['profile']],
  [fallbackResolvers, ['profile', 'policy.dns']],
  [dnsBypass, ['profile', 'policy.dns']],
]);

/** Run in order, then each target's own rules (src/targets/<id>/, see validate.ts); each rule reports everything it finds. */
export const rules: Rule[] = [
  subnetIsNetwork,
  gatewayInSubnet,
  staticLeases,
  poolFits,
  leaseTimeSane,
  wifiChannel,
  freeTextHoldable,
  wifiSsid,
  wifiPassphrase,
  surveySignal,
  extraEndpoints,
  fallbackResolvers,
  dnsBypass,
];
