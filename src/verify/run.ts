/**
 * The checks of `chargewall verify`, each tied to the profile's requirement line. Packets go only to
 * the spec's gateway, the profile's fallback resolvers (with the question the gateway answered), the
 * addresses the gateway returned for the profile's (and the spec's extra) hosts, and the blocked-probe
 * host as the gateway resolved it. Every probe has a timeout; probes of one stage run together.
 */
import type * as cpType from 'node:child_process';
import type * as fsType from 'node:fs';
import type { Plan, EndpointGroup } from '../plan/types.js';
import type { Profile } from '../profiles/types.js';
import type { Site } from '../spec/types.js';
import { lazyRequire } from '../util/lazy-require.js';
import { ipToInt, isIPv4 } from '../util/ipv4.js';
import { dnsCodeText, queryA, sntp, tcpConnect, tlsProbe, type CertName, type DnsResult, type SntpResult, type TlsResult } from './probes.js';
import { parseIwLink, readSystemFacts } from './system.js';
import type { Check, SystemFacts, VerifyOptions, VerifyReport } from './types.js';

/** Ports on which an extra endpoint is checked with TLS (other TCP ports get a connect check, `tcp:`). */
const TLS_PORTS = new Set([443, 8883, 8443, 5671, 6514]);
/** Clock offset of this machine beyond which the ntp check warns. */
const CLOCK_WARN_MS = 5_000;
/** Names of TLS-inspecting products, as they appear in the CA names they re-sign with. */
const INSPECTION_NAMES = /fortinet|fortigate|palo ?alto|zscaler|netskope|sophos|check ?point|barracuda|watchguard|sonicwall|cisco umbrella|bluecoat|blue coat|symantec web|forcepoint|untangle|kaspersky|avast|\bavg\b|eset|bitdefender|mcafee web|ironport|squid|mitmproxy|lightspeed|securly|smoothwall|opendns|trend ?micro|cato networks|iboss/i;

const inSubnet = (ip: string, plan: Plan) => (ipToInt(ip) & maskOf(plan.network.prefix)) >>> 0 === ipToInt(plan.network.networkAddress);
const maskOf = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const between = (ip: string, first: string, last: string) => ipToInt(ip) >= ipToInt(first) && ipToInt(ip) <= ipToInt(last);

function certName(n: CertName): string {
  const parts = [n.CN ? `CN=${n.CN}` : '', n.O && n.O !== n.CN ? `O=${n.O}` : ''].filter(Boolean);
  return parts.length ? `"${parts.join(', ')}"` : 'an unnamed issuer';
}

/** The trust store: --ca-file, else the system's bundle, else Node's bundled Mozilla store. */
function trustStore(opts: VerifyOptions): { ca: string[] | undefined; name: string } {
  if (opts.ca) return { ca: [opts.ca.pem], name: `the CA file ${opts.ca.file}` };
  const fs = lazyRequire('node:fs') as typeof fsType;
  for (const f of ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem']) {
    try {
      return { ca: [fs.readFileSync(f, 'utf8')], name: `the system trust store (${f})` };
    } catch {
      /* next */
    }
  }
  return { ca: undefined, name: "Node's bundled Mozilla trust store" };
}

export interface Endpoint {
  host: string;
  port: number;
  group: EndpointGroup;
  tls: boolean;
}

/** Runs every check for a validated site with its plan. Never throws for what the network does. */
export async function verifySite(site: Site, profile: Profile, plan: Plan, opts: VerifyOptions): Promise<VerifyReport> {
  const checks: Check[] = [];
  const gw = plan.network.gateway;
  const t = opts.timeoutMs;
  const sys: SystemFacts = opts.system ?? readSystemFacts();
  const dnsReq = profile.dns.requirement;

  // address: on the charger segment, with the spec's gateway as the way out.
  const address = addressCheck(site, plan, sys, profile);
  checks.push(address.check);
  const onSegment = address.check.status !== 'fail';
  const notOnSegment = 'not checked: this machine is not on the charger segment with the gateway as its default route (see address); results from another network would prove nothing';

  // resolver: what DHCP handed out.
  if (!sys.resolvers) {
    checks.push({ id: 'resolver', status: 'warn', requirement: dnsReq, detail: `cannot read this machine's DNS servers (no /etc/resolv.conf); check by hand that DHCP hands out ${gw}` });
  } else if (sys.resolvers.servers.includes(gw)) {
    checks.push({ id: 'resolver', status: 'pass', requirement: dnsReq, detail: `this machine asks ${sys.resolvers.servers.join(', ')} (${sys.resolvers.source}): the gateway ${gw} is among them, as DHCP should hand out` });
  } else {
    checks.push({
      id: 'resolver',
      status: 'warn',
      requirement: dnsReq,
      detail: `this machine asks ${sys.resolvers.servers.join(', ') || 'no DNS server'} (${sys.resolvers.source}), not the gateway ${gw}: if it got them by DHCP on this segment, the DHCP server hands out the wrong DNS server (chargers would resolve elsewhere and the allow-sets would stay empty); if they were set by hand, ignore this`,
    });
  }

  // Which names, on which ports.
  const tcpEndpoints: Endpoint[] = [];
  for (const g of plan.endpoints) {
    if (g.protocol !== 'tcp') continue;
    for (const host of g.hosts) for (const port of g.ports) tcpEndpoints.push({ host, port, group: g, tls: g.origin === 'profile' || TLS_PORTS.has(port) });
  }
  const names = [...new Set([...plan.endpoints.flatMap((g) => g.hosts), profile.ntp.host])].filter((h) => !isIPv4(h));
  const blocked = blockedTargets(plan, opts.blockedProbe);

  // Stage 1: every name through the gateway (and the blocked-probe host, which is not a check of its own).
  const lookups = new Map<string, DnsResult>();
  if (onSegment) {
    const toAsk = [...new Set([...names, ...(blocked ? blocked.map((b) => b.host).filter((h) => !isIPv4(h)) : [])])];
    const answers = await Promise.all(toAsk.map((n) => queryA(gw, n, t)));
    toAsk.forEach((n, i) => lookups.set(n, answers[i]));
  }
  const addressesOf = (host: string): string[] | undefined => {
    if (isIPv4(host)) return [host];
    const r = lookups.get(host);
    return r?.kind === 'answer' && r.addresses.length ? r.addresses : undefined;
  };
  for (const n of names) {
    if (!onSegment) {
      checks.push({ id: `dns:${n}`, status: 'skip', requirement: dnsReq, detail: notOnSegment });
      continue;
    }
    const r = lookups.get(n)!;
    if (r.kind === 'answer' && r.addresses.length) checks.push({ id: `dns:${n}`, status: 'pass', requirement: dnsReq, detail: `the gateway ${gw} answered ${r.addresses.join(', ')}` });
    else
      checks.push({
        id: `dns:${n}`,
        status: 'fail',
        requirement: dnsReq,
        detail:
          r.kind === 'silent'
            ? `the gateway ${gw} did not answer on port 53 (${dnsCodeText[r.code] ?? r.code}): the router's resolver is not running, not listening on the charger segment, or its rule for DNS to the router is missing`
            : `the gateway ${gw} answered ${r.kind === 'answer' ? 'without an address' : dnsCodeText[r.code] ?? r.code}: the router's resolver has no working upstream (check its upstream servers and the WAN), or filters this name`,
      });
  }

  // Stage 2: everything that needs the addresses, together.
  const store = trustStore(opts);
  const fallbackName = names[0];
  const [fallbackChecks, ntpCheck, tlsChecks, blockedChecks] = await Promise.all([
    Promise.all(plan.dns.fallbackResolvers.map((a) => fallbackCheck(a, fallbackName, plan, onSegment ? lookups.get(fallbackName) : undefined, t, dnsReq, onSegment ? undefined : notOnSegment))),
    ntpCheckOf(plan, profile, onSegment ? addressesOf(profile.ntp.host) : undefined, t, onSegment ? undefined : notOnSegment),
    Promise.all(tcpEndpoints.map((e) => endpointCheck(e, onSegment ? addressesOf(e.host) : undefined, store, t, onSegment ? undefined : notOnSegment))),
    Promise.all((blocked ?? defaultBlockedIds(plan, opts.blockedProbe)).map((b) => blockedCheck(b, plan, onSegment ? addressesOf(b.host) : undefined, t, onSegment ? undefined : notOnSegment))),
  ]);
  checks.push(...fallbackChecks, ntpCheck, ...inspectionSummary(tlsChecks), ...blockedChecks);

  checks.push(await wifiCheck(site, plan, profile, opts));
  return { ok: !checks.some((c) => c.status === 'fail'), site: plan.site.id, checks };
}

function addressCheck(site: Site, plan: Plan, sys: SystemFacts, profile: Profile): { check: Check } {
  const gw = plan.network.gateway;
  const req = profile.dhcp?.requirement ?? 'a DHCP server with an address for every charger';
  const mine = sys.addresses.filter((a) => inSubnet(a.address, plan));
  const where = site.wifi ? `the charger SSID "${site.wifi.ssid}"${plan.network.vlan !== undefined ? ` or VLAN ${plan.network.vlan}` : ''}` : plan.network.vlan !== undefined ? `a port of VLAN ${plan.network.vlan}` : 'a port of the charger segment';
  if (!mine.length) {
    const others = sys.addresses.map((a) => `${a.address} on ${a.iface}`).join(', ') || 'none';
    return { check: { id: 'address', status: 'fail', requirement: req, detail: `no interface has an address in ${plan.network.subnet} (this machine has: ${others}): connect to ${where} and let DHCP give an address; no lease means the router's DHCP server is not serving the charger segment` } };
  }
  const a = mine[0];
  const lease = plan.dhcp.staticLeases.find((l) => l.ip === a.address);
  const inPool = between(a.address, plan.dhcp.first, plan.dhcp.last);
  const how = lease ? `the static lease of ${lease.name}` : inPool ? `in the pool ${plan.dhcp.first}-${plan.dhcp.last}` : `outside the pool ${plan.dhcp.first}-${plan.dhcp.last} and not a static lease`;
  const routes = sys.defaultRoutes;
  if (routes === undefined) {
    return { check: { id: 'address', status: 'warn', requirement: req, detail: `${a.address} on ${a.iface} (${how}); cannot read the default route on this system: check by hand that it goes to ${gw}` } };
  }
  const best = routes[0];
  if (!best) return { check: { id: 'address', status: 'fail', requirement: req, detail: `${a.address} on ${a.iface} (${how}), but no default route: DHCP on the charger segment must hand out the gateway ${gw} (option 3)` } };
  if (best.gateway !== gw) {
    return {
      check: {
        id: 'address',
        status: 'fail',
        requirement: req,
        detail: `${a.address} on ${a.iface} (${how}), but the default route goes to ${best.gateway} on ${best.iface}: ${best.iface === a.iface ? `DHCP hands out the wrong gateway (the spec's is ${gw})` : `disconnect the other network (${best.iface}) so this check goes out through ${gw} like the chargers`}`,
      },
    };
  }
  if (!lease && !inPool) return { check: { id: 'address', status: 'warn', requirement: req, detail: `${a.address} on ${a.iface} is ${how}: set by hand, or given by another DHCP server; the default route goes to ${gw}` } };
  return { check: { id: 'address', status: 'pass', requirement: req, detail: `${a.address} on ${a.iface} (${how}); default route via ${gw}` } };
}

async function fallbackCheck(address: string, name: string | undefined, plan: Plan, gatewayAnswer: DnsResult | undefined, t: number, req: string, skip?: string): Promise<Check> {
  const id = `dns-fallback:${address}`;
  if (skip) return { id, status: 'skip', requirement: req, detail: skip };
  if (!name) return { id, status: 'skip', requirement: req, detail: 'the profile has no host name to ask' };
  const r = await queryA(address, name, t);
  const answered = r.kind !== 'silent';
  const got = r.kind === 'answer' ? r.addresses.join(', ') : dnsCodeText[r.code] ?? r.code;
  switch (plan.dns.strategy) {
    case 'redirect': {
      if (!answered) return { id, status: 'fail', requirement: req, detail: `asked ${address} for ${name}: no answer (${got}); the policy redirects DNS to the router, so a charger falling back to ${address} must be answered by the router: the redirect of port 53 to ${plan.network.gateway} is missing` };
      const gwGot = gatewayAnswer?.kind === 'answer' ? gatewayAnswer.addresses.join(', ') : undefined;
      if (gwGot === undefined) return { id, status: 'warn', requirement: req, detail: `asked ${address} for ${name}: answered ${got}; the gateway gave no answer to compare with (see dns:${name})` };
      if (r.kind === 'answer' && got === gwGot) return { id, status: 'pass', requirement: req, detail: `asked ${address} for ${name}: answered ${got}, the gateway's answer (redirected to the router)` };
      return { id, status: 'fail', requirement: req, detail: `asked ${address} for ${name}: answered ${got}, but the gateway answers ${gwGot}: another resolver answered, so the redirect of port 53 to the router is missing and a charger using ${address} gets addresses the router's allow-sets never see` };
    }
    case 'router-only':
      return answered
        ? { id, status: 'fail', requirement: req, detail: `asked ${address} for ${name}: answered ${got}; the policy allows DNS only to the router, but DNS to ${address} is open: the router's drop for the charger segment is missing or comes after an allow` }
        : { id, status: 'pass', requirement: req, detail: `asked ${address} for ${name}: no answer (${got}), as the policy (router-only) says` };
    default:
      return answered
        ? { id, status: 'pass', requirement: req, detail: `asked ${address} for ${name}: answered ${got} (allow-fallback)` }
        : { id, status: 'fail', requirement: req, detail: `asked ${address} for ${name}: no answer (${got}); the policy allows the fallback resolvers, so DNS to ${address} must pass the router (allow rule missing, or the upstream blocks it)` };
  }
}

async function ntpCheckOf(plan: Plan, profile: Profile, resolved: string[] | undefined, t: number, skip?: string): Promise<Check> {
  const req = profile.ntp.requirement;
  if (skip) return { id: 'ntp', status: 'skip', requirement: req, detail: skip };
  const gw = plan.network.gateway;
  const routerAnswers = plan.ntp.strategy === 'redirect';
  if (!resolved && !routerAnswers) return { id: 'ntp', status: 'fail', requirement: req, detail: `${profile.ntp.host} did not resolve through the gateway (see dns:${profile.ntp.host}): the chargers cannot find a time server` };
  // With `redirect` the router answers NTP itself: a charger's query to the pool address is redirected to it.
  const targets = [...(routerAnswers ? [gw] : []), ...(resolved ?? [])];
  const results: [string, SntpResult][] = await Promise.all(targets.map(async (a) => [a, await sntp(a, t)] as [string, SntpResult]));
  const fmt = ([a, r]: [string, SntpResult]) => (r.ok ? `${a}: reply, stratum ${r.stratum}, offset ${r.offsetMs} ms, round trip ${r.rttMs} ms` : `${a}: ${r.error}`);
  const lines = results.map(fmt).join('; ');
  const ok = results.filter(([, r]) => r.ok);
  const how = routerAnswers ? `the router answers NTP (policy ntp: ${plan.ntp.requested})` : `${profile.ntp.host} as the gateway resolved it`;
  if (!ok.length) return { id: 'ntp', status: 'fail', requirement: req, detail: `${how}; ${lines}: UDP 123 is blocked on the way (the NTP allow-set or rule${routerAnswers ? ', or the router\'s NTP server' : ''}); chargers without time cannot authenticate to the cloud` };
  if (routerAnswers && !results[0][1].ok) return { id: 'ntp', status: 'fail', requirement: req, detail: `${how}, but the gateway does not answer: ${lines}` };
  if (ok.length < results.length) return { id: 'ntp', status: 'warn', requirement: req, detail: `${how}; ${lines}: only some answered, so chargers fail now and then (a pool server down, or the allow-set misses an address)` };
  const worst = Math.max(...ok.map(([, r]) => Math.abs((r as { offsetMs: number }).offsetMs)));
  if (worst > CLOCK_WARN_MS) return { id: 'ntp', status: 'warn', requirement: req, detail: `${how}; ${lines}: NTP works, but this machine's clock is ${Math.round(worst / 1000)} s off (its own clock, not the chargers')` };
  return { id: 'ntp', status: 'pass', requirement: req, detail: `${how}; ${lines}` };
}

interface TlsCheck extends Check {
  /** The issuer of a certificate that did not chain to the store (for the inspection summary). */
  untrustedIssuer?: string;
}

const UNTRUSTED = new Set(['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_SIGNATURE_FAILURE']);

/** One tls: (or tcp:) check; exported for the loopback tests. */
export async function endpointCheck(e: Endpoint, addresses: string[] | undefined, store: { ca: string[] | undefined; name: string }, t: number, skip?: string): Promise<TlsCheck> {
  const id = `${e.tls ? 'tls' : 'tcp'}:${e.host}:${e.port}`;
  const req = e.group.requirement;
  if (skip) return { id, status: 'skip', requirement: req, detail: skip };
  if (!addresses) return { id, status: 'skip', requirement: req, detail: `not checked: ${e.host} did not resolve through the gateway (see dns:${e.host})` };
  // A charger uses one of the addresses; try the first, and the second when the first cannot be reached.
  const tried: string[] = [];
  let result: TlsResult | undefined;
  let address = addresses[0];
  for (const a of addresses.slice(0, 2)) {
    address = a;
    if (e.tls) result = await tlsProbe(a, e.host, e.port, store.ca, t);
    else {
      const c = await tcpConnect(a, e.port, t);
      result = c.connected ? { stage: 'done', protocol: 'tcp', subject: {}, issuer: {}, topIssuer: {}, validTo: '' } : { stage: 'tcp', error: c.error };
    }
    if (result.stage !== 'tcp') break;
    tried.push(`${a}: ${result.error === 'timeout' ? `no answer in ${t} ms` : result.error === 'refused' ? 'refused' : result.error}`);
  }
  const r = result!;
  if (r.stage === 'tcp') {
    const dropped = tried.some((x) => x.includes('no answer'));
    return {
      id,
      status: 'fail',
      requirement: req,
      detail: `no TCP connection to port ${e.port} (${tried.join('; ')}): ${dropped ? `dropped on the way: the router's allow-set for ${e.host} is not filled (is the router's resolver filling it?) or its rule for port ${e.port} is missing, or an upstream firewall blocks port ${e.port}` : 'a firewall rejects it, or the service is down'}`,
    };
  }
  if (r.stage === 'handshake') {
    const old = /protocol|version/i.test(`${r.code ?? ''} ${r.error}`);
    return {
      id,
      status: 'fail',
      requirement: req,
      detail: old
        ? `${address}:${e.port} connected, but offers no TLS 1.2 or newer (${r.error}): the chargers need TLS 1.2; a proxy or middlebox on the path may be answering instead of the cloud`
        : `${address}:${e.port} connected, but the TLS handshake failed (${r.error}): a middlebox that cuts or intercepts TLS on the path, or a captive portal`,
    };
  }
  if (!e.tls) return { id, status: 'pass', requirement: req, detail: `TCP connect to ${address}:${e.port}` };
  const issuer = certName(r.issuer);
  const what = `${r.protocol} with ${address}; certificate ${certName(r.subject)} issued by ${issuer}`;
  // Node reports a name mismatch as the authorization error when the chain itself is fine.
  if (r.chainError === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    r.nameError ??= `the certificate's names do not include ${e.host}`;
    r.chainError = undefined;
  }
  if (r.chainError) {
    const untrusted = UNTRUSTED.has(r.chainError);
    const vendor = INSPECTION_NAMES.test(`${r.issuer.CN ?? ''} ${r.issuer.O ?? ''} ${r.topIssuer.CN ?? ''} ${r.topIssuer.O ?? ''}`);
    const hint = untrusted
      ? `: the issuer is not in ${store.name}. ${vendor ? 'Its name is that of a TLS-inspection product: ' : 'This looks like TLS inspection: '}a firewall or proxy on the path re-signs TLS with its own CA, and chargers that verify the server certificate cannot connect; exempt ${e.host} from TLS inspection (SSL/HTTPS inspection, deep packet inspection) on every firewall between the chargers and the internet`
      : r.chainError === 'CERT_HAS_EXPIRED'
        ? `: the certificate has expired (${r.validTo}); if the real service has a valid one, a middlebox is answering, or this machine's clock is wrong (see ntp)`
        : `: the chain is not valid against ${store.name}`;
    return { id, status: 'fail', requirement: req, detail: `${what}: ${r.chainError}${hint}`, untrustedIssuer: untrusted ? issuer : undefined };
  }
  if (r.nameError) return { id, status: 'fail', requirement: req, detail: `${what}: the certificate does not match ${e.host} (${r.nameError}): something other than the cloud service answers on this address (a proxy, a captive portal, or a wrong DNS answer)` };
  return { id, status: 'pass', requirement: req, detail: `${what}, valid until ${r.validTo}; chain valid against ${store.name}` };
}

/** When hosts of different vendors' domains all come back signed by one untrusted issuer, say so on each. */
function inspectionSummary(list: TlsCheck[]): Check[] {
  const byIssuer = new Map<string, TlsCheck[]>();
  for (const c of list) if (c.untrustedIssuer) byIssuer.set(c.untrustedIssuer, [...(byIssuer.get(c.untrustedIssuer) ?? []), c]);
  for (const [issuer, same] of byIssuer) {
    if (same.length < 2) continue;
    const hosts = same.map((c) => c.id.split(':')[1]);
    for (const c of same) c.detail += ` (the same issuer ${issuer} signs ${hosts.join(', ')}: one inspecting middlebox)`;
  }
  return list.map(({ untrustedIssuer: _u, ...c }) => c);
}

interface BlockedTarget {
  host: string;
  port: number;
  why: string;
}

/** A port none of the profile's TCP groups allows: 80 unless some group opens it. */
function closedPort(plan: Plan): number {
  const open = new Set(plan.endpoints.filter((g) => g.protocol === 'tcp').flatMap((g) => g.ports));
  return [80, 22, 8080, 8000, 8888].find((p) => !open.has(p)) ?? 9;
}

function defaultBlockedIds(plan: Plan, probe: string): BlockedTarget[] {
  const first = plan.endpoints.find((g) => g.protocol === 'tcp' && g.origin === 'profile');
  return [...(first ? [{ host: first.hosts[0], port: closedPort(plan), why: '' }] : []), { host: probe, port: 443, why: '' }];
}

/** The blocked probes, or undefined when the policy does not promise a default deny. */
function blockedTargets(plan: Plan, probe: string): BlockedTarget[] | undefined {
  if (plan.defaultAction !== 'drop') return undefined;
  return defaultBlockedIds(plan, probe).map((b, i) => ({ ...b, why: i === 0 && b.host !== probe ? `an allowed host on port ${b.port}, which the profile does not allow` : 'a host the profile does not allow' }));
}

async function blockedCheck(b: BlockedTarget, plan: Plan, addresses: string[] | undefined, t: number, skip?: string): Promise<Check> {
  const id = `blocked:${b.host}:${b.port}`;
  const req = 'policy.defaultDeny: drop all other traffic from the chargers';
  if (plan.defaultAction !== 'drop') return { id, status: 'skip', requirement: req, detail: 'policy.defaultDeny is false in the spec: other traffic from the chargers is allowed by design' };
  if (skip) return { id, status: 'skip', requirement: req, detail: skip };
  if (!addresses) return { id, status: 'skip', requirement: req, detail: `not checked: ${b.host} did not resolve through the gateway` };
  const a = addresses[0];
  const r = await tcpConnect(a, b.port, t);
  if (r.connected) return { id, status: 'fail', requirement: req, detail: `${b.why}: TCP to ${a}:${b.port} connected; the default deny is not in force: the router's drop for the charger segment is missing, or an allow rule of the router's own comes before it` };
  return { id, status: 'pass', requirement: req, detail: `${b.why}: TCP to ${a}:${b.port} ${r.error === 'timeout' ? `got no answer in ${t} ms (dropped)` : r.error === 'refused' ? 'was refused (a reject rule, or nothing listening)' : `failed (${r.error})`}` };
}

async function wifiCheck(site: Site, plan: Plan, profile: Profile, opts: VerifyOptions): Promise<Check> {
  const req = profile.wifi.requirement;
  if (!plan.wifi || !site.wifi) return { id: 'wifi', status: 'skip', requirement: req, detail: 'the spec has no wifi: the chargers use 4G, PLC or an existing WLAN' };
  if (!opts.wifi) return { id: 'wifi', status: 'skip', requirement: req, detail: `not checked: run with --wifi <interface> from a Linux machine connected to "${plan.wifi.ssid}" next to the weakest charger` };
  const cp = lazyRequire('node:child_process') as typeof cpType;
  const r = cp.spawnSync(opts.iwCommand ?? 'iw', ['dev', opts.wifi, 'link'], { encoding: 'utf8', timeout: opts.timeoutMs, killSignal: 'SIGKILL' });
  if (r.error || r.status !== 0) {
    const why = r.error ? ((r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'iw is not installed (apt install iw)' : String(r.error.message)) : `iw dev ${opts.wifi} link: ${(r.stderr || r.stdout).trim().split('\n')[0] || `exit ${r.status}`}`;
    return { id: 'wifi', status: 'fail', requirement: req, detail: `cannot read the Wi-Fi link: ${why} (is ${opts.wifi} a wireless interface?)` };
  }
  const link = parseIwLink(r.stdout);
  if (!link.connected) return { id: 'wifi', status: 'fail', requirement: req, detail: `${opts.wifi} is not connected: connect it to "${plan.wifi.ssid}"` };
  const problems: string[] = [];
  if (link.ssid !== plan.wifi.ssid) problems.push(`connected to "${link.ssid ?? '?'}", not the spec's SSID "${plan.wifi.ssid}"`);
  if (link.channel !== plan.wifi.channel) problems.push(link.channel === undefined ? `on ${link.freqMHz ?? '?'} MHz, not 2.4 GHz: the chargers only work on 2.4 GHz channel ${profile.wifi.channels.min}-${profile.wifi.channels.max}` : `on channel ${link.channel}, not the spec's fixed channel ${plan.wifi.channel}: set the access point's 2.4 GHz channel to ${plan.wifi.channel} (not auto)`);
  if (link.signalDbm === undefined) problems.push('no signal reading');
  else if (link.signalDbm < plan.wifi.minSignalDbm) problems.push(`signal ${link.signalDbm} dBm, weaker than ${plan.wifi.minSignalDbm} dBm: move the access point or add one nearer the chargers`);
  const seen = `${opts.wifi}: "${link.ssid ?? '?'}" (${link.bssid}), channel ${link.channel ?? '?'} (${link.freqMHz ?? '?'} MHz), signal ${link.signalDbm ?? '?'} dBm`;
  return problems.length ? { id: 'wifi', status: 'fail', requirement: req, detail: `${seen}: ${problems.join('; ')}` } : { id: 'wifi', status: 'pass', requirement: req, detail: `${seen} (at least ${plan.wifi.minSignalDbm} dBm here; measure next to the weakest charger)` };
}
