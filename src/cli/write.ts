import { chmodSync, closeSync, fchmodSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { kindOf, NotRegularError, readRegularFile } from '../util/files.js';
import { staleTemps } from './lock.js';
import { buildManifest, hashText, isPlainRel, MANIFEST, manifestText, parseManifest, targetOf, type Manifest, type SiteMeta } from './manifest.js';
import { indexFiles, type IndexFiles } from './stat-index.js';

/**
 * What render may touch in the output folder, and how it writes:
 * - a site folder is chargewall's when it holds a chargewall manifest (or is new, or empty); any other
 *   folder with the site's name is refused, nothing written;
 * - no symbolic link is followed below the output folder: a link where a site folder, target folder or
 *   file goes is refused; only regular files are read (a FIFO or device is refused without blocking);
 * - a file is removed only when the previous manifest lists it, it still holds what chargewall wrote,
 *   and its target is one this render covers (`-t` leaves the other targets' files alone);
 * - every changed file is staged to a temp file and renamed in one commit at the end of the run.
 */

export interface Drift {
  stale: string[];
  missing: string[];
  extra: string[];
  /** Things that stop a render (a foreign folder, a link, a FIFO): the site cannot be checked or written. */
  refused: string[];
  /** Temp files of killed renders inside the site folder. */
  temps: string[];
}

export interface WriteReport {
  written: string[];
  unchanged: string[];
  removed: string[];
}

/** One site as a render produced it: files relative to the site folder, and what the manifest records. */
export interface SiteOutput {
  id: string;
  files: Record<string, string>;
  meta: SiteMeta;
  /** `-t` named the targets: other targets' files and manifest entries stay as they are. */
  subset: boolean;
  /** Files (relative to the site folder) holding a secret: written with mode 0600. */
  secrets: string[];
}

let stageCount = 0;
let stageThread = 0;

/** A worker thread names its temp files with its thread id (set once at its start; the main thread is 0). */
export function setStageThread(id: number): void {
  stageThread = id;
}

/** A file-system failure or a refusal, named by the file it hit, saying what was and was not changed. */
export class WriteError extends Error {
  constructor(message: string, readonly code: string, readonly syscall: string) {
    super(message);
    this.name = 'WriteError';
  }
}

/** Render will not touch this site folder (not chargewall's, a link, a FIFO): nothing is written. */
function refuse(message: string): never {
  throw new WriteError(`${message}; nothing was written`, 'EREFUSED', 'open');
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
  if (e instanceof WriteError) throw e;
  if (e instanceof NotRegularError) refuse(`${e.message}: chargewall reads and replaces only regular files in the output folder`);
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

/** What is at `<root>/<id>` before a render. */
export interface SiteState {
  /** fresh: nothing there; empty: an empty folder; owned: a folder with our manifest; legacy: an older chargewall's folder without one. */
  kind: 'fresh' | 'empty' | 'owned' | 'legacy';
  previous?: Manifest;
}

/** A path component that must be a real folder (or absent): never a link out of the output folder. */
function checkFolder(root: string, rel: string): 'missing' | 'folder' {
  const st = lstatSync(join(root, rel), { throwIfNoEntry: false });
  if (!st) return 'missing';
  if (st.isDirectory()) return 'folder';
  if (st.isSymbolicLink()) refuse(`${join(root, rel)} is a symbolic link: chargewall never writes or removes through a link; replace it with a folder (or remove it)`);
  throw Object.assign(new Error('in the way'), { code: 'ENOTDIR', syscall: 'mkdir', path: join(root, rel) });
}

/** Every folder between the site folder and `rel` (relative to root) is a real folder or absent. */
function checkFolders(root: string, rel: string, checked: Map<string, 'missing' | 'folder'>): 'missing' | 'folder' {
  let state: 'missing' | 'folder' = 'folder';
  for (let i = rel.indexOf('/'); i >= 0; i = rel.indexOf('/', i + 1)) {
    const dir = rel.slice(0, i);
    let s = checked.get(dir);
    if (s === undefined) {
      s = state === 'missing' ? 'missing' : checkFolder(root, dir);
      checked.set(dir, s);
    }
    state = s;
  }
  return state;
}

/**
 * Whose is `<root>/<id>`? Refuses a link, a file, a foreign folder and a damaged manifest.
 */
export function inspectSite(root: string, id: string): SiteState {
  const dir = join(root, id);
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (!st) return { kind: 'fresh' };
  if (st.isSymbolicLink()) refuse(`${dir} is a symbolic link: chargewall never writes through a link out of the output folder; replace it with a folder`);
  if (!st.isDirectory()) refuse(`${dir} is ${kindOf(st)}, where the site folder goes; move it away`);
  let text: string | undefined;
  try {
    text = readRegularFile(join(dir, MANIFEST), { follow: false });
  } catch (e) {
    if (e instanceof NotRegularError) refuse(`${e.message}: a chargewall manifest is a regular file`);
    throw e;
  }
  if (text !== undefined) {
    const m = parseManifest(text, id);
    if (typeof m === 'string') refuse(`${join(dir, MANIFEST)}: ${m}; chargewall will not guess what it owns there: fix or remove the folder`);
    return { kind: 'owned', previous: m };
  }
  // Empty: nothing but (empty) folders below it; nothing of anyone's to lose.
  if (!hasFiles(dir)) return { kind: 'empty' };
  // A folder an older chargewall wrote (before manifests): its report names chargewall. Files are
  // replaced, none is removed; the manifest written now makes it an owned folder.
  let readme: string | undefined;
  try {
    readme = readRegularFile(join(dir, 'README.md'), { follow: false });
  } catch {}
  if (readme !== undefined && /^Generated by chargewall \S+ from the spec with hash/m.test(readme.slice(0, 8192))) return { kind: 'legacy' };
  refuse(`${dir} exists and chargewall did not create it (no ${MANIFEST}): choose another --out or site id, or move the folder away`);
}

function hasFiles(dir: string): boolean {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return false;
  }
  for (const name of names) {
    const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (!st) continue;
    if (!st.isDirectory() || hasFiles(join(dir, name))) return true;
  }
  return false;
}

/** The comparison of one site's render with its folder: what a render would write, keep and remove. */
export interface SiteComparison {
  id: string;
  state: SiteState;
  manifest: Manifest;
  /** Every file the render produces (relative to the site folder), the manifest included. */
  files: Record<string, string>;
  /** Paths (relative to the site folder) that differ from the render or are missing. */
  changed: string[];
  missing: string[];
  unchanged: string[];
  /** Files chargewall wrote that this render no longer produces, unchanged since: removed. */
  remove: string[];
  /** Would be removed, but edited by hand since chargewall wrote them: left alone (and left out of the manifest). */
  keptEdited: string[];
  /** Files the previous manifest lists whose bytes differ from what chargewall wrote: edited by hand. */
  handEdited: string[];
  /** Secret files whose mode is not 0600. */
  modeFix: string[];
  /** Temp files of killed renders in the site folder (relative to it). */
  temps: string[];
  /** What is on disk now, for the paths that differ (when asked for). */
  disk: Record<string, string | undefined>;
  notes: string[];
}

/**
 * Compares a rendered site with what is on disk, reading only regular files and following no link.
 * Throws a WriteError (EREFUSED) when the folder is not chargewall's to touch.
 */
export function compareSite(root: string, out: SiteOutput, keepText = false): SiteComparison {
  const id = out.id;
  const state = inspectSite(root, id);
  const previous = state.previous;
  const manifest = buildManifest(id, out.meta, out.files, out.secrets, previous, out.subset);
  const files: Record<string, string> = { ...out.files, [MANIFEST]: manifestText(manifest) };
  const cmp: SiteComparison = { id, state, manifest, files, changed: [], missing: [], unchanged: [], remove: [], keptEdited: [], handEdited: [], modeFix: [], temps: [], disk: {}, notes: [] };
  const rels = Object.keys(files).sort();
  if (state.kind === 'fresh') {
    cmp.changed = rels;
    cmp.missing = rels;
    return cmp;
  }
  const checked = new Map<string, 'missing' | 'folder'>([[id, 'folder']]);
  const secrets = new Set(manifest.secrets);
  const readAt = (rel: string): string | undefined => {
    const full = `${id}/${rel}`;
    if (checkFolders(root, full, checked) === 'missing') return undefined;
    return readRegularFile(join(root, full), { follow: false });
  };
  for (const rel of rels) {
    if (!isPlainRel(rel)) throw new Error(`render produced an unsafe path '${rel}'`);
    let current: string | undefined;
    try {
      current = readAt(rel);
    } catch (e: any) {
      if (e?.code === 'EISDIR') refuse(`${join(root, id, rel)} is a directory, not a file`);
      throw e;
    }
    const content = files[rel];
    if (current === content) {
      cmp.unchanged.push(rel);
      if (secrets.has(rel)) {
        const mode = lstatSync(join(root, id, rel)).mode & 0o777;
        if (mode !== modeFor(rel, secrets)) cmp.modeFix.push(rel);
      }
      continue;
    }
    cmp.changed.push(rel);
    if (current === undefined) cmp.missing.push(rel);
    if (keepText) cmp.disk[rel] = current;
    if (current === undefined || rel === MANIFEST) continue;
    const recorded = previous?.files[rel];
    if (recorded === undefined) {
      // A file at a path chargewall generates, but not one it wrote: the admin's (or a backup placed there).
      if (state.kind === 'owned') refuse(`${join(root, id, rel)} exists and chargewall did not write it (it is not in ${MANIFEST}): move it away, then render again`);
    } else if (hashText(current) !== recorded) cmp.handEdited.push(rel);
  }
  // Files chargewall wrote before and does not write now, in the targets this render covers.
  if (previous) {
    const kept = new Set(out.subset ? Object.keys(previous.targets).filter((t) => !out.meta.plans[t]) : []);
    const dropped = new Set<string>();
    for (const [rel, recorded] of Object.entries(previous.files)) {
      if (rel in files) continue;
      const t = targetOf(rel);
      if (t !== undefined && kept.has(t)) continue;
      let current: string | undefined;
      try {
        current = readAt(rel);
      } catch (e: any) {
        if (e?.code === 'EISDIR') continue; // a folder the admin made there is not a file chargewall wrote
        throw e;
      }
      if (keepText) cmp.disk[rel] = current;
      if (current === undefined) continue;
      if (hashText(current) === recorded) {
        cmp.remove.push(rel);
        if (t !== undefined && !out.meta.plans[t]) dropped.add(t);
      } else cmp.keptEdited.push(rel);
    }
    cmp.remove.sort();
    for (const t of [...dropped].sort()) cmp.notes.push(`${t}: not among this render's targets (the spec's targets:), so its files are removed; name it with -t to keep rendering it`);
    for (const rel of cmp.keptEdited) cmp.notes.push(`${rel}: no longer rendered, but edited by hand since chargewall wrote it: left in place, no longer chargewall's`);
  } else if (state.kind === 'legacy') {
    cmp.notes.push(`no ${MANIFEST} (written by an older chargewall): files are replaced, none is removed; from now on the manifest records what chargewall owns`);
  }
  for (const rel of cmp.handEdited) cmp.notes.push(`${rel}: edited by hand since chargewall wrote it; the render replaces the edit`);
  // Temp files of killed renders, in the site folder and its target folders.
  const dirs = new Set<string>(['']);
  for (const rel of [...rels, ...Object.keys(previous?.files ?? {})]) {
    const slash = rel.lastIndexOf('/');
    if (slash > 0) dirs.add(rel.slice(0, slash));
  }
  for (const d of [...dirs].sort()) {
    if (d && checked.get(`${id}/${d}`) === 'missing') continue;
    for (const t of staleTemps(join(root, id, d))) cmp.temps.push(d ? `${d}/${t.name}` : t.name);
  }
  return cmp;
}

/** --check: what differs between the rendered site and its folder. Writes nothing. */
export function checkSite(root: string, out: SiteOutput): Drift {
  const drift: Drift = { stale: [], missing: [], extra: [], refused: [], temps: [] };
  let cmp: SiteComparison;
  try {
    cmp = compareSite(root, out);
  } catch (e) {
    if (e instanceof WriteError && e.code === 'EREFUSED') {
      drift.refused.push(e.message.replace(/; nothing was written$/, ''));
      return drift;
    }
    if (e instanceof NotRegularError) {
      drift.refused.push(e.message);
      return drift;
    }
    throw e;
  }
  const missing = new Set(cmp.missing);
  for (const rel of cmp.changed) (missing.has(rel) ? drift.missing : drift.stale).push(`${out.id}/${rel}`);
  drift.extra = cmp.remove.map((rel) => `${out.id}/${rel}`);
  drift.temps = cmp.temps.map((rel) => `${out.id}/${rel}`);
  return drift;
}

/**
 * What staging one site did, as plain data another thread can hand over: the files written to temp
 * names (`<dir>/.<name><suffix>`, renamed over `<root>/<rel>` by commit), the unchanged and stale files,
 * and the counts. Paths are relative to root. A site whose folder did not exist is staged whole
 * instead: `folder` is set, and every file of the site (`indexed.rels`) sits under its final name in
 * the hidden folder `<root>/.<folder><suffix>`, which commit renames to `<root>/<folder>` in one step.
 */
export interface StagedSite {
  root: string;
  suffix: string;
  folder?: string;
  /** Temp files to rename (relative to root); none for a site staged whole, whose files are `indexed.rels`. */
  written: string[];
  unchanged: string[];
  /** Files to remove at commit (chargewall's, no longer rendered, unchanged since written). */
  stale: string[];
  /** Temp files of killed renders to remove at commit. */
  temps: string[];
  /** Secret files to set to mode 0600 at commit. */
  modeFix: string[];
  notes: string[];
  /** Every file of the site holding a secret (relative to root), written now or unchanged. */
  secrets: string[];
  /** What the index records of the site, taken at staging and kept until the commit (stat-index.ts). */
  indexed: IndexFiles;
  counts: SiteWriteCounts;
}

function tempPath(staged: StagedSite, rel: string): string {
  const slash = rel.lastIndexOf('/');
  return join(staged.root, rel.slice(0, slash + 1), `.${rel.slice(slash + 1)}${staged.suffix}`);
}

function tempFolder(staged: StagedSite, folder: string): string {
  return join(staged.root, `.${folder}${staged.suffix}`);
}

/**
 * Writes a new file: 0600 for a file holding a secret, exactly 0755 for a .sh script whatever the
 * umask, else 0644 less the umask. A short write (a disk filling up) writes the rest from bytes,
 * which then fails with the real error, so no file is ever left cut short without one.
 */
function writeNew(path: string, content: string, mode: FileMode): void {
  const fd = openSync(path, 'wx', mode === 'plain' ? 0o644 : mode);
  try {
    if (mode !== 'plain') fchmodSync(fd, mode);
    const done = writeSync(fd, content);
    if (done !== Buffer.byteLength(content)) {
      const bytes = Buffer.from(content);
      for (let at = done; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    }
  } finally {
    closeSync(fd);
  }
}

/** An exact mode (set whatever the umask), or 'plain': 0644 less the umask. */
type FileMode = number | 'plain';

/** A file holding a secret: owner only (0600, a script 0700); a script 0755; else plain. */
function modeFor(rel: string, secrets: Set<string>): FileMode {
  const exec = rel.endsWith('.sh');
  return secrets.has(rel) ? (exec ? 0o700 : 0o600) : exec ? 0o755 : 'plain';
}

/** The manifest goes last: a run killed mid-commit leaves the previous manifest, which still names what it owns. */
function commitOrder(rels: string[]): string[] {
  return [...rels.filter((r) => r !== MANIFEST), ...rels.filter((r) => r === MANIFEST)];
}

/** A staged site with nothing staged yet (temp files named with `suffix`). */
export function emptyStage(root: string, suffix: string): StagedSite {
  return {
    root,
    suffix,
    written: [],
    unchanged: [],
    stale: [],
    temps: [],
    modeFix: [],
    notes: [],
    secrets: [],
    indexed: { rels: [], manifest: '' },
    counts: { written: 0, unchanged: 0, removed: 0 },
  };
}

/**
 * Writes a site's changed files to temp files next to their targets (or, for a site folder that does
 * not exist yet, the whole site to one hidden temp folder). On a failure it removes what it wrote and
 * throws a WriteError; nothing else is touched.
 */
export function stageSite(root: string, out: SiteOutput): StagedSite {
  const staged = emptyStage(root, `.chargewall-${process.pid}-${stageThread}-${++stageCount}.tmp`);
  let current = join(root, out.id);
  try {
    const cmp = compareSite(root, out);
    const id = out.id;
    const secrets = new Set(cmp.manifest.secrets);
    staged.notes = cmp.notes.map((n) => `${id}/${n}`);
    staged.secrets = cmp.manifest.secrets.map((rel) => `${id}/${rel}`);
    // For a new site these are all its files: a batch keeps this one list per site until the commit.
    staged.indexed = indexFiles(Object.keys(cmp.manifest.files), hashText(cmp.files[MANIFEST]));
    if (cmp.state.kind === 'fresh') {
      stageFolder(staged, id, cmp.files, secrets, (path) => (current = path));
      return staged;
    }
    staged.unchanged = cmp.unchanged.map((rel) => `${id}/${rel}`);
    staged.counts.unchanged = cmp.unchanged.length;
    const madeDirs = new Set<string>();
    for (const rel of commitOrder(cmp.changed)) {
      const path = join(root, id, rel);
      const dir = dirname(path);
      if (!madeDirs.has(dir)) {
        current = dir;
        mkdirSync(dir, { recursive: true });
        madeDirs.add(dir);
      }
      current = path;
      staged.written.push(`${id}/${rel}`);
      writeNew(tempPath(staged, `${id}/${rel}`), cmp.files[rel], modeFor(rel, secrets));
    }
    // The manifest is bookkeeping: the counts are the files an admin deploys.
    staged.counts.written = cmp.changed.filter((r) => r !== MANIFEST).length;
    staged.counts.unchanged -= cmp.unchanged.includes(MANIFEST) ? 1 : 0;
    staged.stale = cmp.remove.map((rel) => `${id}/${rel}`);
    staged.temps = cmp.temps.map((rel) => `${id}/${rel}`);
    staged.modeFix = cmp.modeFix.map((rel) => `${id}/${rel}`);
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
function stageFolder(staged: StagedSite, folder: string, files: Record<string, string>, secrets: Set<string>, at: (path: string) => void): void {
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
  const made = new Set<string>();
  for (const rel of Object.keys(files).sort()) {
    const slash = rel.lastIndexOf('/');
    if (slash > 0 && !made.has(rel.slice(0, slash))) {
      at(join(target, rel.slice(0, slash)));
      mkdirSync(join(temp, rel.slice(0, slash)), { recursive: true });
      made.add(rel.slice(0, slash));
    }
    at(join(target, rel));
    writeNew(join(temp, rel), files[rel], modeFor(rel, secrets));
  }
  // The manifest is bookkeeping: the count is the files an admin deploys.
  staged.counts.written = Object.keys(files).length - 1;
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
 * (disk full, permissions, a directory in the way, a folder chargewall does not own) removes every
 * temp file, so no existing file is changed and none is left half-written. Sites staged on another
 * thread join with adopt().
 */
export class OutputWriter {
  private readonly pending: StagedSite[] = [];
  private readonly report: WriteReport = { written: [], unchanged: [], removed: [] };

  constructor(private readonly root: string) {}

  /** Stages one site. Returns what commit() will do for it. */
  stage(out: SiteOutput): SiteWriteCounts {
    try {
      return this.adopt(stageSite(this.root, out));
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
   * folder), then removes stale files and temp files of killed renders.
   */
  commit(): WriteReport {
    let total = 0;
    for (const staged of this.pending) total += staged.folder !== undefined ? staged.indexed.rels.length : staged.written.length;
    let renamed = 0;
    let current = this.root;
    try {
      // A site folder that appeared since its site was staged whole (another program, another run)
      // stops the run here, before any file is changed.
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
          for (const rel of staged.indexed.rels) this.report.written.push(`${staged.folder}/${rel}`);
          renamed += staged.indexed.rels.length;
          staged.folder = undefined;
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
        const emptied = new Set<string>();
        for (const rel of staged.stale) {
          current = join(staged.root, rel);
          rmSync(current, { force: true });
          this.report.removed.push(rel);
          emptied.add(dirname(current));
        }
        // A target folder whose last file chargewall removed goes too; one holding anything else stays.
        for (const dir of [...emptied].sort().reverse()) {
          try {
            rmdirSync(dir);
          } catch {}
        }
        for (const rel of staged.temps) rmSync(join(staged.root, rel), { recursive: true, force: true });
        for (const rel of staged.modeFix) chmodSync(join(staged.root, rel), rel.endsWith('.sh') ? 0o700 : 0o600);
      }
    } catch (e) {
      this.abort();
      wrap(e, current, renamed, total);
    }
    this.pending.length = 0;
    return this.report;
  }
}

/**
 * Writes plain files below `root` (not sites: no manifest), each atomically (temp file + rename).
 * For `init`. A link where a file goes is replaced, never followed.
 */
export function writeFiles(root: string, files: Record<string, string>): WriteReport {
  const report: WriteReport = { written: [], unchanged: [], removed: [] };
  const suffix = `.chargewall-${process.pid}-${stageThread}-${++stageCount}.tmp`;
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    const temp = join(dirname(path), `.${rel.slice(rel.lastIndexOf('/') + 1)}${suffix}`);
    try {
      writeNew(temp, content, rel.endsWith('.sh') ? 0o755 : 'plain');
      renameSync(temp, path);
    } catch (e) {
      rmSync(temp, { force: true });
      wrap(e, path, 0, 0);
    }
    report.written.push(rel);
  }
  return report;
}
