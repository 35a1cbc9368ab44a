/**
 * chargewall.nft, built in code (no template). Rule lines arrive built by index.ts from validated ids,
 * addresses and numbers, comments through escape.ts `nftComment`, interface names through
 * `nftInterface`; header and set labels through ../linux/escape.ts `commentText`. `lines()` refuses
 * any part that would add a line.
 */
import { lines, prefixed } from '../../render/lines.js';
import type { LinuxSet } from '../linux/files.js';

export interface NftView {
  header: string[];
  table: string;
  /** The sets dnsmasq fills (groups with names). */
  sets: LinuxSet[];
  lanQuoted: string;
  wanQuoted: string;
  subnet: string;
  out: string[];
  in: string[];
  router: string[];
  dnat: string[];
  ntpRedirect: boolean;
  masqComment: string;
}

export function chargewallNft(v: NftView): string {
  const rules = (items: string[]) => prefixed('\t\t', items);
  return lines(
    '#!/usr/sbin/nft -f',
    prefixed('# ', v.header),
    '#',
    '# Load with `nft -f chargewall.nft` (apply.sh does it): one atomic transaction. Safe to load again:',
    '# the table is declared, flushed and declared in full, so its rules are replaced while the addresses',
    '# dnsmasq put in its sets stay (deleting the table would lock the chargers out until their next',
    `# lookup). Remove it with \`nft delete table inet ${v.table}\`.`,
    '#',
    "# Every other table stays as it is. A drop here is final; an accept here ends only this table's",
    '# chain: a drop policy or drop rule in another table on the same hook still drops the packet, so',
    `# such a ruleset must also let ${v.lanQuoted} through.`,
    `table inet ${v.table}`,
    `flush table inet ${v.table}`,
    `table inet ${v.table} {`,
    v.sets.flatMap((s) => [...prefixed('\t# ', s.labels), `\tset ${s.name} {`, '\t\ttype ipv4_addr', '\t\tflags timeout', '\t\ttimeout 1d', '\t}']),
    '',
    '\t# Chargers -> internet, and replies back to them: every packet in or out of the charger interface,',
    `\t# whatever its address (chargers-out drops a source outside ${v.subnet} first). IPv6 takes the same`,
    '\t# chains: the allow rules are IPv4 only (the cloud needs IPv4), so IPv6 gets the default.',
    '\tchain forward {',
    '\t\ttype filter hook forward priority filter - 10; policy accept;',
    `\t\tiifname ${v.lanQuoted} jump chargers-out`,
    `\t\toifname ${v.lanQuoted} jump chargers-in`,
    '\t}',
    '\tchain chargers-out {',
    rules(v.out),
    '\t}',
    '\tchain chargers-in {',
    rules(v.in),
    '\t}',
    '',
    '\t# Chargers -> the router itself.',
    '\tchain input {',
    '\t\ttype filter hook input priority filter - 10; policy accept;',
    `\t\tiifname ${v.lanQuoted} jump chargers-router`,
    '\t}',
    '\tchain chargers-router {',
    rules(v.router),
    '\t}',
    v.dnat.length > 0 && [
      '',
      `\t# The chargers' DNS${v.ntpRedirect ? ' and NTP' : ''} queries are answered by this router, whatever address they are sent to.`,
      '\tchain dstnat {',
      '\t\ttype nat hook prerouting priority dstnat; policy accept;',
      ...rules(v.dnat),
      '\t}',
    ],
    '',
    '\tchain srcnat {',
    '\t\ttype nat hook postrouting priority srcnat; policy accept;',
    `\t\toifname ${v.wanQuoted} ip saddr ${v.subnet} masquerade ${v.masqComment}`,
    '\t}',
    '}',
  );
}
