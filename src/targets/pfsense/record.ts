/**
 * What chargewall last wrote into a pfSense config, so a later render can tell the admin's GUI edits
 * (a rule renamed, disabled, moved, a port changed) from changes of the spec.
 *
 * The record is one element per site under a top-level `<chargewall>`:
 *   <chargewall><site-brf-solgarden>v1 a:CW_X:3f2a… r:244734500:9c1d… n:0:77ab… d:opt2:e012… o:244734500,244734501</site-brf-solgarden></chargewall>
 * pfSense keeps an element it does not know through parse, upgrade_config, write_config, GUI saves and
 * Backup & Restore (checked with pfSense's own code on 2.7.2, 2.8.0 and master); a GUI save rebuilds
 * the item itself, so a hash inside an item would not survive.
 *
 * Hashes are over the item's meaning, not its bytes: element order, pfSense's empty defaults and its
 * created/updated stamps do not count, so re-serialisation by pfSense is not an edit.
 */
import { sha256Hex } from '../../util/sha256.js';
import { child, parseXml, textOf, type XNode } from './xml.js';

/** Empty elements that mean "on" (everything else empty is pfSense's blank default). */
const FLAGS = new Set(['any', 'not', 'log', 'disabled', 'enable', 'quick', 'nordr', 'nosync', 'staticarp', 'denyunknown']);
/** Bookkeeping pfSense adds or refreshes on save. */
const IGNORED = new Set(['created', 'updated', 'id']);

/** The item's meaning as `path=value` lines, sorted; stable across pfSense rewrites. */
export function meaning(doc: string, n: XNode, prefix = ''): string[] {
  const out: string[] = [];
  const counts = new Map<string, number>();
  for (const c of n.children) {
    const name = c.name.toLowerCase();
    if (IGNORED.has(name)) continue;
    const i = counts.get(name) ?? 0;
    counts.set(name, i + 1);
    const key = `${prefix}${name}${i ? `[${i}]` : ''}`;
    if (c.children.length) out.push(...meaning(doc, c, `${key}/`));
    else {
      const v = textOf(doc, c);
      if (v === '' && FLAGS.has(name)) out.push(`${key}=(on)`);
      else if (v !== '' && !(name === 'statetype' && v === 'keep state')) out.push(`${key}=${v}`);
    }
  }
  return out.sort();
}

export const hashOf = (lines: string[]) => sha256Hex(lines.join('\n')).slice(0, 16);

/** The meaning of an item as chargewall writes it (the same function as for what it reads). */
export function meaningOfText(itemXml: string): string[] {
  return meaning(itemXml, parseXml(itemXml));
}

export interface WriteRecord {
  /** `a:<alias name>`, `r:<tracker>`, `n:<index>`, `d:<interface>` → hash. */
  hashes: Map<string, string>;
  /** Trackers of chargewall's rules in the order written. */
  order: string[];
}

export const recordElement = (siteId: string) => `site-${siteId}`;

export function readRecord(doc: string, root: XNode, siteId: string): WriteRecord | undefined {
  const n = child(child(root, 'chargewall'), recordElement(siteId));
  if (!n) return undefined;
  const words = textOf(doc, n).split(/\s+/);
  if (words[0] !== 'v1') return undefined;
  const hashes = new Map<string, string>();
  let order: string[] = [];
  for (const w of words.slice(1)) {
    if (w.startsWith('o:')) order = w.slice(2).split(',').filter(Boolean);
    else {
      const at = w.lastIndexOf(':');
      if (at > 0) hashes.set(w.slice(0, at), w.slice(at + 1));
    }
  }
  return { hashes, order };
}

export function writeRecord(r: WriteRecord): string {
  return ['v1', ...[...r.hashes].map(([k, h]) => `${k}:${h}`), `o:${r.order.join(',')}`].join(' ');
}

/** `field: 'old' → 'new'` for each meaning line that differs. */
export function describeDiff(current: string[], next: string[]): string[] {
  const toMap = (lines: string[]) => new Map(lines.map((l) => { const i = l.indexOf('='); return [l.slice(0, i), l.slice(i + 1)] as const; }));
  const a = toMap(current);
  const b = toMap(next);
  const out: string[] = [];
  for (const k of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(k) === b.get(k)) continue;
    const show = (v: string | undefined) => (v === undefined ? 'unset' : v === '(on)' ? 'set' : `'${v}'`);
    out.push(`${k} ${show(a.get(k))} → ${show(b.get(k))}`);
  }
  return out;
}
