import { closeSync, lstatSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic } from '../spec/diagnostics.js';
import { readRegularFile } from '../util/files.js';
import { sha256Hex } from '../util/sha256.js';
import { staleTemps } from './lock.js';
import { MANIFEST } from './manifest.js';

/**
 * The incremental check, as git's index does it: `<out>/.chargewall-index.json` is a local record
 * (not part of the output; safe to delete, best kept out of git) of what the last render wrote for
 * each spec: the hashes of its inputs (spec bytes, custom profile bytes, generator version, options)
 * and, for every file and folder of its site, the SHA-256 with the size, modification time and inode
 * seen right after the write. A site whose inputs hash the same and whose files all still match is up
 * to date without rendering: output is deterministic in those inputs. A file whose metadata differ, or
 * whose mtime is too close to the index's own write to be trusted (a change in the same clock tick
 * would not show), is read and hashed again; any doubt means render.
 */
export const INDEX_NAME = '.chargewall-index.json';
export const INDEX_FORMAT = 'chargewall-index/2';
/** A file modified less than this before the index was written is re-hashed (coarse mtime clocks). */
const RACY_MS = 2000;

/** [size, mtimeMs, inode, ctimeMs]: ctime changes with any write or metadata change, even an mtime set back. */
export type Stamp = [number, number, number, number];
/** Numbers per file in `IndexEntry.stamps` and per folder in `IndexEntry.dirStamps`. */
const FILE_STAMP = 4;
const DIR_STAMP = 2;

/**
 * One spec's entry. Stamps are flat number arrays next to the list of paths, not records keyed by
 * path: those keys hold the site id (chargewall-<site>.interfaces), so JSON.parse gave every site its
 * own hidden classes, and reading the index of 10 000 sites (39 MB) took 480 ms; flat, 155 ms.
 */
export interface IndexEntry {
  id: string;
  /** Hash of the options and generator: targets asked for, -t subset, the values of the targets' flags. */
  key: string;
  /** SHA-256 of the spec's bytes. */
  spec: string;
  /** The spec argument as given (diagnostics name it). */
  specArg: string;
  profile?: { path: string; hash: string };
  /** The render's warnings, replayed when it is skipped. */
  diagnostics: Diagnostic[];
  /** SHA-256 of the manifest as written: the manifest's hashes of the other files are then trusted. */
  manifest: string;
  /** Paths relative to the site folder (the manifest included). */
  files: string[];
  /** A Stamp per file of `files`, in order, four numbers each. */
  stamps: number[];
  /** Folders (relative to the site folder, '' for the site folder): a new entry (a temp file) changes them. */
  dirs: string[];
  /** [mtimeMs, inode] per folder of `dirs`, in order. */
  dirStamps: number[];
}

export interface OutIndex {
  format: typeof INDEX_FORMAT;
  writtenAt: number;
  specs: Record<string, IndexEntry>;
}

export function optionsKey(generator: string, targets: string[] | 'default', subset: boolean, flags: string | undefined): string {
  return sha256Hex(JSON.stringify([generator, targets, subset, flags === undefined ? null : sha256Hex(flags)]));
}

export function readIndex(root: string): OutIndex | undefined {
  try {
    const text = readRegularFile(join(root, INDEX_NAME), { follow: false });
    if (text === undefined) return undefined;
    const data = JSON.parse(text);
    // An index from the future (a clock set back, or a file made by hand) would trust every stamp: not used.
    const sane = data?.format === INDEX_FORMAT && typeof data.writtenAt === 'number' && data.writtenAt <= Date.now() && data.specs && typeof data.specs === 'object';
    return sane ? data : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the site the entry describes is exactly as the last render left it (`specHash` is the SHA-256
 * of the spec's bytes now): false, 'clean' (every stamp trusted), or 'rehashed' (some file's bytes had to be compared
 * and matched: a render records fresh stamps, as `git status` refreshes its index).
 */
export function upToDate(root: string, index: OutIndex, entry: IndexEntry, key: string, specHash: string): false | 'clean' | 'rehashed' {
  if (entry.key !== key || entry.spec !== specHash) return false;
  if (entry.profile) {
    let text: string | undefined;
    try {
      text = readRegularFile(entry.profile.path);
    } catch {
      return false;
    }
    if (text === undefined || sha256Hex(text) !== entry.profile.hash) return false;
  }
  // Paths by concatenation: the index's own relative paths need no normalising (join cost 80 ms for 350 000).
  const site = join(root, entry.id);
  const trusted = (mtimeMs: number) => mtimeMs < index.writtenAt - RACY_MS;
  const { dirs, dirStamps, files, stamps } = entry;
  if (!Array.isArray(dirs) || !Array.isArray(files) || dirStamps?.length !== dirs.length * DIR_STAMP || stamps?.length !== files.length * FILE_STAMP) return false;
  for (let i = 0; i < dirs.length; i++) {
    const rel = dirs[i];
    const mtimeMs = dirStamps[i * DIR_STAMP];
    const dir = rel ? `${site}/${rel}` : site;
    const st = lstatSync(dir, { throwIfNoEntry: false });
    // A folder replaced (another inode, or a link now): render decides.
    if (!st?.isDirectory() || st.ino !== dirStamps[i * DIR_STAMP + 1]) return false;
    // Its entries may have changed (the admin's file, a killed render's temp file): only a temp file matters.
    if ((st.mtimeMs !== mtimeMs || !trusted(mtimeMs)) && staleTemps(dir).length) return false;
  }
  let rehashed = false;
  // The hashes to compare a file with when its metadata do not match: the manifest's, once its own bytes are verified.
  let hashes: Record<string, string> | undefined;
  const hashOf = (rel: string): string | undefined => {
    if (rel === MANIFEST) return entry.manifest;
    if (!hashes) {
      const text = readText(join(site, MANIFEST));
      if (text === undefined || sha256Hex(text) !== entry.manifest) return undefined;
      hashes = (JSON.parse(text) as { files: Record<string, string> }).files;
    }
    return hashes[rel];
  };
  for (let i = 0; i < files.length; i++) {
    const rel = files[i];
    const at = i * FILE_STAMP;
    const path = `${site}/${rel}`;
    const st = lstatSync(path, { throwIfNoEntry: false });
    if (!st?.isFile()) return false;
    const mtimeMs = stamps[at + 1];
    const ctimeMs = stamps[at + 3];
    if (st.size === stamps[at] && st.mtimeMs === mtimeMs && st.ino === stamps[at + 2] && st.ctimeMs === ctimeMs && trusted(Math.max(mtimeMs, ctimeMs))) continue;
    // Metadata differ, or too close to the index's write to be trusted: compare the bytes.
    const text = readText(path);
    const hash = hashOf(rel);
    if (text === undefined || hash === undefined || sha256Hex(text) !== hash) return false;
    rehashed = true;
  }
  return rehashed ? 'rehashed' : 'clean';
}

function readText(path: string): string | undefined {
  try {
    return readRegularFile(path, { follow: false });
  } catch {
    return undefined;
  }
}

/**
 * A staged site's files for the index: every file the manifest lists and the manifest itself
 * (relative to the site folder), and the manifest's SHA-256 (the index needs no other hash). An array,
 * not a record keyed by file: a batch keeps one per site until the commit, and a record whose keys
 * hold the site id (chargewall-<site>.interfaces…) kept ~30 hidden classes per site alive (with the
 * other files' hashes, 12 -> 7 KB held per site in a heap snapshot).
 */
export interface IndexFiles {
  rels: string[];
  manifest: string;
}

export function indexFiles(rels: string[], manifest: string): IndexFiles {
  return { rels: rels.includes(MANIFEST) ? rels : [...rels, MANIFEST], manifest };
}

/** Stamps every file and folder of a site as it is now (right after its commit). Undefined when anything is amiss. */
export function stampSite(root: string, id: string, indexed: IndexFiles): Pick<IndexEntry, 'files' | 'stamps' | 'dirs' | 'dirStamps' | 'manifest'> | undefined {
  const site = join(root, id);
  const stamps: number[] = [];
  const dirs: string[] = [];
  const dirStamps: number[] = [];
  const seen = new Set<string>();
  if (!indexed.manifest) return undefined;
  for (const rel of indexed.rels) {
    const st = lstatSync(join(site, rel), { throwIfNoEntry: false });
    if (!st?.isFile()) return undefined;
    stamps.push(st.size, st.mtimeMs, st.ino, st.ctimeMs);
    for (let i = rel.lastIndexOf('/'); ; i = rel.lastIndexOf('/', i - 1)) {
      const dir = i < 0 ? '' : rel.slice(0, i);
      if (seen.has(dir)) break;
      seen.add(dir);
      const d = lstatSync(dir ? join(site, dir) : site, { throwIfNoEntry: false });
      if (!d?.isDirectory()) return undefined;
      dirs.push(dir);
      dirStamps.push(d.mtimeMs, d.ino);
      if (i < 0) break;
    }
  }
  return { files: [...indexed.rels], stamps, dirs, dirStamps, manifest: indexed.manifest };
}

/** An index to write: its spec entries as a record, or as [spec, entry] pairs made while it is written. */
export type IndexToWrite = Omit<OutIndex, 'specs'> & { specs: OutIndex['specs'] | Iterable<[string, IndexEntry]> };

/**
 * Writes exactly `JSON.stringify(index)`, a spec entry at a time in pieces of about 1 MB: the index of
 * 10 000 sites is ~40 MB of JSON, which as one string and then one Buffer came at the end of a batch,
 * on top of everything else it holds. Entries given as pairs are taken one at a time (a batch stamps
 * each site as it goes), so no site's entry is held after its piece is written.
 */
function writeJson(fd: number, index: IndexToWrite): void {
  const put = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
  };
  let piece = '{';
  let key = 0;
  for (const [name, value] of Object.entries(index)) {
    if (name !== 'specs') {
      const text = JSON.stringify(value);
      if (text !== undefined) piece += `${key++ ? ',' : ''}${JSON.stringify(name)}:${text}`;
      continue;
    }
    piece += `${key++ ? ',' : ''}"specs":{`;
    let entry = 0;
    const specs = value as IndexToWrite['specs'];
    for (const [spec, e] of Symbol.iterator in specs ? specs : Object.entries(specs)) {
      piece += `${entry++ ? ',' : ''}${JSON.stringify(spec)}:${JSON.stringify(e)}`;
      if (piece.length >= 1 << 20) {
        put(piece);
        piece = '';
      }
    }
    piece += '}';
  }
  put(`${piece}}`);
}

/** Writes the index atomically (temp file + rename). A failure only costs the next check its speed. */
export function writeIndex(root: string, index: IndexToWrite): void {
  const path = join(root, INDEX_NAME);
  const temp = join(root, `.chargewall-index.json.chargewall-${process.pid}-0-0.tmp`);
  try {
    const fd = openSync(temp, 'w', 0o644);
    try {
      writeJson(fd, index);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch {
    rmSync(temp, { force: true });
  }
}
