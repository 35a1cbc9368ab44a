/**
 * Escaping inside chargewall.nft. Free text never reaches a rule or a set: names come from validated
 * ids, interface names from the schema's pattern, and `comment "..."` strings are built from ids,
 * numbers and fixed words only. nft cannot escape a `"` inside a string, and refuses a comment longer
 * than 128 characters (an error, not a cut), so both are enforced here.
 */
import { ruleCommentText } from '../linux/escape.js';

export const NFT_COMMENT_MAX = 128;

export function nftComment(text: string): string {
  return `comment "${ruleCommentText(text, NFT_COMMENT_MAX, 'nft')}"`;
}

/** An interface name as a quoted nft string; the schema's pattern already keeps it to [A-Za-z0-9_.-]. */
export function nftInterface(name: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/.test(name)) throw new Error(`internal: unsafe interface name ${JSON.stringify(name)}`);
  return `"${name}"`;
}
