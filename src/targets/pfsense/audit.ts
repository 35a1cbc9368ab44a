/**
 * What in the admin's backup acts on charger traffic before chargewall's rules do.
 *
 * pfSense evaluates floating rules first, then interface-group rules, then the interface's own rules
 * (filter.inc: "The order must be: Floating rules, then interface group and then regular ones"), and
 * every rule except a non-quick floating one is `quick` (first match wins). Chargewall's rules sit at
 * the top of the interface's own rules, so a floating or group rule that matches charger traffic
 * decides before them: a pass widens the allow-list past the final block, a block can cut the
 * chargers off. Each one is reported, located at the spec setting that can accept it.
 */
import type { TargetDiagnostic } from '../types.js';
import { child, childrenNamed, textOf, type XNode } from './xml.js';

export interface AuditInput {
  doc: string;
  root: XNode;
  iface: string;
  /** The charger subnet, e.g. 10.40.0.0/24. */
  subnet: string;
  /** targets.pfsense.acceptRules: trackers or exact descriptions. */
  accept: readonly string[];
  own: (n: XNode) => boolean;
  report: (d: TargetDiagnostic) => void;
}

const ACCEPT_PATH = ['targets', 'pfsense', 'acceptRules'];

const ipInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
function cidr(text: string): [number, number] | undefined {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?:\/(\d{1,2}))?$/.exec(text);
  if (!m) return undefined;
  const bits = m[2] === undefined ? 32 : Number(m[2]);
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipInt(m[1]) / size) * size;
  return [start, start + size - 1];
}
const overlaps = (a: [number, number], b: [number, number]) => a[0] <= b[1] && b[0] <= a[1];

/** The interface groups (ifname) whose member list holds the interface. */
export function groupsOf(doc: string, root: XNode, iface: string): string[] {
  return childrenNamed(child(root, 'ifgroups'), 'ifgroupentry')
    .filter((g) => textOf(doc, child(g, 'members')).split(/\s+/).includes(iface))
    .map((g) => textOf(doc, child(g, 'ifname')))
    .filter(Boolean);
}

export function auditRulesBefore(a: AuditInput): void {
  const { doc, root, iface } = a;
  const t = (n: XNode | undefined, name: string) => textOf(doc, child(n, name));
  const groups = groupsOf(doc, root, iface);
  const net = cidr(a.subnet)!;
  const used = new Set<string>();

  /** Can the rule's source be a charger (traffic coming in on the interface)? */
  const sourceMatches = (src: XNode | undefined): boolean => {
    if (!src || child(src, 'not') !== undefined || child(src, 'any') !== undefined) return true;
    const network = t(src, 'network');
    if (network) return network === iface || groups.includes(network);
    const address = t(src, 'address');
    if (!address) return true;
    const range = cidr(address);
    // An alias or a host name: its content is the admin's, assume it can hold a charger.
    return range ? overlaps(range, net) : true;
  };

  for (const r of childrenNamed(child(root, 'filter'), 'rule')) {
    if (a.own(r) || child(r, 'disabled') !== undefined) continue;
    const floating = child(r, 'floating') !== undefined;
    const ifs = t(r, 'interface').split(',').filter(Boolean);
    let where: string;
    if (floating) {
      if (ifs.length && !ifs.includes('any') && !ifs.includes(iface) && !ifs.some((i) => groups.includes(i))) continue;
      where = `floating rule (interfaces ${ifs.length ? ifs.join(',') : 'any'})`;
    } else if (ifs.length === 1 && groups.includes(ifs[0])) {
      where = `rule of interface group ${ifs[0]} (members include ${iface})`;
    } else continue;

    const direction = floating ? t(r, 'direction') || 'any' : 'in';
    const quick = !floating || child(r, 'quick') !== undefined;
    const type = t(r, 'type') || 'pass';
    const tracker = t(r, 'tracker');
    const descr = t(r, 'descr');
    const name = `'${descr || '(no description)'}'${tracker ? ` (tracker ${tracker})` : ''}`;
    const inbound = direction !== 'out' && sourceMatches(child(r, 'source'));
    const order = `pfSense evaluates floating rules, then interface-group rules, then ${iface}'s own rules, so it acts before chargewall's rules`;

    if (type === 'pass') {
      if (!inbound || !quick) continue; // outbound passes and non-quick floating passes cannot widen what the chargers may reach
      const key = [tracker, descr].find((k) => k && a.accept.includes(k));
      if (key !== undefined) {
        used.add(key);
        continue;
      }
      a.report({
        severity: 'error',
        code: 'pfsense-rule-before-chargewall',
        path: ACCEPT_PATH,
        message: `the backup's ${where} ${name} passes traffic from the charger subnet ${a.subnet}: ${order}, and lets the chargers reach what it allows past the final block. Narrow its source (e.g. exclude ${iface.toUpperCase()}), move ${iface} out of the group or disable the rule; or, if that is intended, accept it with targets.pfsense.acceptRules: ["${tracker || descr}"]`,
      });
    } else if (type === 'match') {
      if (!inbound) continue;
      a.report({
        severity: 'warning',
        code: 'pfsense-match-before-chargewall',
        path: ACCEPT_PATH,
        message: `the backup's ${where} ${name} is a match rule that applies to charger traffic: it passes nothing, but its gateway, queue or tag applies before chargewall's rules. Check it does not route the chargers elsewhere`,
      });
    } else if (type === 'block' || type === 'reject') {
      if (!quick) continue; // a non-quick floating block is overridden by chargewall's quick rules
      a.report({
        severity: 'warning',
        code: 'pfsense-block-before-chargewall',
        path: ACCEPT_PATH,
        message: `the backup's ${where} ${name} ${type}s ${direction === 'out' ? `traffic leaving on ${iface}` : 'traffic it matches on the charger interface'}: ${order}. Check it cannot cut off the chargers' cloud hosts, DNS or NTP`,
      });
    }
  }
  for (const k of a.accept) {
    if (!used.has(k)) {
      a.report({
        severity: 'warning',
        code: 'pfsense-accept-unused',
        path: ACCEPT_PATH,
        message: `acceptRules entry '${k}' matches no floating or interface-group pass rule on ${iface} in the backup (the rule was changed or removed): delete the entry`,
      });
    }
  }
}
