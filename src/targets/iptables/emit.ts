/**
 * The iptables target's line files, built in code (no template): rules.v4, rules.v6 and ipset.conf.
 * Every rule line arrives built by index.ts from validated ids, addresses and numbers, its comment
 * through escape.ts `ruleComment`; header and set labels through ../linux/escape.ts `commentText`.
 * `lines()` refuses any part that would add a line.
 */
import { lines, prefixed } from '../../render/lines.js';
import type { LinuxSet } from '../linux/files.js';

export interface Chains {
  fwd: string;
  ret: string;
  input: string;
  dnat: string;
  snat: string;
}

/** iptables-restore --noflush input for IPv4: the filter chains and the nat chains. */
export function rulesV4(v: { header: string[]; chains: Chains; fwd: string[]; ret: string[]; input: string[]; dnat: string[]; snat: string[] }): string {
  const { chains } = v;
  return lines(
    prefixed('# ', v.header),
    '#',
    '# Load with `iptables-restore --noflush < rules.v4` (apply.sh does it, then adds one jump per chain).',
    "# --noflush replaces only the chains declared here; the router's own rules stay as they are.",
    '*filter',
    `:${chains.fwd} - [0:0]`,
    `:${chains.ret} - [0:0]`,
    `:${chains.input} - [0:0]`,
    '# Chargers -> internet (jumped to from FORWARD for traffic entering the charger interface).',
    v.fwd,
    '# Internet -> chargers: replies only (jumped to from FORWARD for traffic leaving the charger interface).',
    v.ret,
    '# Chargers -> the router itself (jumped to from INPUT).',
    v.input,
    'COMMIT',
    '*nat',
    `:${chains.dnat} - [0:0]`,
    `:${chains.snat} - [0:0]`,
    v.dnat,
    v.snat,
    'COMMIT',
  );
}

/** ip6tables-restore --noflush input: the same chain names, holding only the default. */
export function rulesV6(v: { header: string[]; chains: Chains; fwd6: string[]; ret6: string[]; drop: boolean }): string {
  const { chains } = v;
  return lines(
    prefixed('# ', v.header),
    '#',
    '# Load with `ip6tables-restore --noflush < rules.v6` (apply.sh does it, then adds one jump per chain).',
    '# The cloud hosts need IPv4, so every allow rule is in rules.v4. IPv6 forwarded to or from the charger',
    `# interface gets the default here: ${v.drop ? 'dropped, except replies to connections the chargers opened' : 'allowed (policy.defaultDeny is off)'}.`,
    '*filter',
    `:${chains.fwd} - [0:0]`,
    `:${chains.ret} - [0:0]`,
    '# Chargers -> anywhere over IPv6 (jumped to from FORWARD for traffic entering the charger interface).',
    v.fwd6,
    '# Anywhere -> chargers over IPv6 (jumped to from FORWARD for traffic leaving the charger interface).',
    v.ret6,
    'COMMIT',
  );
}

/** `ipset -exist restore` input: one set per endpoint group, its literal addresses permanent. */
export function ipsetConf(v: { header: string[]; sets: LinuxSet[] }): string {
  return lines(
    prefixed('# ', v.header),
    '#',
    '# Load with `ipset -exist restore < ipset.conf` (apply.sh does it). dnsmasq fills the sets from its',
    '# answers to the chargers (ipset= lines); an entry lives a day and is refreshed by every upstream lookup.',
    v.sets.flatMap((s) => [
      ...prefixed('# ', s.labels),
      `create ${s.name} hash:ip family inet hashsize 64 maxelem 4096 timeout 86400`,
      ...s.addresses.map((a) => `add ${s.name} ${a} timeout 0`),
    ]),
  );
}
