/**
 * Escaping for the Linux files both Linux targets (iptables, nftables) write. Free text (site and unit
 * names) reaches them only here:
 * - `#` comment lines (rules.v4, ipset.conf, chargewall.nft, dnsmasq.conf, hostapd.conf, apply.sh) end
 *   at a newline, so control and line-separator characters become spaces;
 * - dnsmasq host names are DNS labels derived from the unit name;
 * - the SSID goes to hostapd as hex (`ssid2=<hex>`), which no byte can break out of.
 * Rule comments inside the rule files are built from validated ids only (each target's own escape.ts).
 */
import { blankControls } from '../../util/text.js';

export function commentText(text: string): string {
  return blankControls(text);
}

export function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/**
 * dnsmasq reads a config line into a 1025-byte buffer (a longer line is a "bad option"), and
 * `ipset restore` splits a long line and reads the rest as a new command. Lists that grow with the
 * spec (host names) are spread over several lines of at most `max` characters, in order.
 */
export const LINE_MAX = 1000;
export function chunkJoin(items: string[], sep: string, room: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const item of items) {
    if (line && line.length + sep.length + item.length > room) {
      out.push(line);
      line = '';
    }
    line = line ? `${line}${sep}${item}` : item;
  }
  if (line) out.push(line);
  return out;
}

/**
 * The text of a rule comment (iptables `-m comment`, nft `comment`). Only text chargewall builds from
 * validated ids, numbers and fixed words reaches one, so anything that would need quoting (`"`, `\`,
 * `'`, control characters) is refused as a bug; past `max` characters it is cut deterministically at a
 * word boundary.
 */
export function ruleCommentText(text: string, max: number, format: string): string {
  if (!/^[A-Za-z0-9 ._:/,()+=@-]*$/.test(text)) throw new Error(`internal: unsafe ${format} comment ${JSON.stringify(text)}`);
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 4);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), cut.lastIndexOf(',')))} ...`;
}
