import { sha256Hex } from '../util/sha256.js';

/**
 * Builds an identifier from validated ids only (site id, group ids), within a target's length limit.
 * Too long: the site id is shortened and a 4-hex hash of the full name keeps it unique and stable.
 */
export function objectName(prefix: string, siteId: string, suffix: string, max: number, sep = '-'): string {
  const parts = (site: string) => [prefix, site, suffix].filter(Boolean).join(sep);
  const full = parts(siteId);
  if (full.length <= max) return full;
  const hash = sha256Hex(full).slice(0, 4);
  const room = max - parts('').length - 4 - 1;
  if (room < 1) throw new Error(`cannot fit '${full}' into ${max} characters`);
  return parts(`${siteId.slice(0, room)}${hash}`);
}

/**
 * Makes host labels (DNS labels a target derived from unit names) unique, deterministically: the first
 * use keeps its label, a later one that collides gets `-2`, `-3`, ... (shortened to stay within 63).
 * Two units named "P-01" and "P 01" would otherwise register the same DHCP host name.
 */
export function uniqueLabels(labels: string[]): string[] {
  const taken = new Set<string>();
  // The next suffix to try for each label: n units with one name cost O(n), not O(n²) (issue 17: 40k
  // units named alike took 264 s). A suffix already taken (a unit literally named "p-2") is skipped.
  const next = new Map<string, number>();
  return labels.map((label) => {
    let out = label;
    if (taken.has(out)) {
      let n = next.get(label) ?? 2;
      do {
        const suffix = `-${n++}`;
        out = `${label.slice(0, 63 - suffix.length).replace(/-+$/, '')}${suffix}`;
      } while (taken.has(out));
      next.set(label, n);
    }
    taken.add(out);
    return out;
  });
}

/**
 * A DHCP host name (an RFC 1123 label: a-z, 0-9, '-') from a unit's free-text name, `fallback` when
 * nothing is left. The plan decides it once so every target hands out the same name.
 */
export function hostLabel(text: string, fallback: string): string {
  const label = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return label || fallback;
}
