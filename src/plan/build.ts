import { sha256Hex } from '../util/sha256.js';
import type { Profile } from '../profiles/types.js';
import type { Site } from '../spec/types.js';
import { leaseSeconds } from '../spec/normalize.js';
import { intToIp, isIPv4, parseSubnet } from '../util/ipv4.js';
import { UnsupportedError, type Refusal } from '../targets/types.js';
import { version } from '../version.js';
import { poolBounds, requiredPoolSize } from './pool.js';
import { hostLabel, uniqueLabels } from './names.js';
import type { EndpointGroup, ForwardRule, Plan, PlanWarning, Redirect, RouterRule, TargetCapabilities } from './types.js';

/** Where it always lived; it sits next to the target types now (src/targets/types.ts). */
export { UnsupportedError };

/**
 * Site + profile → plan, resolving `auto` choices against what the target can do. Pure. Throws
 * UnsupportedError for a choice the target cannot carry out; with `refusals`, collects every such
 * choice there instead (the pipeline's check phase: all refusals in one run) and returns a plan that
 * must not be rendered when any was collected.
 */
export function buildPlan(site: Site, profile: Profile, caps: TargetCapabilities, targetId = 'this target', refusals?: Refusal[]): Plan {
  const refuse = (r: Refusal): void => {
    if (!refusals) throw new UnsupportedError(targetId, r.feature, r.detail, r.path);
    refusals.push(r);
  };
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
  const ntp = chooseNtp(site, profile, caps, refuse);

  const endpoints: EndpointGroup[] = [
    ...profile.endpoints.map((e) => ({ ...e, label: e.name, hosts: [...e.hosts], ports: [...e.ports], origin: 'profile' as const })),
    ...(ntp.strategy === 'fqdn'
      ? [{ id: 'ntp', label: 'NTP', protocol: 'udp' as const, ports: [123], hosts: [profile.ntp.host], purpose: 'clock sync; a wrong clock means the charger cannot authenticate', requirement: profile.ntp.requirement, origin: 'ntp' as const }]
      : []),
    ...site.extraEndpoints.map((e) => ({ id: e.name, label: e.name, protocol: e.protocol, ports: e.ports, hosts: e.hosts, purpose: e.description, requirement: 'extraEndpoints in the site spec', origin: 'extra' as const })),
  ];

  const rules = forwardRules(endpoints, caps, refuse, warnings);
  if (ntp.strategy === 'any') {
    rules.push({ id: 'ntp', kind: 'forward', service: 'ntp', name: 'NTP', label: 'NTP UDP 123 to any', protocols: ['udp'], ports: [123], to: { kind: 'any' }, why: ntp.why, requirement: profile.ntp.requirement });
  }
  if (dnsStrategy === 'allow-fallback') {
    rules.push({ id: 'dns-fallback', kind: 'forward', service: 'dns', name: 'DNS to fallback resolvers', label: 'DNS to fallback resolvers', protocols: ['udp', 'tcp'], ports: [53], to: { kind: 'addresses', addresses: [...profile.dns.fallbackResolvers] }, why: profile.dns.requirement, requirement: profile.dns.requirement });
  }

  const dhcpRequirement = profile.dhcp?.requirement;
  const routerRules: RouterRule[] = [
    { id: 'dhcp', kind: 'router', service: 'dhcp', name: 'DHCP', label: 'DHCP to the router', protocols: ['udp'], ports: [67], why: 'chargers get their address, gateway and DNS from the router (client port 68)', ...(dhcpRequirement !== undefined && { requirement: dhcpRequirement }) },
    { id: 'dns', kind: 'router', service: 'dns', name: 'DNS', label: 'DNS to the router', protocols: ['udp', 'tcp'], ports: [53], why: profile.dns.requirement, requirement: profile.dns.requirement },
  ];
  if (ntp.strategy === 'redirect') routerRules.push({ id: 'ntp', kind: 'router', service: 'ntp', name: 'NTP', label: 'NTP to the router', protocols: ['udp'], ports: [123], why: ntp.why, requirement: profile.ntp.requirement });

  const redirects: Redirect[] = [];
  if (dnsStrategy === 'redirect') redirects.push({ id: 'dns', kind: 'redirect', service: 'dns', name: 'DNS', label: 'DNS to the router', protocols: ['udp', 'tcp'], port: 53, why: dnsWhy, requirement: profile.dns.requirement });
  if (ntp.strategy === 'redirect') redirects.push({ id: 'ntp', kind: 'redirect', service: 'ntp', name: 'NTP', label: 'NTP to the router', protocols: ['udp'], port: 123, why: ntp.why, requirement: profile.ntp.requirement });

  const { pool, leases } = siteFacts(site);
  const routerServesNtp = ntp.strategy === 'redirect';

  return {
    generator: { name: 'chargewall', version },
    specHash: hashSite(site),
    site: { ...site.site },
    profile: { id: profile.id, name: profile.name, vendor: profile.vendor, source: profile.source, traffic: { ...profile.traffic }, tools: vendorTools(profile) },
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

/**
 * One rule per endpoint group, to the group's set. A target that cannot match host names
 * (`caps.noHostNames`) gets every group with a host name refused in one error, or, where the spec
 * accepts port-only rules, each such rule opened to any address with a warning that says so: decided
 * here, so the site report, the steps and the target's files state the same destination.
 */
function forwardRules(endpoints: EndpointGroup[], caps: TargetCapabilities, refuse: (r: Refusal) => void, warnings: PlanWarning[]): ForwardRule[] {
  const limit = caps.noHostNames;
  const named = (e: EndpointGroup) => e.hosts.some((h) => !isIPv4(h));
  if (limit && !limit.portOnly) {
    const refused = endpoints.filter(named);
    if (refused.length) {
      const ports = [...new Set(refused.map((e) => `${e.protocol.toUpperCase()} ${e.ports.join(',')}`))].join(', ');
      refuse({
        feature: `host-name destinations (${refused.map((e) => e.id).join(', ')})`,
        detail: `${limit.why}; ${limit.fix}, or accept port-only rules with ${limit.setting.join('.')}: port-only (${ports} then open to every address)`,
        path: limit.cause,
      });
    }
  }
  return endpoints.map((e): ForwardRule => {
    const label = `${e.label} ${e.protocol.toUpperCase()} ${e.ports.join(',')}`;
    const widen = limit !== undefined && named(e);
    if (widen) {
      warnings.push({
        code: 'host-names-widened',
        message: `${label} is open to every address, not only ${e.hosts.join(', ')} (${limit.why}; ${limit.setting.join('.')}: port-only)`,
        path: [...limit.setting],
      });
    }
    return {
      id: e.id,
      kind: 'forward',
      service: e.origin === 'ntp' ? 'ntp' : 'endpoint',
      name: e.label,
      label,
      requirement: e.requirement,
      protocols: [e.protocol],
      ports: e.ports,
      to: widen ? { kind: 'any', widenedFrom: e.id } : { kind: 'group', group: e.id },
      why: e.purpose,
    };
  });
}

/** The vendor's app and portal as the profile names them, else after the vendor. */
function vendorTools(profile: Profile): Plan['profile']['tools'] {
  const t = profile.tools ?? {};
  return {
    app: t.app ?? `${profile.vendor} app`,
    ...(t.appSignalView !== undefined && { appSignalView: t.appSignalView }),
    portal: t.portal ?? `${profile.vendor} portal`,
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

function chooseNtp(site: Site, profile: Profile, caps: TargetCapabilities, refuse: (r: Refusal) => void): Plan['ntp'] {
  const requested = site.policy.ntp;
  const host = profile.ntp.host;
  let strategy: Plan['ntp']['strategy'];
  if (requested === 'auto') strategy = caps.resolverFilledSets ? 'fqdn' : caps.redirect && caps.ntpServer ? 'redirect' : 'any';
  else strategy = requested;
  if (strategy === 'redirect' && !(caps.redirect && caps.ntpServer)) {
    refuse({ feature: 'policy.ntp: redirect', detail: 'it cannot answer NTP on the router; use fqdn or any', path: ['policy', 'ntp'] });
    // Collected (check phase): plan on with NTP to any, so the target's own check still sees a whole plan.
    strategy = 'any';
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
