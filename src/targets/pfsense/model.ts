/**
 * Plan → the pfSense objects chargewall owns: host aliases, filter rules, NAT port forwards, the DHCP
 * server of the charger interface. Pure translation: every choice was made in the plan.
 */
import { sha256Hex } from '../../util/sha256.js';
import { objectName } from '../../plan/names.js';
import type { Plan } from '../../plan/types.js';
import { refusalError, type Refusal } from '../types.js';
import { cdata, cleanText, detailEntry, plain, ruleDescr } from './escape.js';
import { el, flag, type El } from './xml.js';

/** pfSense alias names: [A-Za-z0-9_], at most 31 characters (is_validaliasname: strlen >= 32 is refused). */
export const ALIAS_MAX = 31;
/** Every generated alias name starts with this, so none is a protocol, service or pf keyword. */
export const ALIAS_PREFIX = 'CW';

export interface PfAlias {
  name: string;
  hosts: string[];
  descr: string;
  details: string[];
}
export interface PfRule {
  action: 'pass' | 'block';
  ipprotocol: 'inet' | 'inet46';
  protocol?: 'tcp' | 'udp' | 'tcp/udp';
  destination: { network: string } | { address: string } | { any: true };
  port?: number;
  log: boolean;
  descr: string;
  tracker: number;
  /** For STEPS.md and the round trip. */
  why: string;
}
export interface PfNat {
  protocol: 'tcp' | 'udp' | 'tcp/udp';
  port: number;
  target: string;
  descr: string;
  why: string;
}
export interface PfDhcp {
  from: string;
  to: string;
  gateway: string;
  dnsservers: string[];
  ntpservers: string[];
  leaseSeconds: number;
  staticmaps: { mac: string; ipaddr: string; hostname: string; descr: string }[];
}
export interface PfModel {
  iface: string;
  /** Start of every description chargewall writes for this site: how the merge recognises its own items. */
  tag: string;
  aliases: PfAlias[];
  rules: PfRule[];
  nat: PfNat[];
  dhcp: PfDhcp;
}

/** `cw:<site-id>`: site ids are [a-z][a-z0-9-]*, so no other site's tag starts with this one plus a space. */
export const siteTag = (siteId: string) => `cw:${siteId}`;
export const isOwnDescr = (descr: string, tag: string) => descr === tag || descr.startsWith(`${tag} `);

/** Alias name from validated ids only: CW_<SITE>_<GROUP>, upper-case, `-` → `_`, shortened with a hash to 31. */
export function aliasName(siteId: string, group: string): string {
  const up = (s: string) => s.toUpperCase().replace(/-/g, '_');
  return objectName(ALIAS_PREFIX, up(siteId), up(group), ALIAS_MAX, '_').replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * Deterministic trackers: a block of 100 per site in 200,000,000–299,999,999. That range is clear of
 * pfSense's reserved ones (10000–13999, 10000000+ negate rules, 1000000000+ generated rules) and of the
 * UI's own trackers (the creation time in seconds, ~1.7e9).
 */
export function trackerBase(siteId: string): number {
  const h = parseInt(sha256Hex(`chargewall:${siteId}`).slice(0, 8), 16);
  return 200_000_000 + (h % 1_000_000) * 100;
}

const protoOf = (ps: ('tcp' | 'udp')[]): 'tcp' | 'udp' | 'tcp/udp' => (ps.length > 1 ? 'tcp/udp' : ps[0]);

/**
 * The model the check built for a plan it refused nothing in, handed to render() of that plan: the
 * pipeline checks every target before any renders, so the model was built twice per site (~28 ms of a
 * 1 000-site batch). Weakly keyed by the plan, so nothing outlives it, and taken once. A render()
 * without that check (a library caller) finds nothing and builds the model itself, refusing as before.
 */
const checkedModels = new WeakMap<Plan, PfModel>();

/** The check's model for this plan and interface, if the check ran on it and refused nothing (once). */
export function takeCheckedModel(plan: Plan, iface: string): PfModel | undefined {
  const model = checkedModels.get(plan);
  checkedModels.delete(plan);
  return model?.iface === iface ? model : undefined;
}

/** The check: every refusal of the model for this plan; with none, render() of the plan reuses the model. */
export function checkModel(plan: Plan, iface: string): Refusal[] {
  const refusals: Refusal[] = [];
  const model = buildModel(plan, iface, refusals);
  if (!refusals.length) checkedModels.set(plan, model);
  return refusals;
}

/** `refusals`: collect what the model cannot hold (the target's check) instead of throwing at the first (render). */
export function buildModel(plan: Plan, iface: string, refusals?: Refusal[]): PfModel {
  const refuse = (r: Refusal): void => {
    if (!refusals) throw refusalError(target, r);
    refusals.push(r);
  };
  const id = plan.site.id;
  const tag = siteTag(id);
  const descr = (text: string) => ruleDescr(`${tag} ${text}`);
  const target = 'pfsense';

  const aliases: PfAlias[] = plan.endpoints.map((e) => ({
    name: aliasName(id, e.id),
    hosts: [...e.hosts],
    descr: `${tag} ${e.label} ${e.protocol.toUpperCase()} ${e.ports.join(',')}: ${e.purpose}`,
    details: e.hosts.map((h) => detailEntry(`${e.label}: ${h}`)),
  }));
  const groupAlias = new Map(plan.endpoints.map((e, i) => [e.id, aliases[i].name]));

  const base = trackerBase(id);
  // Each rule gets its tracker as it is added (base + position): no copy of every rule afterwards.
  const rules: PfRule[] = [];
  // Traffic to the firewall itself (DHCP is passed by pfSense's own rule when its DHCP server runs on the interface).
  for (const r of plan.routerRules) {
    if (r.service === 'dhcp') continue;
    for (const port of r.ports) {
      rules.push({ action: 'pass', ipprotocol: 'inet', protocol: protoOf(r.protocols), destination: { network: `${iface}ip` }, port, log: false, descr: descr(`${r.name} ${r.protocols.join('/').toUpperCase()} ${port} to the firewall`), tracker: base + rules.length, why: r.why });
    }
  }
  for (const r of plan.rules) {
    let destination: PfRule['destination'];
    if (r.to.kind === 'group') destination = { address: groupAlias.get(r.to.group)! };
    else if (r.to.kind === 'any') destination = { any: true };
    else {
      const name = aliasName(id, r.id);
      aliases.push({ name, hosts: [...r.to.addresses], descr: `${tag} ${r.label}`, details: r.to.addresses.map((a) => detailEntry(`${r.label}: ${a}`)) });
      destination = { address: name };
    }
    const protocols = r.protocols.join('/').toUpperCase();
    for (const port of r.ports) {
      rules.push({ action: 'pass', ipprotocol: 'inet', protocol: protoOf(r.protocols), destination, port, log: false, descr: descr(`${r.name} ${protocols} ${port}`), tracker: base + rules.length, why: r.why });
    }
  }
  if (plan.defaultAction === 'drop') {
    rules.push({ action: 'block', ipprotocol: 'inet46', destination: { any: true }, log: plan.log, descr: descr(`block everything else${plan.log ? ' (logged)' : ''}`), tracker: base + rules.length, why: 'default deny: the chargers need nothing else' });
  } else {
    rules.push({ action: 'pass', ipprotocol: 'inet', destination: { any: true }, log: false, descr: descr('pass everything else (policy.defaultDeny: false)'), tracker: base + rules.length, why: 'policy.defaultDeny is false: everything else from the chargers is allowed' });
  }
  if (rules.length > 100) refuse({ feature: `${rules.length} filter rules`, detail: 'chargewall reserves 100 trackers per site' });

  const names = new Set(aliases.map((a) => a.name));
  if (names.size !== aliases.length) refuse({ feature: 'endpoint group names', detail: 'two groups map to the same alias name' });

  const nat: PfNat[] = plan.redirects.map((r) => ({
    protocol: protoOf(r.protocols),
    port: r.port,
    target: plan.network.gateway,
    descr: descr(`redirect ${r.name} to the firewall`),
    why: r.why,
  }));

  const dhcp: PfDhcp = {
    from: plan.dhcp.first,
    to: plan.dhcp.last,
    gateway: plan.dhcp.router,
    dnsservers: [...plan.dhcp.dnsServers],
    ntpservers: [...plan.dhcp.ntpServers],
    leaseSeconds: plan.dhcp.leaseSeconds,
    staticmaps: plan.dhcp.staticLeases.map((l) => ({ mac: l.mac, ipaddr: l.ip, hostname: l.hostname, descr: `${tag} ${cleanText(l.name)}` })),
  };
  if (dhcp.dnsservers.length > 4 || dhcp.ntpservers.length > 4) refuse({ feature: 'more than 4 DHCP DNS/NTP servers', detail: 'pfSense hands out at most 4' });

  return { iface, tag, aliases, rules, nat, dhcp };
}

// ---- XML elements, written the way pfSense writes them ----

export function aliasEl(a: PfAlias): El {
  return el('alias', [
    el('name', plain(a.name)),
    el('type', 'host'),
    el('address', a.hosts.map(plain).join(' ')),
    el('descr', cdata(a.descr)),
    el('detail', cdata(a.details.join('||'))),
  ]);
}

export function ruleEl(r: PfRule, iface: string): El {
  const dest: El[] = 'network' in r.destination ? [el('network', plain(r.destination.network))] : 'address' in r.destination ? [el('address', plain(r.destination.address))] : [flag('any')];
  if (r.port !== undefined) dest.push(el('port', r.port));
  return el('rule', [
    el('type', r.action),
    el('interface', plain(iface)),
    el('ipprotocol', r.ipprotocol),
    ...(r.protocol ? [el('protocol', r.protocol)] : []),
    el('source', [el('network', plain(iface))]),
    el('destination', dest),
    ...(r.log ? [flag('log')] : []),
    el('descr', cdata(r.descr)),
    el('tracker', r.tracker),
  ]);
}

export function natEl(n: PfNat, iface: string): El {
  return el('rule', [
    el('source', [el('network', plain(iface))]),
    el('destination', [flag('not'), el('network', plain(`${iface}ip`)), el('port', n.port)]),
    el('ipprotocol', 'inet'),
    el('protocol', n.protocol),
    el('target', plain(n.target)),
    el('local-port', n.port),
    el('interface', plain(iface)),
    el('descr', cdata(n.descr)),
    // Not reflected: with pure NAT reflection on (System > Advanced) pfSense would copy the rdr onto every interface.
    el('natreflection', 'disable'),
    el('associated-rule-id', 'pass'),
  ]);
}

export function dhcpEl(d: PfDhcp, iface: string): El {
  return el(iface, [
    flag('enable'),
    el('range', [el('from', plain(d.from)), el('to', plain(d.to))]),
    el('gateway', plain(d.gateway)),
    ...d.dnsservers.map((s) => el('dnsserver', plain(s))),
    ...d.ntpservers.map((s) => el('ntpserver', plain(s))),
    el('defaultleasetime', d.leaseSeconds),
    // ISC caps leases at its max-lease-time (86400 unless set) while Kea honours the default: write both.
    ...(d.leaseSeconds > 86400 ? [el('maxleasetime', d.leaseSeconds)] : []),
    ...d.staticmaps.map((m) =>
      el('staticmap', [el('mac', plain(m.mac)), el('ipaddr', plain(m.ipaddr)), el('hostname', plain(m.hostname)), el('descr', cdata(m.descr))]),
    ),
  ]);
}

/** The four sections as elements, for chargewall.xml and for the merge. */
export function sections(m: PfModel): { aliases: El[]; filter: El[]; nat: El[]; dhcpd: El } {
  return {
    aliases: m.aliases.map(aliasEl),
    filter: m.rules.map((r) => ruleEl(r, m.iface)),
    nat: m.nat.map((n) => natEl(n, m.iface)),
    dhcpd: dhcpEl(m.dhcp, m.iface),
  };
}
