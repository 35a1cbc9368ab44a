/**
 * Escaping for pfSense's config.xml (src/etc/inc/xmlparse.inc). pfSense reads an element's text,
 * lets the XML parser decode it, then runs html_entity_decode() on it a second time. Its writer puts
 * `descr`, `detail` (and username/password/text) into CDATA with htmlentities(ENT_QUOTES|ENT_XML1)
 * applied inside. We write exactly that, so free text:
 * - cannot end the CDATA section (`]]>` cannot survive: `>` becomes `&gt;`),
 * - decodes back to itself on pfSense (the second decode undoes the entities),
 * - carries no character XML 1.0 forbids (control characters become spaces, lone surrogates U+FFFD).
 * Plain elements only ever hold validated values (ids, addresses, host names, numbers); they still get
 * XML escaping, and a value with `&` is refused because pfSense would decode it twice.
 */

/** Characters XML 1.0 does not allow, plus line breaks (pfSense trims them and the UI fields are one line). */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Any character the two replacements below could touch (every surrogate, paired or not). */
const MAY_NEED_CLEANING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff\ud800-\udfff]/;

/** One line of free text with nothing XML cannot carry. */
export function cleanText(text: string): string {
  // Almost every text is clean: one test instead of two replacements.
  if (!MAY_NEED_CLEANING.test(text)) return text;
  return text.replace(LONE_SURROGATE, '\ufffd').replace(FORBIDDEN, ' ');
}

/** htmlentities(ENT_QUOTES | ENT_XML1): the five XML entities. */
export function xmlEntities(text: string): string {
  if (!/[&<>"']/.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** A CDATA element body the way pfSense writes it: `<![CDATA[` + entities + `]]>`. */
export function cdata(text: string): string {
  return `<![CDATA[${xmlEntities(cleanText(text))}]]>`;
}

/** Text of a plain element. Only validated values reach here; `&` would be decoded twice by pfSense. */
export function plain(value: string | number): string {
  const text = String(value);
  if (/[&<>\u0000-\u001f]/.test(text)) throw new Error(`pfsense: refusing to write '${text}' into a plain XML element`);
  return text;
}

/** Truncates to at most `max` UTF-8 bytes (PHP strlen) without splitting a character. */
export function truncateBytes(text: string, max: number): string {
  // Fits as a whole (the common case): the loop below would keep every character.
  if (text.length <= max && Buffer.byteLength(text, 'utf8') <= max) return text.trimEnd();
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    // UTF-8 length of one code point (a lone surrogate is written as U+FFFD, 3 bytes).
    const cp = ch.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out.trimEnd();
}

/** pfSense puts only the first 57 bytes of a rule description into the pf label; the UI refuses `\`. */
export const RULE_DESCR_MAX = 57;
export function ruleDescr(text: string): string {
  return truncateBytes(cleanText(text).replace(/\\/g, '/'), RULE_DESCR_MAX);
}

/** Alias `detail` entries are joined with `||`; pfSense refuses an entry containing `|`. */
export function detailEntry(text: string): string {
  return cleanText(text).replace(/\|/g, '/').trim() || '-';
}

/** Markdown table cell / inline text from free text (STEPS.md): one line, no table or code breakouts. */
export function mdText(text: string): string {
  return cleanText(text).replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}

/** Decoding as pfSense reads a value back: the parser's XML decode already happened; this is the second pass. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, e: string) => {
    if (e[0] === '#') return String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[e]!;
  });
}

/** Text inside an XML comment: no `--` (and no trailing `-`), nothing XML forbids. */
export function commentText(text: string): string {
  return cleanText(text).replace(/-(?=-)/g, '- ').replace(/-$/, '- ');
}
