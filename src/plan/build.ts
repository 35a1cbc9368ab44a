import { sha256Hex } from '../util/sha256.js';
import type { Profile } from '../profiles/types.js';
import type { Site } from '../spec/types.js';
import { leaseSeconds } from '../spec/normalize.js';
import { intToIp, parseSubnet } from '../util/ipv4.js';
import { version } from '../version.js';
import { poolBounds, requiredPoolSize } from './pool.js';
import { hostLabel, uniqueLabels } from './names.js';
import type { EndpointGroup, ForwardRule, Plan, PlanWarning, Redirect, RouterRule, TargetCapabilities } from './types.js';

/** A plan choice a target cannot carry out: fail closed with the target and feature named. */
export class UnsupportedError extends Error {
  constructor(readonly target: string, readonly feature: string, detail: string) {
    super(`target ${target} cannot express ${feature}: ${detail}`);
    this.name = 'UnsupportedError';
  }
}

/** Site + profile → plan, resolving `auto` choices against what the target can do. Pure. */
export function buildPlan(site: Site, profile: Profile, caps: TargetCapabilities, targetId = 'this target'): Plan {
  const subnet = parseSubnet(site.network.subnet).subnet!;
  const gateway = site.network.gateway;
  const warnings: PlanWarning[] = [];

  // DNS: redirect is what makes host-name sets exact; a target without NAT falls back to router-only.
  let dnsStrategy = site.policy.dns;
  if (dnsStrategy === 'redirect' && !caps.redirect) {
    dnsStrategy = 'router-only';
    warnings.push({
      code: 'dns-redirect-unavailable',
      message: `${targetId} cannot redirect DNS: chargers may only use the router's resolver (DHCP hands it out); a charger falling back to ${profile.dns.fallbackResolvers.join('/')} is blocked`,
    });
  }
  const dnsWhy = {
    redirect: caps.resolverFilledSets
      ? `every DNS query from the chargers is answered by the router, including the fallback ${profile.dns.fallbackResolvers.join('/')}: the router sees every answer and fills the allow-sets exactly`
      : `every DNS query from the chargers is answered by the router, including the fallback ${profile.dns.fallbackResolvers.join('/')}: chargers and firewall resolve the cloud hosts through the same resolver`,
    'allow-fallback': `chargers may query the router and the fallback resolvers ${profile.dns.fallbackResolvers.join('/')} directly (the router does not see those answers)`,
    'router-only': `chargers may only query the router's resolver, which DHCP hands out`,
  }[dnsStrategy];

  // NTP: the host is fixed and rotates fast; follow the resolver where it fills sets, else answer NTP on the router.
  const ntp = chooseNtp(site, profile, caps, targetId);

  const endpoints: EndpointGroup[] = [
    ...profile.endpoints.map((e) => ({ ...e, label: e.name, hosts: [...e.hosts], ports: [...e.ports], origin: 'profile' as const })),
    ...(ntp.strategy === 'fqdn'
      ? [{ id: 'ntp', label: 'NTP', protocol: 'udp' as const, ports: [123], hosts: [profile.ntp.host], purpose: 'clock sync; a wrong clock means the charger cannot authenticate', requirement: profile.ntp.requirement, origin: 'ntp' as const }]
      : []),
    ...site.extraEndpoints.map((e) => ({ id: e.name, label: e.name, protocol: e.protocol, ports: e.ports, hosts: e.hosts, purpose: e.description, requirement: 'extraEndpoints in the site spec', origin: 'extra' as const })),
  ];

  const rules: ForwardRule[] = endpoints.map((e) => ({
    id: e.id,
    label: `${e.label} ${e.protocol.toUpperCase()} ${e.ports.join(',')}`,
    protocols: [e.protocol],
    ports: e.ports,
    to: { kind: 'group', group: e.id },
    why: e.purpose,
  }));
  if (ntp.strategy === 'any') {
    rules.push({ id: 'ntp', label: 'NTP UDP 123 to any', protocols: ['udp'], ports: [123], to: { kind: 'any' }, why: ntp.why });
  }
  if (dnsStrategy === 'allow-fallback') {
    rules.push({ id: 'dns-fallback', label: 'DNS to fallback resolvers', protocols: ['udp', 'tcp'], ports: [53], to: { kind: 'addresses', addresses: [...profile.dns.fallbackResolvers] }, why: profile.dns.requirement });
  }

  const routerRules: RouterRule[] = [
    { id: 'dhcp', label: 'DHCP to the router', protocols: ['udp'], ports: [67], why: 'chargers get their address, gateway and DNS from the router (client port 68)' },
    { id: 'dns', label: 'DNS to the router', protocols: ['udp', 'tcp'], ports: [53], why: profile.dns.requirement },
  ];
  if (ntp.strategy === 'redirect') routerRules.push({ id: 'ntp', label: 'NTP to the router', protocols: ['udp'], ports: [123], why: ntp.why });

  const redirects: Redirect[] = [];
  if (dnsStrategy === 'redirect') redirects.push({ id: 'dns', label: 'DNS to the router', protocols: ['udp', 'tcp'], port: 53, why: dnsWhy });
  if (ntp.strategy === 'redirect') redirects.push({ id: 'ntp', label: 'NTP to the router', protocols: ['udp'], port: 123, why: ntp.why });

  const { pool, leases } = siteFacts(site);
  const routerServesNtp = ntp.strategy === 'redirect';

  return {
    generator: { name: 'chargewall', version },
    specHash: hashSite(site),
    site: { ...site.site },
    profile: { id: profile.id, name: profile.name, vendor: profile.vendor, source: profile.source, traffic: { ...profile.traffic } },
    chargerCount: site.chargers.count,
    network: {
      subnet: subnet.cidr,
      networkAddress: intToIp(subnet.network),
      prefix: subnet.prefix,
      netmask: subnet.netmask,
      broadcast: intToIp(subnet.broadcast),
      gateway,
      ...(site.network.vlan !== undefined && { vlan: site.network.vlan }),
    },
    endpoints,
    dns: { strategy: dnsStrategy, fallbackResolvers: [...profile.dns.fallbackResolvers], why: dnsWhy },
    ntp,
    rules,
    routerRules,
    redirects,
    defaultAction: site.policy.defaultDeny ? 'drop' : 'accept',
    log: site.policy.log,
    dhcp: {
      first: intToIp(pool.first),
      last: intToIp(pool.last),
      size: pool.last - pool.first + 1,
      needed: requiredPoolSize(site),
      leaseTime: site.network.dhcp.leaseTime,
      leaseSeconds: leaseSeconds(site.network.dhcp.leaseTime),
      router: gateway,
      dnsServers: [gateway],
      ntpServers: routerServesNtp ? [gateway] : [],
      staticLeases: leases.map((l) => ({ ...l })),
    },
    ...(site.wifi && {
      wifi: {
        ssid: site.wifi.ssid,
        passphrase: site.wifi.passphrase,
        channel: site.wifi.channel,
        // Channel 14 is not 5 MHz above 13: it sits at 2484 MHz.
        frequencyMHz: site.wifi.channel === 14 ? 2484 : 2407 + 5 * site.wifi.channel,
        country: site.wifi.country,
        widthMHz: 20 as const,
        standards: [...profile.wifi.standards],
        security: 'wpa2-psk' as const,
        cipher: 'ccmp' as const,
        minSignalDbm: profile.wifi.minSignalDbm,
        enforceMinSignal: site.wifi.enforceMinSignal,
      },
    }),
    warnings,
  };
}

/** What a site's plans share whatever the target: worked out once per site, not once per target. */
const siteFactsCache = new WeakMap<Site, { pool: { first: number; last: number }; leases: Plan['dhcp']['staticLeases'] }>();

function siteFacts(site: Site) {
  let facts = siteFactsCache.get(site);
  if (!facts) {
    facts = { pool: poolBounds(site), leases: staticLeases(site) };
    siteFactsCache.set(site, facts);
  }
  return facts;
}

/** Units with a MAC and an address, each with a DHCP host name unique within the site. */
function staticLeases(site: Site): Plan['dhcp']['staticLeases'] {
  const units = site.chargers.units.filter((u) => u.mac && u.ip);
  const hostnames = uniqueLabels(units.map((u, i) => hostLabel(u.name, `charger-${i + 1}`)));
  return units.map((u, i) => ({ name: u.name, mac: u.mac!, ip: u.ip!, hostname: hostnames[i] }));
}

function chooseNtp(site: Site, profile: Profile, caps: TargetCapabilities, targetId: string): Plan['ntp'] {
  const requested = site.policy.ntp;
  const host = profile.ntp.host;
  let strategy: Plan['ntp']['strategy'];
  if (requested === 'auto') strategy = caps.resolverFilledSets ? 'fqdn' : caps.redirect && caps.ntpServer ? 'redirect' : 'any';
  else strategy = requested;
  if (strategy === 'redirect' && !(caps.redirect && caps.ntpServer)) {
    throw new UnsupportedError(targetId, 'policy.ntp: redirect', 'it cannot answer NTP on the router; use fqdn or any');
  }
  const why = {
    fqdn: `UDP 123 only to the addresses the router's resolver returned for ${host} (it rotates every 150 s, so only resolver-filled sets follow it)`,
    redirect: `the router answers NTP itself: ${host} rotates every 150 s, so a firewall that resolves it on its own timer would often hold other addresses than the charger got`,
    any: `UDP 123 to any address: the one NTP rule that pool rotation of ${host} cannot break (slightly wider than asked)`,
  }[strategy];
  return { strategy, requested, host, why };
}

/** A stable hash of the normalised site: key order does not matter, values do. */
const siteHashes = new WeakMap<Site, string>();

/** One hash per site, however many targets plan it. */
function hashSite(site: Site): string {
  let hash = siteHashes.get(site);
  if (!hash) {
    hash = computeSiteHash(site);
    siteHashes.set(site, hash);
  }
  return hash;
}

function computeSiteHash(site: Site): string {
  // A literal passphrase never feeds the hash: the header must not help anyone guess it.
  const hidden = site.wifi?.passphrase.kind === 'literal' ? { ...site, wifi: { ...site.wifi, passphrase: { kind: 'literal' } } } : site;
  return sha256Hex(stableStringify(hidden)).slice(0, 12);
}

function stableStringify(v: unknown): string {
  const parts: string[] = [];
  appendStable(v, parts);
  return parts.join('');
}

// One array of parts instead of a string per level: the hash is taken for every site of a batch.
// An undefined value reads 'undefined' under a key and nothing in an array, as the first version's
// template strings and join() did: the hash in every committed output stays the same.
function appendStable(v: unknown, parts: string[], inArray = false): void {
  if (Array.isArray(v)) {
    parts.push('[');
    for (let i = 0; i < v.length; i++) {
      if (i) parts.push(',');
      appendStable(v[i], parts, true);
    }
    parts.push(']');
  } else if (v && typeof v === 'object') {
    parts.push('{');
    const keys = Object.keys(v).sort();
    for (let i = 0; i < keys.length; i++) {
      if (i) parts.push(',');
      parts.push(JSON.stringify(keys[i]), ':');
      appendStable((v as Record<string, unknown>)[keys[i]], parts);
    }
    parts.push('}');
  } else parts.push(JSON.stringify(v) ?? (inArray ? '' : 'undefined'));
}
