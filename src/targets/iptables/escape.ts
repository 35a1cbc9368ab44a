/**
 * Escaping inside iptables-restore files. Free text never reaches a rule: rule comments are built from
 * validated ids only and go through `ruleComment`. The `#` comment lines, dnsmasq and hostapd files
 * are shared with the nftables target: see ../linux/escape.ts.
 */
import { ruleCommentText } from '../linux/escape.js';

/** iptables keeps at most 255 characters of a `-m comment` (longer ones are cut silently by the nft backend). */
export const RULE_COMMENT_MAX = 255;

/** A quoted `-m comment --comment` argument (see ruleCommentText). */
export function ruleComment(text: string): string {
  return `"${ruleCommentText(text, RULE_COMMENT_MAX, 'iptables')}"`;
}
