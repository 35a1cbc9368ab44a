/**
 * Escaping for the Linux files. Free text (site and unit names) reaches them only here:
 * - `#` comment lines (rules.v4, ipset.conf, dnsmasq.conf, hostapd.conf, apply.sh) end at a newline,
 *   so control and line-separator characters become spaces;
 * - dnsmasq host names are DNS labels derived from the unit name;
 * - the SSID goes to hostapd as hex (`ssid2=<hex>`), which no byte can break out of.
 * Rule comments inside iptables-restore are built from validated ids only and go through `ruleComment`.
 */
import { blankControls } from '../../util/text.js';

export function commentText(text: string): string {
  return blankControls(text);
}


export function hex(text: string): string {
  return Buffer.from(text, 'utf8').toString('hex');
}

/** iptables keeps at most 255 characters of a `-m comment` (longer ones are cut silently by the nft backend). */
export const RULE_COMMENT_MAX = 255;

/**
 * A quoted `-m comment --comment` argument. Only text chargewall builds from validated ids, numbers and
 * fixed words reaches it, so anything that would need quoting inside iptables-restore (`"`, `\`, `'`,
 * control characters) is refused; past 255 characters it is cut deterministically at a word boundary.
 */
export function ruleComment(text: string): string {
  if (!/^[A-Za-z0-9 ._:/,()+=@-]*$/.test(text)) throw new Error(`internal: unsafe iptables comment ${JSON.stringify(text)}`);
  let out = text;
  if (out.length > RULE_COMMENT_MAX) {
    out = out.slice(0, RULE_COMMENT_MAX - 4);
    out = `${out.slice(0, Math.max(out.lastIndexOf(' '), out.lastIndexOf(',')))} ...`;
  }
  return `"${out}"`;
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
