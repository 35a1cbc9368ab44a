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
const SAFE = /^[A-Za-z0-9 ._:/@,+=-]$/;

export function str(text: string): string {
  let out = '"';
  for (const ch of text) {
    if (SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `\\${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return `${out}"`;
}

/** A quoted literal chargewall built from validated parts; throws rather than escape. */
export function lit(text: string): string {
  if (!/^[A-Za-z0-9 ._:/@,+=^~*!-]*$/.test(text)) throw new Error(`internal: unsafe RouterOS literal ${JSON.stringify(text)}`);
  return `"${text}"`;
}

/** A bare (unquoted) value: numbers, addresses, MACs, enum words. */
export function bare(text: string | number): string {
  const s = String(text);
  if (!/^[A-Za-z0-9._:/,-]+$/.test(s)) throw new Error(`internal: unsafe RouterOS bare value ${JSON.stringify(s)}`);
  return s;
}

/**
 * Text for a `#` comment line: diacritics folded to ASCII, then only printable ASCII that no
 * parser or console reacts to; the rest becomes a space. A comment can never end its line.
 */
export function commentText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9 .,:/@+=_()'&%!*<>|-]/g, ' ')
    .replace(/ +/g, ' ')
    .trim();
}
