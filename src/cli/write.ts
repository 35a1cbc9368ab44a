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
    if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') throw e;
    return undefined;
  }
}

/** Folders whose whole content chargewall owns: one per rendered target. */
function ownedFolders(files: Record<string, string>): string[] {
  return [...new Set(Object.keys(files).map((f) => f.split('/').slice(0, 2).join('/')).filter((f) => f.includes('/')))];
}

/** --check: what differs between the rendered files and what is on disk. Writes nothing. */
export function checkFiles(root: string, files: Record<string, string>): Drift {
  const drift: Drift = { stale: [], missing: [], extra: [] };
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
    const current = readIfFile(join(root, path));
    if (current === undefined) drift.missing.push(path);
    else if (current !== content) drift.stale.push(path);
  }
  drift.extra = existingFiles(root, ownedFolders(files)).filter((f) => !(f in files));
  return drift;
}

/** A file-system failure while writing, named by the file it hit, saying what was and was not changed. */
export class WriteError extends Error {
  constructor(message: string, readonly code: string, readonly syscall: string) {
    super(message);
    this.name = 'WriteError';
  }
}

const REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'read-only file system',
  ENOTDIR: 'a file is in the way of a folder',
  EEXIST: 'a file is in the way of a folder',
};

function wrap(e: any, path: string, renamed: number, total: number): never {
  if (!e || typeof e.code !== 'string') throw e;
  const what = e.code === 'EISDIR' ? `${path} is a directory, not a file` : `${path}: ${REASONS[e.code] ? `${REASONS[e.code]} (${e.code})` : e.message}`;
  const state =
    renamed === 0
      ? 'no file was changed'
      : `${renamed} of ${total} changed files were already replaced; every file is whole (old or new): fix the problem and render again`;
  throw new WriteError(`${what}; ${state}`, e.code, e.syscall ?? 'write');
}

/**
 * Writes only changed files. All new contents go to temp files first; only when every temp file is
 * written are they renamed over the old ones, so a failure (disk full, permissions, a directory in
 * the way) leaves every existing file whole and no temp file behind. Call it once with the files of
 * every site: a failure at the last site then changes no file of the first.
 */
export function writeFiles(root: string, files: Record<string, string>): WriteReport {
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  const pending: { tmp: string; path: string; rel: string }[] = [];
  const madeDirs = new Set<string>();
  let current = root;
  try {
    for (const [rel, content] of Object.entries(files).sort(([a], [b]) => a.localeCompare(b))) {
      const path = join(root, rel);
      current = path;
      if (readIfFile(path) === content) {
        report.unchanged.push(rel);
        continue;
      }
      const dir = dirname(path);
      if (!madeDirs.has(dir)) {
        current = dir;
        mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
        current = path;
      }
      const tmp = join(dirname(path), `.${rel.split('/').pop()}.chargewall-${process.pid}.tmp`);
      pending.push({ tmp, path, rel });
      writeFileSync(tmp, content, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
      if (rel.endsWith('.sh')) chmodSync(tmp, 0o755);
    }
    for (const p of pending) {
      current = p.path;
      renameSync(p.tmp, p.path);
      report.written.push(p.rel);
    }
  } catch (e) {
    for (const p of pending) rmSync(p.tmp, { force: true });
    wrap(e, current, report.written.length, pending.length);
  }
  for (const extra of existingFiles(root, ownedFolders(files)).filter((f) => !(f in files))) {
    try {
      rmSync(join(root, extra));
    } catch (e) {
      wrap(e, join(root, extra), report.written.length, pending.length);
    }
    report.removed.push(extra);
  }
  return report;
}
