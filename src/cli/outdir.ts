import type * as cpType from 'node:child_process';
import { lazyRequire } from '../util/lazy-require.js';
import { existsSync, lstatSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { readRegularFile } from '../util/files.js';
import { staleTemps } from './lock.js';
import { hashText, MANIFEST, parseManifest, type Manifest } from './manifest.js';

/** node:child_process on first use: loading it costs ~4 ms of every run, and only a git question needs it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const spawnSync = ((...args: any[]) => (lazyRequire('node:child_process') as typeof cpType).spawnSync(...(args as [string]))) as typeof cpType.spawnSync;

/** The output folder as a whole: orphan site folders, temp folders of killed renders, secrets and git. */

/** Site folders in `root` that hold a chargewall manifest for their own name and are not in `rendered`. */
export function orphanSites(root: string, rendered: Set<string>): { id: string; manifest: Manifest }[] {
  let names: string[];
  try {
    names = readdirSync(root).sort();
  } catch {
    return [];
  }
  const found: { id: string; manifest: Manifest }[] = [];
  for (const id of names) {
    if (id.startsWith('.') || rendered.has(id)) continue;
    const st = lstatSync(join(root, id), { throwIfNoEntry: false });
    if (!st?.isDirectory()) continue;
    let text: string | undefined;
    try {
      text = readRegularFile(join(root, id, MANIFEST), { follow: false });
    } catch {
      continue;
    }
    if (text === undefined) continue;
    const m = parseManifest(text, id);
    if (typeof m !== 'string') found.push({ id, manifest: m });
  }
  return found;
}

/**
 * Removes an orphan site folder chargewall owns: each file its manifest lists that still holds what
 * chargewall wrote (regular files only, no link followed), then the manifest and the folders left
 * empty. Anything else stays, and is returned, with the folder.
 */
export function pruneSite(root: string, id: string, manifest: Manifest): { removed: number; kept: string[] } {
  const dir = join(root, id);
  const kept: string[] = [];
  let removed = 0;
  const dirs = new Set<string>();
  for (const [rel, recorded] of Object.entries(manifest.files)) {
    const path = join(dir, rel);
    // Every folder on the way must be a real folder: never follow a link out of the output folder.
    let ok = true;
    for (let d = dirname(path); d.length > dir.length; d = dirname(d)) {
      const st = lstatSync(d, { throwIfNoEntry: false });
      if (!st?.isDirectory()) ok = false;
      dirs.add(d);
    }
    if (!ok) continue;
    let text: string | undefined;
    try {
      text = readRegularFile(path, { follow: false });
    } catch {
      continue;
    }
    if (text === undefined) continue;
    if (hashText(text) !== recorded) {
      kept.push(rel);
      continue;
    }
    rmSync(path);
    removed++;
  }
  for (const t of staleTemps(dir)) rmSync(join(dir, t.name), { recursive: true, force: true });
  if (!kept.length) rmSync(join(dir, MANIFEST), { force: true });
  for (const d of [...dirs].sort().reverse()) {
    try {
      rmdirSync(d);
    } catch {}
  }
  try {
    rmdirSync(dir);
  } catch {
    if (!kept.length) kept.push(...filesBelow(dir));
  }
  return { removed, kept };
}

/** Removes temp files and folders of killed renders at the top of the output folder; returns their names. */
export function cleanRootTemps(root: string): string[] {
  const found = staleTemps(root);
  for (const t of found) rmSync(join(root, t.name), { recursive: true, force: true });
  return found.map((t) => t.name);
}

/**
 * Which of these files (absolute paths in `root`) git would commit: `root` is inside a git work tree
 * and the file is tracked or not ignored. Undefined when no git work tree holds `root`. Throws a
 * message when a work tree seems to be there but git cannot be asked.
 */
export function gitWouldCommit(root: string, files: string[]): { top: string; files: string[]; tracked: Set<string> } | undefined {
  const git = (args: string[], input?: string) => spawnSync('git', ['-C', root, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
  const top = git(['rev-parse', '--show-toplevel']);
  if (top.error) {
    // No git program: look for a .git folder or file above the output folder ourselves.
    for (let d = resolve(root); ; d = dirname(d)) {
      if (existsSync(join(d, '.git'))) throw new Error(`${d} looks like a git work tree, but git cannot be run to ask which files it ignores (${top.error.message})`);
      if (dirname(d) === d) return undefined;
    }
  }
  if (top.status !== 0) return undefined;
  const rels = files.map((f) => relative(root, f));
  // check-ignore lists the ignored paths; a tracked file is never listed (git commits its changes).
  const ignored = git(['check-ignore', '--stdin', '-z'], rels.map((r) => r + '\0').join(''));
  if (ignored.status !== 0 && ignored.status !== 1) throw new Error(`git check-ignore failed: ${ignored.stderr.trim()}`);
  const ignoredSet = new Set(ignored.stdout.split('\0').filter(Boolean));
  const tracked = git(['ls-files', '-z', '--', ...rels]);
  const trackedSet = new Set(tracked.status === 0 ? tracked.stdout.split('\0').filter(Boolean).map((r) => join(root, r)) : []);
  return { top: top.stdout.trim(), files: files.filter((f, i) => !ignoredSet.has(rels[i]) || trackedSet.has(f)), tracked: trackedSet };
}

/**
 * --with-secrets: the message refusing the run when git would commit a file holding the passphrase,
 * else undefined. Says how to fix it.
 */
export function secretProblem(root: string, secretFiles: string[]): string | undefined {
  let found;
  try {
    found = gitWouldCommit(root, secretFiles);
  } catch (e) {
    return `chargewall: refusing --with-secrets: ${(e as Error).message}; nothing was written`;
  }
  if (!found || !found.files.length) return undefined;
  const list = found.files.map((f) => `  ${f}${found.tracked.has(f) ? ' (tracked by git)' : ''}`).join('\n');
  const rel = relative(found.top, resolve(root)) || '.';
  const tracked = found.files.some((f) => found.tracked.has(f));
  return (
    `chargewall: refusing --with-secrets: these files would hold the Wi-Fi passphrase, and git would commit them (${found.top} is a git work tree):\n${list}\n` +
    `Fix: render --with-secrets into a folder outside the repository (--out /srv/chargewall-deploy) and keep the committed output rendered without it, ` +
    `or make git ignore these files (list them in .gitignore, or the whole output folder: echo '/${rel === '.' ? '' : rel + '/'}' >> ${join(found.top, '.gitignore')})` +
    (tracked ? `, and stop tracking the ones git already has (git rm --cached <file>)` : '') +
    `; nothing was written`
  );
}

/** Files (not folders) below `dir`, relative, sorted; links are listed, not followed. */
export function filesBelow(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const name of names) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(d, name), { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(join(d, name), r);
      else if (st) found.push(r);
    }
  };
  walk(dir, '');
  return found.sort();
}
