/**
 * Line-oriented output files (rules.v4, chargewall.nft, chargewall.rsc, ...) built in code: each
 * target's emitter lists its lines, every value already passed through that target's escape module,
 * and `lines()` joins them. The one thing it checks itself is the file's shape: a part that holds a
 * line break is refused as a bug, so no value can add a line, whatever an escape function missed.
 */

/** One line, a list of lines (a loop's output), or nothing (false/undefined: a line left out). */
export type LinePart = string | readonly string[] | false | undefined;

const BREAK = /[\n\r]/;

function push(out: string, line: string): string {
  if (BREAK.test(line)) throw new Error(`internal: a value would add a line: ${JSON.stringify(line)}`);
  return out + line + '\n';
}

/** The lines, each ended by `\n`. */
export function lines(...parts: LinePart[]): string {
  let out = '';
  for (const part of parts) {
    if (part === false || part === undefined) continue;
    if (typeof part === 'string') out = push(out, part);
    else for (const line of part) out = push(out, line);
  }
  return out;
}

/** Each line with `prefix` in front of it (comment markers, indentation). */
export function prefixed(prefix: string, items: readonly string[]): string[] {
  return items.map((item) => prefix + item);
}
