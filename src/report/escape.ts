/**
 * Escaping for the explain report. Free text (site and unit names, SSIDs, descriptions, profile
 * requirement quotes, warning messages) must stay inert text wherever it lands: no HTML, no links,
 * no headings or list items, no table-cell breaks, no end of a Mermaid label.
 */
import { blankControls } from '../util/text.js';

/**
 * Markdown-special ASCII punctuation, escaped with a backslash (CommonMark allows it for any ASCII
 * punctuation): emphasis, code, links/images (`[`, `]`; `(` only matters after `]`), HTML and
 * autolinks (`<`, `>`), entities (`&`), headings and issue references (`#`), table cells (`|`),
 * strikethrough (`~`), GitHub math (`$`), e-mail autolinks and mentions (`@`).
 */
const MD_SPECIAL = /[\\`*_{}[\]<>#|~&$@]/g;

/**
 * Inline Markdown text: one line, every structural character escaped. Safe in a paragraph, a list
 * item and a GFM table cell (pipes are escaped), at the start of a line or in the middle.
 */
export function mdText(value: string): string {
  // Most texts (profile quotes, labels, names) need no escaping: one test instead of seven
  // replacements. (This replaced a module-level memo of 20 000 entries; without either, a
  // 100-site batch took 8% more instructions.)
  return MD_PLAIN.test(value) && !MD_PLAIN_EXCEPT.test(value) ? value : mdEscape(value);
}

/** Words of characters mdEscape leaves alone (no whitespace, control or Markdown-special one), single spaces between. */
const MD_PLAIN = /^[^\s\\`*_{}[\]<>#|~&$@\u0000-\u001f\u007f-\u009f]+(?: [^\s\\`*_{}[\]<>#|~&$@\u0000-\u001f\u007f-\u009f]+)*$/;
/** What mdEscape changes in such words: `www.`, `x://`, a leading list marker or ordered-list number. */
const MD_PLAIN_EXCEPT = /www\.|[A-Za-z]:\/\/|^[-+]|^\d+[.)]/i;

/** The full escaper (mdText skips it for text it would not change). Exported for the test that says so. */
export function mdEscape(value: string): string {
  let s = blankControls(value)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(MD_SPECIAL, (c) => `\\${c}`)
    // GFM extended autolinks start at `www.`; an escaped dot ends the domain scan.
    .replace(/(www)\./gi, '$1\\.')
    // ... and at `scheme://`; an escaped colon ends the scheme.
    .replace(/([A-Za-z]):(?=\/\/)/g, '$1\\:');
  // Block starters at the start of the text: list markers, ordered lists, setext/thematic breaks.
  s = s.replace(/^([-+])/, '\\$1').replace(/^(\d+)([.)])/, '$1\\$2');
  return s;
}

/** A code span for identifier-like values (hosts, addresses, ids); anything else falls back to escaped text. */
export function mdCode(value: string): string {
  return /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/.test(value) ? `\`${value}\`` : mdText(value);
}

/** Characters left as they are inside a quoted Mermaid label; everything else becomes `#code;`. */
const MERMAID_SAFE = /[A-Za-z0-9 .,/_-]/;
/** Safe characters only, single spaces between words, none at the ends: the slow path would change nothing. */
const MERMAID_PLAIN = /^[A-Za-z0-9.,/_-]+(?: [A-Za-z0-9.,/_-]+)*$/;

/**
 * Text for a Mermaid label: every character outside a small safe set becomes a Mermaid entity code
 * (`#34;`), so quotes, brackets, pipes, semicolons, backticks (which would end the fence) and HTML
 * cannot end the label or the diagram. Control characters become spaces.
 */
export function mermaidText(value: string): string {
  // Most labels (hosts, addresses, ports) are safe as they are: one test instead of one per character.
  if (MERMAID_PLAIN.test(value)) return value;
  let out = '';
  for (const ch of blankControls(value).replace(/\s+/g, ' ').trim()) {
    out += MERMAID_SAFE.test(ch) ? ch : `#${ch.codePointAt(0)};`;
  }
  return out;
}
