/**
 * Escaping for the UniFi outputs. Free text from the spec (site name, SSID, endpoint descriptions,
 * unit names) reaches them only through these functions:
 * - integration-api.json is written with JSON.stringify, so no value can end its string. What is left
 *   is the file's own placeholder syntax: a string value that starts with `$` is a placeholder
 *   (`$ref:`, `$lookup:`, `$env:`), resolved by whoever applies the file. A literal string that
 *   starts with `$` is therefore written with the `$` doubled (`$$`), and the applier turns a leading
 *   `$$` back into `$`. Without this an SSID `$env:HOME` would become the value of $HOME.
 * - STEPS.md is Markdown: control and line-separator characters become spaces (a value cannot start
 *   a new line, heading or list item; values never start a line), the inline Markdown characters
 *   (emphasis, code, links, table cells) are backslash-escaped and `<`, `>`, `&` become entities (no raw HTML).
 */
import { blankControls } from '../../util/text.js';

export function apiText(text: string): string {
  return text.startsWith('$') ? `$${text}` : text;
}

/** The inverse of apiText for a literal (non-placeholder) string. */
export function apiLiteral(value: string): string {
  return value.startsWith('$$') ? value.slice(1) : value;
}

/** Any character mdText changes: most texts have none and come back as they are. */
const MD_CHANGES = /[\\`*_[\]|~&<>\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function mdText(text: string): string {
  if (!MD_CHANGES.test(text)) return text;
  return blankControls(text)
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}
