/**
 * Line-oriented output files (rules.v4, chargewall.nft, chargewall.rsc, dnsmasq.conf, ...) built in
 * code: each target's emitter lists its lines, every value already passed through that target's
 * escape module, and `lines()` joins them. The one thing it checks itself is the file's shape: a line
 * that holds a line break (LF or CR) is refused as a bug, so no value can add a line, whatever an
 * escape function missed.
 */

/** One line, a list of lines (a loop's output), or nothing (false/undefined: a line left out). */
export type LinePart = string | readonly string[] | false | undefined;

/** The lines, each ended by `\n`. */
export function lines(...parts: LinePart[]): string {
  const out: string[] = [];
  for (const part of parts) {
    if (part === false || part === undefined) continue;
    if (typeof part === 'string') out.push(part);
    else for (const line of part) out.push(line);
  }
  out.push('');
  const text = out.join('\n');
  // One check over the whole file instead of one per line: a file has exactly as many line breaks as
  // the join put in only if no line brought one of its own. Counted with indexOf, not split: a split
  // made an array of every line of every file only to take its length.
  let breaks = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) breaks++;
  if (breaks !== out.length - 1 || text.includes('\r')) {
    const bad = out.find((line) => /[\n\r]/.test(line));
    throw new Error(`internal: a value would add a line: ${JSON.stringify(bad)}`);
  }
  return text;
}

/** Each line with `prefix` in front of it (comment markers, indentation). */
export function prefixed(prefix: string, items: readonly string[]): string[] {
  return items.map((item) => prefix + item);
}
