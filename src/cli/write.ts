import { closeSync, existsSync, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
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

/** `.<name>.chargewall-<pid>-<thread>-<stage>.tmp`: unique per stage, so two stages never share a temp file. */
const TEMP_NAME = /^\..*\.chargewall-\d+-\d+-\d+\.tmp$/;
let stageCount = 0;
let stageThread = 0;

/** A worker thread names its temp files with its thread id (set once at its start; the main thread is 0). */
export function setStageThread(id: number): void {
  stageThread = id;
}

/**
 * Files under `root` that chargewall owns for these folders (recursively), relative to `root`, sorted.
 * `seen` (when given) also gets every entry met, folders included: whether a path exists, without
 * asking the file system again.
 */
function existingFiles(root: string, folders: string[], seen?: Set<string>): string[] {
  const found: string[] = [];
  const walk = (dir: string, rel: string) => {
    // One stat (no entry: undefined); any other failure means nothing to list, as existsSync did.
    let st;
    try {
      st = statSync(dir, { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!st?.isDirectory()) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const name = entry.name;
      const path = rel ? `${rel}/${name}` : name;
      seen?.add(path);
      if (entry.isDirectory()) walk(`${dir}/${name}`, path);
      // Another stage's temp file (a duplicate site id rendered on another thread) is not the user's file.
      else if (!TEMP_NAME.test(name)) found.push(path);
    }
  };
  // The folder's path as relative() gives it (rendered folders are plain, so it is `f` itself); below
  // it, `<rel>/<name>` is what relative(root, join(dir, name)) would give, without a call per entry.
  for (const f of folders) walk(join(root, f), relative(root, join(root, f)));
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

/**
 * Folders whose whole content chargewall owns: one per rendered target, plus `<site-id>/<target>`
 * for every other known target id, so a target dropped from the spec leaves no stale folder behind
 * (the site folder mirrors the last render). Other files next to them are the user's.
 */
function ownedFolders(files: Record<string, string>, knownTargets: readonly string[] = []): string[] {
  const folders = new Set<string>();
  let lastTop: string | undefined;
  for (const f of Object.keys(files)) {
    const first = f.indexOf('/');
    const top = first < 0 ? f : f.slice(0, first);
    const second = first < 0 ? -1 : f.indexOf('/', first + 1);
    if (second >= 0) folders.add(f.slice(0, second));
    // Every file of a site starts with the same folder: add its known-target folders once.
    if (top !== lastTop) {
      for (const t of knownTargets) folders.add(`${top}/${t}`);
      lastTop = top;
    }
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
  // Only a site folder staged whole and renamed into place meets this: something filled the folder meanwhile.
  ENOTEMPTY: 'a folder was created there while rendering',
};

function wrap(e: any, path: string, renamed: number, total: number): never {
  if (!e || typeof e.code !== 'string') throw e;
  const reason = e.reason ?? REASONS[e.code];
  const what = e.code === 'EISDIR' ? `${path} is a directory, not a file` : `${path}: ${reason ? `${reason} (${e.code})` : e.message}`;
  const state =
    renamed === 0
      ? 'no file was changed'
      : `${renamed} of ${total} changed files were already replaced; every file is whole (old or new): fix the problem and render again`;
  throw new WriteError(`${what}; ${state}`, e.code, e.syscall ?? 'write');
}

export interface SiteWriteCounts {
  written: number;
  unchanged: number;
  removed: number;
}

/**
 * What staging one site did, as plain data another thread can hand over: the files written to temp
 * names (`<dir>/.<name><suffix>`, renamed over `<root>/<rel>` by commit), the unchanged and stale files,
 * and the counts. Paths are kept relative: thousands of staged sites stay small in memory.
 * A site whose folder did not exist is staged whole instead: `folder` is set, and every written file
 * sits under its final name in the hidden folder `<root>/.<folder><suffix>`, which commit renames to
 * `<root>/<folder>` in one step.
 */
export interface StagedSite {
  root: string;
  suffix: string;
  folder?: string;
  written: string[];
  unchanged: string[];
  stale: string[];
  counts: SiteWriteCounts;
}

function tempPath(staged: StagedSite, rel: string): string {
  const slash = rel.lastIndexOf('/');
  return join(staged.root, rel.slice(0, slash + 1), `.${rel.slice(slash + 1)}${staged.suffix}`);
}

function tempFolder(staged: StagedSite, folder: string): string {
  return join(staged.root, `.${folder}${staged.suffix}`);
}

/** A path segment that is empty, `.` or `..`: such a path is left to join()'s normalising (the per-file path). */
const UNPLAIN_SEGMENT = /(?:^|\/)\.{0,2}(?:\/|$)/;

/**
 * The one folder every file is in, when the paths are plain (`<folder>/...`, no empty, `.` or `..`
 * segment), else undefined.
 */
function commonFolder(rels: string[]): string | undefined {
  let folder: string | undefined;
  for (const rel of rels) {
    const slash = rel.indexOf('/');
    if (slash < 0 || UNPLAIN_SEGMENT.test(rel)) return undefined;
    if (folder === undefined) folder = rel.slice(0, slash);
    else if (rel.length <= folder.length || !rel.startsWith(folder) || rel.charCodeAt(folder.length) !== 47 /* / */) return undefined;
  }
  return folder;
}

/**
 * Writes a new file (mode 0644, or exactly 0755 for a .sh script whatever the umask). The string goes
 * straight to fs.writeSync, which encodes it natively: writeFileSync would first copy it into a new
 * JS Buffer. A short write (a disk filling up) writes the rest from bytes, which then fails with the
 * real error, so no file is ever left cut short without one.
 */
function writeNew(path: string, content: string, executable: boolean): void {
  const fd = openSync(path, 'w', executable ? 0o755 : 0o644);
  try {
    if (executable) fchmodSync(fd, 0o755);
    const done = writeSync(fd, content);
    if (done !== Buffer.byteLength(content)) {
      const bytes = Buffer.from(content);
      for (let at = done; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes a site's changed files to temp files next to their targets (or, for a site folder that does
 * not exist yet, the whole site to one hidden temp folder). On a failure it removes what it wrote and
 * throws a WriteError; nothing else is touched.
 */
export function stageSite(root: string, files: Record<string, string>, knownTargets: readonly string[]): StagedSite {
  const staged: StagedSite = { root, suffix: `.chargewall-${process.pid}-${stageThread}-${++stageCount}.tmp`, written: [], unchanged: [], stale: [], counts: { written: 0, unchanged: 0, removed: 0 } };
  let current = root;
  try {
    const rels = Object.keys(files).sort();
    const folder = commonFolder(rels);
    // lstat, not exists: a dangling link where the folder goes is left to the per-file path.
    if (folder !== undefined && !lstatSync(join(root, folder), { throwIfNoEntry: false })) {
      stageFolder(staged, folder, rels, files, (path) => (current = path));
      return staged;
    }
    // A site folder that does not exist yet holds no file to compare or remove: one check instead of one per file.
    let fresh = true;
    const checked = new Set<string>();
    for (const rel of rels) {
      const top = rel.split('/', 1)[0];
      if (checked.has(top)) continue;
      checked.add(top);
      if (existsSync(join(root, top))) {
        fresh = false;
        break;
      }
    }
    // Stale files are listed before any temp file exists next to them. The walk also tells which
    // paths in the owned folders exist (every rendered path two folders deep is in one).
    const seen = new Set<string>();
    staged.stale = fresh ? [] : existingFiles(root, ownedFolders(files, knownTargets), seen).filter((f) => !(f in files));
    const madeDirs = new Set<string>();
    for (const rel of rels) {
      const content = files[rel];
      const path = join(root, rel);
      current = path;
      // Only an existing path is read: a missing file costs no thrown error.
      if (!fresh && (isInOwnedFolder(rel) ? seen.has(rel) : existsSync(path)) && readIfFile(path) === content) {
        staged.unchanged.push(rel);
        staged.counts.unchanged++;
        continue;
      }
      const dir = dirname(path);
      if (!madeDirs.has(dir)) {
        current = dir;
        mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
        current = path;
      }
      staged.written.push(rel);
      writeNew(tempPath(staged, rel), content, rel.endsWith('.sh'));
      staged.counts.written++;
    }
    staged.counts.removed = staged.stale.length;
  } catch (e) {
    discardStaged(staged);
    wrap(e, current, 0, 0);
  }
  return staged;
}

/**
 * Stages a site whose folder does not exist: every file under its final name in one hidden temp folder.
 * `at` is told the path (as the user will know it) being made, for the error message.
 */
function stageFolder(staged: StagedSite, folder: string, rels: string[], files: Record<string, string>, at: (path: string) => void): void {
  staged.folder = folder;
  const temp = tempFolder(staged, folder);
  const target = join(staged.root, folder);
  at(target);
  try {
    mkdirSync(temp);
  } catch (e: any) {
    if (e?.code !== 'ENOENT') throw e;
    // No output folder yet.
    at(staged.root);
    mkdirSync(staged.root, { recursive: true });
    at(target);
    mkdirSync(temp);
  }
  // The paths are plain (commonFolder): string building gives what join() would.
  let madeDir = folder;
  for (const rel of rels) {
    const slash = rel.lastIndexOf('/');
    if (slash !== madeDir.length || !rel.startsWith(madeDir)) {
      const dir = rel.slice(0, slash);
      at(`${target}${dir.slice(folder.length)}`);
      mkdirSync(`${temp}${dir.slice(folder.length)}`, { recursive: true });
      madeDir = dir;
    }
    const tail = rel.slice(folder.length);
    at(`${target}${tail}`);
    staged.written.push(rel);
    writeNew(`${temp}${tail}`, files[rel], rel.endsWith('.sh'));
  }
  staged.counts.written = rels.length;
}

/** A plain path at least two folders deep: ownedFolders lists its folder, so the walk met it if it exists. */
function isInOwnedFolder(rel: string): boolean {
  const first = rel.indexOf('/');
  return first > 0 && rel.indexOf('/', first + 1) > first + 1 && !UNPLAIN_SEGMENT.test(rel);
}

/** Removes a staged site's temp files or temp folder (a failed run, or a site dropped after staging). */
export function discardStaged(staged: StagedSite): void {
  if (staged.folder !== undefined) rmSync(tempFolder(staged, staged.folder), { recursive: true, force: true });
  else for (const rel of staged.written) rmSync(tempPath(staged, rel), { force: true });
  staged.written.length = 0;
  staged.folder = undefined;
}

/**
 * Writes only changed files, all-or-nothing across every site of a run, with little memory:
 * stage() writes each changed file of a site to a temp file next to its target and forgets the text;
 * commit() renames every temp file over its target and removes stale files. A failure while staging
 * (disk full, permissions, a directory in the way) removes every temp file, so no existing file is
 * changed and none is left half-written. Sites staged on another thread join with adopt().
 */
export class OutputWriter {
  private readonly pending: StagedSite[] = [];
  private readonly report: WriteReport = { written: [], unchanged: [], removed: [] };

  constructor(private readonly root: string, private readonly knownTargets: readonly string[] = []) {}

  /** Stages one site's files (paths relative to root). Returns what commit() will do for them. */
  stage(files: Record<string, string>): SiteWriteCounts {
    try {
      return this.adopt(stageSite(this.root, files, this.knownTargets));
    } catch (e) {
      this.abort();
      throw e;
    }
  }

  /** Takes over a site staged elsewhere (stageSite on a worker thread): commit() and abort() now cover it. */
  adopt(staged: StagedSite): SiteWriteCounts {
    this.pending.push(staged);
    return staged.counts;
  }

  /** Removes every temp file: nothing staged reaches its target. */
  abort(): void {
    for (const staged of this.pending) discardStaged(staged);
    this.pending.length = 0;
  }

  /**
   * Renames every staged file over its target (a site staged whole: its temp folder to the site
   * folder) and removes stale files.
   */
  commit(): WriteReport {
    let total = 0;
    for (const staged of this.pending) total += staged.written.length;
    let renamed = 0;
    let current = this.root;
    try {
      // A site folder that appeared since its site was staged whole (another program, another run)
      // stops the run here, before any file is changed: a rename would replace an empty folder and
      // fail on a full one half-way through.
      for (const staged of this.pending) {
        if (staged.folder === undefined) continue;
        current = join(staged.root, staged.folder);
        if (lstatSync(current, { throwIfNoEntry: false })) throw Object.assign(new Error('exists'), { code: 'EEXIST', syscall: 'rename', reason: 'it was created while rendering' });
      }
      for (const staged of this.pending) {
        for (const rel of staged.unchanged) this.report.unchanged.push(rel);
        if (staged.folder !== undefined) {
          current = join(staged.root, staged.folder);
          renameSync(tempFolder(staged, staged.folder), current);
          staged.folder = undefined;
          for (const rel of staged.written) this.report.written.push(rel);
          renamed += staged.written.length;
          staged.written.length = 0;
          continue;
        }
        while (staged.written.length) {
          const rel = staged.written[0];
          current = join(staged.root, rel);
          renameSync(tempPath(staged, rel), current);
          staged.written.shift();
          this.report.written.push(rel);
          renamed++;
        }
      }
      for (const staged of this.pending) {
        for (const rel of staged.stale) {
          current = join(staged.root, rel);
          rmSync(current, { force: true });
          this.report.removed.push(rel);
        }
      }
    } catch (e) {
      this.abort();
      wrap(e, current, renamed, total);
    }
    this.pending.length = 0;
    return this.report;
  }
}

/** Stages and commits one set of files (one or more sites). */
export function writeFiles(root: string, files: Record<string, string>, knownTargets: readonly string[] = []): WriteReport {
  const writer = new OutputWriter(root, knownTargets);
  writer.stage(files);
  return writer.commit();
}
