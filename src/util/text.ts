/**
 * Control characters (C0, DEL, C1) and the Unicode line/paragraph separators: each can end a line
 * or a value in some output format. Validation refuses them in free text; every escaper still
 * blanks them, so no text can break its line even if it came from elsewhere.
 */
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** The text with every control or line-separator character replaced by a space. */
export function blankControls(text: string): string {
  return text.replace(CONTROLS, ' ');
}
