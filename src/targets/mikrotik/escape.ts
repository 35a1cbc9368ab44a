import { blankControls } from '../../util/text.js';
/**
 * RouterOS script escaping (v6 and v7). Free text from the spec reaches a script only through `str`:
 * - always double-quoted;
 * - `[A-Za-z0-9 ._:/@,+=-]` literally, every other byte (UTF-8) as `\XX` with upper-case hex. That covers
 *   `"` (ends the string), `$` (`$var`, `$[cmd]`, `$(expr)` run inside strings), `\` (escapes, line joins),
 *   `?` (console help; `\?` was removed in 7.1rc2), `;`, `#`, `[ ] { } ( )`, CR/LF and non-ASCII.
 *   Hex escapes are the only form documented identically for v6 and v7.
 * Identifiers and values chargewall builds itself (object names from validated ids, regexes, MACs, addresses)
 * go through `lit`, which refuses anything outside a conservative set instead of escaping it.
 * `#` comment lines get `commentText`: printable ASCII without the characters the parser or console treat specially.
 */
// Tables instead of a regex per character: str and commentText run for every comment, name and
// note of every script.
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** `[A-Za-z0-9 ._:/@,+=-]`: written as is inside a string. */
const SAFE = new Uint8Array(128);
for (const c of `${ALNUM} ._:/@,+=-`) SAFE[c.charCodeAt(0)] = 1;
/** `\XX` for every byte value. */
const HEX = Array.from({ length: 256 }, (_, b) => `\\${b.toString(16).toUpperCase().padStart(2, '0')}`);

export function str(text: string): string {
  let i = 0;
  while (i < text.length && SAFE[text.charCodeAt(i)] === 1) i++;
  if (i === text.length) return `"${text}"`;
  let out = `"${text.slice(0, i)}`;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) out += SAFE[c] === 1 ? text[i] : HEX[c];
    else if (c < 0x800) out += HEX[0xc0 | (c >> 6)] + HEX[0x80 | (c & 63)];
    else {
      // UTF-8 as Buffer.from writes it: a surrogate pair is one 4-byte character, a lone surrogate U+FFFD.
      let cp = c;
      const d = text.charCodeAt(i + 1);
      if (c >= 0xd800 && c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        cp = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else if (c >= 0xd800 && c <= 0xdfff) cp = 0xfffd;
      if (cp < 0x10000) out += HEX[0xe0 | (cp >> 12)] + HEX[0x80 | ((cp >> 6) & 63)] + HEX[0x80 | (cp & 63)];
      else out += HEX[0xf0 | (cp >> 18)] + HEX[0x80 | ((cp >> 12) & 63)] + HEX[0x80 | ((cp >> 6) & 63)] + HEX[0x80 | (cp & 63)];
    }
  }
  return `${out}"`;
}

/** `[A-Za-z0-9 ._:/@,+=^~*!-]`: what `lit` lets through. */
const LIT = new Uint8Array(128);
for (const c of `${ALNUM} ._:/@,+=^~*!-`) LIT[c.charCodeAt(0)] = 1;
/** `[A-Za-z0-9._:/,-]`: what `bare` lets through. */
const BARE = new Uint8Array(128);
for (const c of `${ALNUM}._:/,-`) BARE[c.charCodeAt(0)] = 1;

/** Every code unit of `text` is marked in `table` (anything from 128 up never is). */
function allIn(table: Uint8Array, text: string): boolean {
  for (let i = 0; i < text.length; i++) if (table[text.charCodeAt(i)] !== 1) return false;
  return true;
}

/** A quoted literal chargewall built from validated parts; throws rather than escape. */
export function lit(text: string): string {
  if (!allIn(LIT, text)) throw new Error(`internal: unsafe RouterOS literal ${JSON.stringify(text)}`);
  return `"${text}"`;
}

/** A bare (unquoted) value: numbers, addresses, MACs, enum words. */
export function bare(text: string | number): string {
  const s = String(text);
  if (!s || !allIn(BARE, s)) throw new Error(`internal: unsafe RouterOS bare value ${JSON.stringify(s)}`);
  return s;
}

/** `[A-Za-z0-9 .,:/@+=_()'&%!*<>|-]`: kept in a comment line. */
const COMMENT_SAFE = new Uint8Array(128);
for (const c of `${ALNUM} .,:/@+=_()'&%!*<>|-`) COMMENT_SAFE[c.charCodeAt(0)] = 1;

/**
 * Text for a `#` comment line: diacritics folded to ASCII, then only printable ASCII that no
 * parser or console reacts to; the rest becomes a space. A comment can never end its line.
 */
export function commentText(text: string): string {
  // ASCII (titles and notes chargewall writes itself, most names): NFKD and the diacritics step change
  // nothing, so one pass does the rest.
  let out = '';
  let from = 0;
  let space = true; // at the start, or after a space: another one is dropped (collapse and trim)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return commentTextUnicode(text);
    if (c !== 32 && COMMENT_SAFE[c] === 1) {
      space = false;
      continue;
    }
    // A space, or a character that becomes one.
    if (c !== 32 || space) {
      out += text.slice(from, i);
      if (!space) out += ' ';
      from = i + 1;
    }
    space = true;
  }
  out += text.slice(from);
  return space && out.endsWith(' ') ? out.slice(0, -1) : out;
}

function commentTextUnicode(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9 .,:/@+=_()'&%!*<>|-]/g, ' ')
    .replace(/ +/g, ' ')
    .trim();
}

/** `[A-Za-z0-9.^|()[\]-]`: a regular expression chargewall builds itself (version checks); refused, never escaped. */
const RX = new Uint8Array(128);
for (const c of `${ALNUM}.^|()[]-`) RX[c.charCodeAt(0)] = 1;

/**
 * A quoted POSIX extended regular expression. Inside a RouterOS string `[ ] ( ) |` are plain text
 * (only `$`, `"` and `\` are special there), so the expression needs no escapes.
 */
export function rx(text: string): string {
  if (!allIn(RX, text)) throw new Error(`internal: unsafe RouterOS regex ${JSON.stringify(text)}`);
  return `"${text}"`;
}

/**
 * A POSIX ERE that matches a RouterOS version string followed by a space (`7.13.4 (stable) `,
 * `7.16rc2 (testing) `, `6.49.10 (long-term) `) exactly when it is `major.minor` or newer within
 * that major. The appended space lets a one-digit minor end in a non-digit (`7.5 ` is 7.5, not 7.50).
 */
export function versionAtLeast(major: number, minor: number): string {
  const alts: string[] = [];
  if (minor <= 9) alts.push(`[${minor}-9][^0-9]`, '[1-9][0-9]');
  else {
    const tens = Math.floor(minor / 10);
    const units = minor % 10;
    alts.push(`${tens}[${units}-9]`);
    if (tens < 9) alts.push(`[${tens + 1}-9][0-9]`);
    alts.push('[1-9][0-9][0-9]');
  }
  return `^${major}[.](${alts.join('|')})`;
}

/** Any character mdText changes: most texts have none and come back as they are. */
const MD_CHANGES = /[\\`*_[\]|~&<>#\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/**
 * Free text inside a line of STEPS.md (Markdown): control and line-separator characters become
 * spaces (a value cannot start a line, heading or list item), the inline Markdown characters
 * (emphasis, code, links, table cells, `#`) are backslash-escaped and `<`, `>`, `&` become entities.
 */
export function mdText(text: string): string {
  if (!MD_CHANGES.test(text)) return text;
  return blankControls(text)
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
