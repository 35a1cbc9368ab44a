import type { SiteComparison } from './write.js';
import { MANIFEST, targetOf, type Manifest, type PlanSummary } from './manifest.js';
import { unifiedDiff } from './textdiff.js';

/**
 * `chargewall diff`: per site, what a render would change against the committed output, in the
 * admin's words first (from the plan summaries the manifests record), then which files to redeploy on
 * which router, then (with --unified) the text diffs. Hand edits are named as such.
 */

/** No terminal control characters from a spec value (a site name, an SSID) reach the terminal. */
function clean(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '?');
}

type Change = { line: string; targets: string[] };

function planChanges(before: Record<string, PlanSummary>, after: Record<string, PlanSummary>): Change[] {
  const byLine = new Map<string, string[]>();
  const add = (line: string, t: string) => {
    const list = byLine.get(line) ?? [];
    list.push(t);
    byLine.set(line, list);
  };
  const facts: [keyof PlanSummary, string][] = [
    ['chargers', 'chargers'],
    ['network', 'network'],
    ['pool', 'DHCP pool'],
    ['wifi', 'Wi-Fi'],
    ['dns', 'DNS'],
    ['ntp', 'NTP'],
    ['default', 'default'],
  ];
  for (const t of [...new Set([...Object.keys(before), ...Object.keys(after)])].sort()) {
    const a = before[t];
    const b = after[t];
    if (!a) {
      add(`target added: ${t}`, t);
      continue;
    }
    if (!b) {
      add(`target no longer rendered: ${t} (its files are removed)`, t);
      continue;
    }
    for (const [key, label] of facts) if (String(a[key]) !== String(b[key])) add(`${label}: ${a[key]} -> ${b[key]}`, t);
    const la = new Set(a.leases ?? []);
    const lb = new Set(b.leases ?? []);
    for (const l of lb) if (!la.has(l)) add(`static lease added: ${l}`, t);
    for (const l of la) if (!lb.has(l)) add(`static lease removed: ${l}`, t);
    for (const [id, rule] of Object.entries(b.rules ?? {})) {
      if (!(id in (a.rules ?? {}))) add(`rule added: ${id}: ${rule}`, t);
      else if (a.rules[id] !== rule) add(`rule changed: ${id}: ${a.rules[id]} -> ${rule}`, t);
    }
    for (const [id, rule] of Object.entries(a.rules ?? {})) if (!(id in (b.rules ?? {}))) add(`rule removed: ${id}: ${rule}`, t);
    const ra = new Set(a.router ?? []);
    const rb = new Set(b.router ?? []);
    for (const r of rb) if (!ra.has(r)) add(`added: ${r}`, t);
    for (const r of ra) if (!rb.has(r)) add(`removed: ${r}`, t);
  }
  return [...byLine].map(([line, targets]) => ({ line, targets }));
}

export interface SiteDiff {
  changed: boolean;
  text: string;
}

/** The diff of one site (`cmp` from compareSite with texts), as text for stdout. */
export function siteDiff(out: string, cmp: SiteComparison, unified: boolean): SiteDiff {
  const id = cmp.id;
  const files = cmp.changed.filter((r) => r !== MANIFEST);
  const changed = cmp.changed.length > 0 || cmp.remove.length > 0;
  const lines: string[] = [];
  if (!changed) return { changed: false, text: `${id}: no change (${out}/${id})\n` };
  lines.push(`${id}: would change (${out}/${id})`);
  const prev: Manifest | undefined = cmp.state.previous;
  if (cmp.state.kind === 'fresh' || cmp.state.kind === 'empty') lines.push(`  new site: ${files.length} files to write`);
  else if (!prev) lines.push(`  no ${MANIFEST} (written by an older chargewall): the changes in words are unknown; the files below differ`);
  else {
    const before = prev.targets ? Object.fromEntries(Object.entries(prev.targets).map(([t, r]) => [t, r.plan])) : {};
    const after = Object.fromEntries(Object.entries(cmp.manifest.targets).map(([t, r]) => [t, r.plan]));
    // A change that holds for only some of the targets names them.
    const all = new Set([...Object.keys(before), ...Object.keys(after)]).size;
    for (const c of planChanges(before, after)) lines.push(`  ${clean(c.line)}${c.targets.length < all && !c.line.startsWith('target ') ? ` [${c.targets.join(', ')}]` : ''}`);
    if (prev.generator !== cmp.manifest.generator) lines.push(`  generator: ${prev.generator} -> ${cmp.manifest.generator}`);
    if (prev.profile?.hash !== cmp.manifest.profile.hash) lines.push(`  profile ${cmp.manifest.profile.id}: changed`);
    if (JSON.stringify(prev.options) !== JSON.stringify(cmp.manifest.options)) lines.push(`  options: ${JSON.stringify(prev.options)} -> ${JSON.stringify(cmp.manifest.options)}`);
  }
  for (const rel of cmp.handEdited) lines.push(`  edited by hand: ${rel} (differs from what chargewall wrote; a render replaces the edit)`);
  for (const rel of cmp.keptEdited) lines.push(`  edited by hand: ${rel} (no longer rendered; a render leaves it, no longer chargewall's)`);
  // Which files to redeploy, per router.
  const perTarget = new Map<string, string[]>();
  for (const rel of files) {
    const t = targetOf(rel) ?? '';
    perTarget.set(t, [...(perTarget.get(t) ?? []), rel.slice(t ? t.length + 1 : 0)]);
  }
  for (const [t, list] of [...perTarget].sort()) {
    if (t) lines.push(`  redeploy on the ${t} router: ${list.join(', ')}`);
    else lines.push(`  site report: ${list.join(', ')}`);
  }
  if (cmp.remove.length) lines.push(`  removed from ${out}/${id}: ${cmp.remove.join(', ')}`);
  if (files.length === 0 && !cmp.remove.length) lines.push(`  only ${MANIFEST} (the record of this render) changes`);
  let text = lines.join('\n') + '\n';
  if (unified) {
    for (const rel of [...files, ...cmp.remove].sort()) {
      const name = `${out}/${id}/${rel}`;
      const edited = cmp.handEdited.includes(rel) ? ' (edited by hand)' : '';
      text += unifiedDiff(cmp.disk[rel], cmp.remove.includes(rel) ? undefined : cmp.files[rel], `a/${name}${edited}`, `b/${name}`);
    }
  }
  return { changed, text };
}
