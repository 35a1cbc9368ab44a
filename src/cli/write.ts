import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

export interface Drift {
  stale: string[];
  missing: string[];
  extra: string[];
}

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/** Files under `root` that chargewall owns for these folders (recursively), relative to `root`. */
function existingFiles(root: string, folders: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else found.push(relative(root, path));
    }
  };
  for (const f of folders) walk(join(root, f));
  return found.sort();
}

/** The file's text, or undefined when there is none. A directory in the way is an error, found before anything is written. */
function readIfFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (e: any) {
    if (e.code === 'EISDIR') throw Object.assign(new Error(`${path} is a directory, not a file`), { code: 'EISDIR', syscall: 'open' });
    return undefined;
  }
}

/**
 * Folders whose whole content chargewall owns: one per rendered target, plus `<site-id>/<target>`
 * for every other known target id, so a target dropped from the spec leaves no stale folder behind
 * (the site folder mirrors the last render). Other files next to them are the user's.
 */
function ownedFolders(files: Record<string, string>, knownTargets: readonly string[] = []): string[] {
  const folders = new Set<string>();
  for (const f of Object.keys(files)) {
    const parts = f.split('/');
    if (parts.length > 2) folders.add(parts.slice(0, 2).join('/'));
    for (const t of knownTargets) folders.add(`${parts[0]}/${t}`);
  }
  return [...folders].sort();
}

/** --check: what differs between the rendered files and what is on disk. Writes nothing. */
export function checkFiles(root: string, files: Record<string, string>, knownTargets: readonly string[] = []): Drift {
  const drift: Drift = { stale: [], missing: [], extra: [] };
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const current = readIfFile(join(root, path));
    if (current === undefined) drift.missing.push(path);
    else if (current !== content) drift.stale.push(path);
  }
  drift.extra = existingFiles(root, ownedFolders(files, knownTargets)).filter((f) => !(f in files));
  return drift;
}

/**
 * Writes only changed files. All new contents go to temp files first; only when every temp file is
 * written are they renamed over the old ones, so a failure (disk full, permissions, a directory in
 * the way) leaves every existing file whole and no temp file behind.
 */
export function writeFiles(root: string, files: Record<string, string>, knownTargets: readonly string[] = []): WriteReport {
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  const pending: { tmp: string; path: string; rel: string }[] = [];
  const madeDirs = new Set<string>();
  try {
    for (const [rel, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
      const path = join(root, rel);
      if (readIfFile(path) === content) {
        report.unchanged.push(rel);
        continue;
      }
      const dir = dirname(path);
      if (!madeDirs.has(dir)) {
        mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      const tmp = join(dirname(path), `.${rel.split('/').pop()}.chargewall-${process.pid}.tmp`);
      pending.push({ tmp, path, rel });
      writeFileSync(tmp, content, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
      if (rel.endsWith('.sh')) chmodSync(tmp, 0o755);
    }
    for (const p of pending) {
      renameSync(p.tmp, p.path);
      report.written.push(p.rel);
    }
  } catch (e) {
    for (const p of pending) rmSync(p.tmp, { force: true });
    throw e;
  }
  for (const extra of existingFiles(root, ownedFolders(files, knownTargets)).filter((f) => !(f in files))) {
    rmSync(join(root, extra));
    report.removed.push(extra);
  }
  return report;
}
