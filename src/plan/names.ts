import { createHash } from 'node:crypto';

/**
 * Builds an identifier from validated ids only (site id, group ids), within a target's length limit.
 * Too long: the site id is shortened and a 4-hex hash of the full name keeps it unique and stable.
 */
export function objectName(prefix: string, siteId: string, suffix: string, max: number, sep = '-'): string {
  const parts = (site: string) => [prefix, site, suffix].filter(Boolean).join(sep);
  const full = parts(siteId);
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 4);
  const room = max - parts('').length - 4 - 1;
  if (room < 1) throw new Error(`cannot fit '${full}' into ${max} characters`);
  return parts(`${siteId.slice(0, room)}${hash}`);
}
