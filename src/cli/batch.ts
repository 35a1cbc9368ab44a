import { lstatSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { builtinProfileIds } from '../profiles/load.js';
import { indexFiles, upToDate, type IndexEntry, type OutIndex } from './stat-index.js';
import { renderValidated, type PipelineOptions, type SiteRender } from '../pipeline.js';
import type { Profile } from '../profiles/types.js';
import { validateSpec } from '../spec/validate.js';
import { readRegularFile } from '../util/files.js';
import { sha256Hex } from '../util/sha256.js';
import { version } from '../version.js';
import { targets } from '../targets/registry.js';
import { MANIFEST, summarizePlan, type SiteMeta } from './manifest.js';
import { lazyRequire } from '../util/lazy-require.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { checkSite, compareSite, discardStaged, emptyStage, setStageThread, stageSite, WriteError, type Drift, type SiteComparison, type SiteOutput, type StagedSite } from './write.js';

/**
 * Rendering many specs: each one is read, rendered and staged (or compared, with --check) on its own,
 * so the sites of a batch are shared out between the main thread and worker threads. The threads take
 * the next spec from one shared counter, and the main thread puts the outcomes back in input order,
 * so messages, duplicate-id checks and the one commit at the end are the same as in a single-thread run.
 */

/** A usage problem (unknown target, missing file): exit 2, one line, no stack. */
export class UsageError extends Error {}

/** A spec (or backup) file's text: only a regular file is read, so a FIFO or /dev/zero is refused at once, never a hang. */
export function readSpec(file: string, what = 'the spec'): string {
  let text: string | undefined;
  try {
    text = readRegularFile(file);
  } catch (e: any) {
    if (e?.code === 'ENOTREG') throw new UsageError(`${file}: cannot read ${what} (${e.kind === 'a directory' ? 'it is a directory' : `it is ${e.kind}, not a regular file`})`);
    throw new UsageError(`${file}: cannot read ${what} (${e.code === 'EISDIR' ? 'it is a directory' : e.message})`);
  }
  if (text === undefined) throw new UsageError(`${file}: cannot read ${what} (no such file)`);
  return text;
}

/**
 * Spec arguments: a file as given; a folder means every *.yaml / *.yml below it, sorted (hidden
 * files and folders such as .git or .github, and node_modules, are skipped; links to folders are not
 * followed). A folder without any spec is a usage error.
 */
export function expandSpecs(args: string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    const st = statSync(arg, { throwIfNoEntry: false });
    if (!st?.isDirectory()) {
      out.push(arg);
      continue;
    }
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir).sort()) {
        if (name.startsWith('.') || name === 'node_modules') continue;
        const path = join(dir, name);
        const l = lstatSync(path, { throwIfNoEntry: false });
        if (l?.isDirectory()) walk(path);
        else if (/\.ya?ml$/.test(name) && (l?.isFile() || (l?.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile()))) found.push(path);
      }
    };
    walk(arg);
    if (!found.length) throw new UsageError(`${arg}: a folder without any *.yaml or *.yml spec`);
    out.push(...found.sort());
  }
  return out;
}

// worker_threads is loaded only when a batch uses threads: it costs a few ms of start-up that a
// one-site run (a pre-commit hook) should not pay. A worker is told what it is by this argument.
const WORKER_FLAG = '--chargewall-batch-worker';
let thread = 0;

export interface BatchJob {
  specs: string[];
  targetIds: string[] | 'default';
  withSecrets: boolean;
  out: string;
  knownTargets?: string[];
  /** Compare with what is under `out` instead of staging: render --check ('check'), chargewall diff ('diff'). */
  check: boolean | 'diff';
  /** `-t` named the targets: other targets' files in a site folder are left as they are. */
  subset?: boolean;
  /** This run's options key for the output folder's index (incremental check); none: no index entries. */
  indexKey?: string;
  /** Values of the flags the targets declare, by name (PipelineOptions.flags). */
  flags?: Record<string, unknown>;
  /** Per target id, per spec index: what the target's input planned for that spec (TargetInput.plan). */
  planned?: Record<string, (unknown | undefined)[]>;
}

export interface SiteOutcome {
  /** The thread that rendered it (0 is the main thread). */
  thread: number;
  diagnostics: Diagnostic[];
  /** Set when the site rendered without errors. */
  id?: string;
  /** Its files, staged to temp files (render). */
  staged?: StagedSite;
  /** How `out` differs from it (render --check). */
  drift?: Drift;
  /** The whole comparison with the texts that differ (chargewall diff), or the refusal. */
  comparison?: SiteComparison;
  refused?: string;
  /** Rendered files relative to the site folder (chargewall diff). */
  files?: Record<string, string>;
  /** Skipped: the index showed the site up to date. */
  skipped?: boolean;
  /** The index entry for this render, before its files are stamped. */
  entry?: IndexEntry;
  /** Targets whose declared input this render read (their private outputs are made owner-only after the commit). */
  inputs?: string[];
}

/** The plans of the specs at `positions` (the specs left to render when the index skipped some), each with its spec. */
export function plansAt(planned: Record<string, (unknown | undefined)[]> | undefined, positions: number[]): Record<string, (unknown | undefined)[]> | undefined {
  return planned && Object.fromEntries(Object.entries(planned).map(([id, list]) => [id, positions.map((i) => list[i])]));
}

/** One spec's plans, as PipelineOptions.planned takes them. */
export function plannedFor(planned: Record<string, (unknown | undefined)[]> | undefined, index: number): Record<string, unknown> | undefined {
  return planned && Object.fromEntries(Object.entries(planned).map(([id, list]) => [id, list[index]]));
}

/** A profile's hash for the manifest, once per profile object: the sites of a batch share one. */
const profileHashes = new WeakMap<Profile, string>();
function profileHash(profile: Profile): string {
  let hash = profileHashes.get(profile);
  if (hash === undefined) profileHashes.set(profile, (hash = sha256Hex(JSON.stringify(profile)).slice(0, 16)));
  return hash;
}

/** The manifest's record of one render: what produced it (every declared input: its hash or null), and each target's plan in words. */
export function siteMeta(result: SiteRender, withSecrets: boolean): SiteMeta {
  const plans = Object.entries(result.plans);
  const options: SiteMeta['options'] = { withSecrets };
  for (const [id, t] of targets) {
    const text = result.inputs?.[id];
    if (t.input) options[t.input.manifestKey] = text === undefined ? null : sha256Hex(text).slice(0, 16);
  }
  return {
    generator: `chargewall ${version}`,
    spec: plans[0]?.[1].specHash ?? '',
    profile: { id: result.profile!.id, hash: profileHash(result.profile!) },
    options,
    plans: Object.fromEntries(plans.map(([id, plan]) => [id, summarizePlan(plan)])),
  };
}

/** A passphrase of the same length that differs from `value` in every character (still 8-63 printable ASCII). */
function otherPassphrase(value: string): string {
  return [...value].map((c) => (c === 'q' ? 'Z' : 'q')).join('');
}

/** One rendered site as the writer takes it (no secrets marked: for library use and the benchmark). */
export function siteOutput(result: SiteRender, withSecrets: boolean, subset: boolean): SiteOutput {
  const id = result.site!.site.id;
  return { id, files: siteFiles(id, result.files), meta: siteMeta(result, withSecrets), subset, secrets: [] };
}

/** A render's files for one site, relative to the site folder. */
export function siteFiles(id: string, files: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const prefix = `${id}/`;
  for (const [path, text] of Object.entries(files)) if (path.startsWith(prefix)) out[path.slice(prefix.length)] = text;
  return out;
}

/** A stop that ends the run (a spec that cannot be read, a write failure, a bug), as plain data. */
interface Failure {
  index: number;
  kind: 'usage' | 'write' | 'internal';
  message: string;
  code?: string;
  syscall?: string;
  stack?: string;
}

export interface BatchResult {
  /** One per spec, in input order, up to the failure if there is one. */
  outcomes: SiteOutcome[];
  /** The failure at the earliest spec, rebuilt as the error a single-thread run would throw. */
  failure?: Error;
}

/** Below this many specs per thread a worker's start-up (about 40 ms: a second V8 heap and the bundle) costs more than it saves. */
const MIN_SPECS_PER_THREAD = 40;

/** Threads for a batch: CHARGEWALL_THREADS if set (1 = no workers), else one per core for big batches. */
export function threadCount(specs: number, env: Record<string, string | undefined> = process.env): number {
  const asked = Number(env.CHARGEWALL_THREADS);
  if (Number.isInteger(asked) && asked >= 1) return Math.min(asked, specs || 1);
  return Math.max(1, Math.min(availableParallelism(), 4, Math.floor(specs / MIN_SPECS_PER_THREAD)));
}

/** An unchanged site, skipped: what staging it would have found (every file unchanged). */
function skippedStage(root: string, entry: IndexEntry): StagedSite {
  const staged = emptyStage(root, '');
  staged.unchanged = entry.files.map((r) => `${entry.id}/${r}`);
  staged.counts.unchanged = entry.files.filter((r) => r !== MANIFEST).length;
  return staged;
}

/**
 * The incremental path, on the main thread before any render: a spec whose inputs and files are as
 * the last render left them (the index says so) is up to date without rendering. Returns an outcome
 * per skipped spec (by position); the others are rendered as usual. A spec that cannot be read is
 * left to the render, which stops the run at it. `hashes`: the SHA-256 of specs already read this run, by argument.
 */
export function skipUnchanged(job: BatchJob, index: OutIndex, hashes?: Map<string, string>): (SiteOutcome | undefined)[] {
  const skipped: (SiteOutcome | undefined)[] = new Array(job.specs.length);
  if (job.withSecrets || job.check === 'diff' || job.indexKey === undefined) return skipped;
  for (const [i, file] of job.specs.entries()) {
    const entry = index.specs[resolve(file)];
    if (!entry) continue;
    let hash: string;
    try {
      hash = hashes?.get(file) ?? sha256Hex(readSpec(file));
    } catch {
      continue;
    }
    const state = upToDate(job.out, index, entry, job.indexKey, hash);
    if (!state) continue;
    const diagnostics = entry.diagnostics.map((d) => (d.file === entry.specArg ? { ...d, file } : d));
    const outcome: SiteOutcome = { thread: 0, diagnostics, id: entry.id, skipped: true };
    if (job.check) outcome.drift = { stale: [], missing: [], extra: [], refused: [], temps: [] };
    else {
      outcome.staged = skippedStage(job.out, entry);
      // Stamps that needed a byte comparison are taken again after this run, so the next one trusts them.
      if (state === 'rehashed') {
        outcome.entry = entry;
        outcome.staged.indexed = indexFiles(entry.files, entry.manifest);
      }
    }
    skipped[i] = outcome;
  }
  return skipped;
}

function renderOne(job: BatchJob, index: number): SiteOutcome {
  const file = job.specs[index];
  const text = readSpec(file);
  const validated = validateSpec(text, file);
  const options: PipelineOptions = {
    withSecrets: job.withSecrets,
    env: process.env,
    flags: job.flags,
    planned: plannedFor(job.planned, index),
    readOnly: !!job.check,
  };
  const result = renderValidated(validated, file, job.targetIds, options);
  const outcome: SiteOutcome = { thread, diagnostics: result.diagnostics };
  if (result.diagnostics.some((d) => d.severity === 'error')) return outcome;
  const id = result.site!.site.id;
  outcome.id = id;
  // An input a target read (a backup) is not recorded by the index: a site that read one is always rendered.
  const inputs = Object.keys(result.inputs ?? {});
  if (inputs.length) outcome.inputs = inputs;
  const useIndex = !job.withSecrets && job.check !== 'diff' && job.indexKey !== undefined && !inputs.length;
  const files = siteFiles(id, result.files);
  // Files holding the passphrase: the ones a render with another passphrase writes differently
  // (exact whatever each target's escaping does to the value).
  let secrets: string[] = [];
  const wifi = result.site?.wifi;
  if (job.withSecrets && wifi) {
    const p = wifi.passphrase;
    const value = p.kind === 'literal' ? p.value : process.env[p.name] ?? '';
    const other = otherPassphrase(value);
    const alt =
      p.kind === 'literal'
        ? renderValidated({ ...validated, site: { ...validated.site!, wifi: { ...wifi, passphrase: { ...p, value: other } } } }, file, job.targetIds, { ...options, withSecrets: true })
        : renderValidated(validated, file, job.targetIds, { ...options, withSecrets: true, env: { ...process.env, [p.name]: other } });
    const altFiles = siteFiles(id, alt.files);
    secrets = Object.keys(files).filter((rel) => altFiles[rel] !== files[rel]).sort();
  }
  const site: SiteOutput = { id, files, meta: siteMeta(result, job.withSecrets), subset: !!job.subset, secrets };
  if (job.check === 'diff') {
    outcome.files = files;
    try {
      outcome.comparison = compareSite(job.out, site, true);
    } catch (e: any) {
      if (!(e instanceof WriteError && e.code === 'EREFUSED')) throw e;
      outcome.refused = e.message.replace(/; nothing was written$/, '');
    }
  } else if (job.check) {
    const drift = checkSite(job.out, site);
    // A folder the pipeline cannot reproduce here (its input kept out of the repository) is not compared.
    // Its manifest lists those files and the input's hash, so it cannot be reproduced here either.
    const keep = (f: string) => !result.unchecked?.some((u) => f.startsWith(u)) && f !== `${id}/${MANIFEST}`;
    outcome.drift = result.unchecked ? { ...drift, stale: drift.stale.filter(keep), missing: drift.missing.filter(keep), extra: drift.extra.filter(keep) } : drift;
  } else {
    outcome.staged = stageSite(job.out, site);
    if (useIndex) {
      // What the index needs to skip this site next time; main stamps the files after the commit.
      const ref = validated.site!.profile;
      let profile: IndexEntry['profile'];
      if (!builtinProfileIds.includes(ref)) {
        const path = resolve(dirname(file), ref);
        const bytes = readRegularFile(path);
        if (bytes !== undefined) profile = { path, hash: sha256Hex(bytes) };
      }
      outcome.entry = { id, key: job.indexKey!, spec: sha256Hex(text), specArg: file, profile, diagnostics: result.diagnostics, manifest: '', files: [], stamps: [], dirs: [], dirStamps: [] };
    }
  }
  return outcome;
}

function toFailure(index: number, e: unknown): Failure {
  if (e instanceof UsageError) return { index, kind: 'usage', message: e.message };
  // A file-system failure (WriteError, or --check meeting a folder where a file belongs) keeps its
  // code and syscall, so main() reports it as it always has: one line, exit 1, no stack.
  const fs = e as { code?: unknown; syscall?: unknown };
  if (e instanceof Error && typeof fs.code === 'string' && typeof fs.syscall === 'string') {
    return { index, kind: 'write', message: e.message, code: fs.code, syscall: fs.syscall };
  }
  return { index, kind: 'internal', message: e instanceof Error ? e.message : String(e), stack: e instanceof Error ? e.stack : undefined };
}

function fromFailure(f: Failure): Error {
  if (f.kind === 'usage') return new UsageError(f.message);
  if (f.kind === 'write') return new WriteError(f.message, f.code!, f.syscall!);
  return Object.assign(new Error(f.message), { stack: f.stack });
}

/**
 * Takes specs off the shared counter until none is left, another thread has failed, or `limit` specs
 * are done ("more" then: call again). Slot 0 of `shared` is the next spec index, slot 1 the stop flag.
 */
function work(job: BatchJob, shared: Int32Array, record: (index: number, outcome: SiteOutcome) => void, limit = Infinity, onStart?: (index: number) => void): Failure | 'done' | 'more' {
  for (let done = 0; done < limit; done++) {
    if (Atomics.load(shared, 1)) return 'done';
    const index = Atomics.add(shared, 0, 1);
    if (index >= job.specs.length) return 'done';
    onStart?.(index);
    try {
      record(index, renderOne(job, index));
    } catch (e) {
      Atomics.store(shared, 1, 1);
      return toFailure(index, e);
    }
  }
  return 'more';
}

/** A worker sends its outcomes in chunks of this many, so neither heap holds them twice for long. */
const CHUNK = 64;

type WorkerMessage = { outcomes: [number, SiteOutcome][] } | { outcomes: [number, SiteOutcome][]; end: true; failure?: Failure };

/**
 * Renders (and stages) every spec of the job on `threads` threads. Never throws: the caller prints the
 * outcomes in order and commits or discards their staged files. After a failure every staged temp file
 * is already removed, and the outcomes stop before the failing spec.
 */
export async function runBatch(job: BatchJob, threads: number, onStart?: (index: number) => void): Promise<BatchResult> {
  const shared = new Int32Array(new SharedArrayBuffer(8));
  const outcomes: (SiteOutcome | undefined)[] = new Array(job.specs.length);
  const { Worker } = threads > 1 ? (lazyRequire('node:worker_threads') as typeof import('node:worker_threads')) : { Worker: undefined };
  // The launcher (dist/cli/main.cjs) starts the bundle with its code cache; the flag makes it work, not parse a command line.
  const workers = Array.from({ length: threads - 1 }, () => new Worker!(new URL('./main.cjs', import.meta.url), { argv: [WORKER_FLAG], workerData: { chargewallBatch: job, shared: shared.buffer } }));
  const failures: Failure[] = [];
  const take = ([i, o]: [number, SiteOutcome]) => (outcomes[i] = o);
  const finished = workers.map(
    (w) =>
      new Promise<void>((resolve) => {
        let stopped = false;
        // The first of: its last message, an error, an exit without a last message.
        const stop = (failure?: Failure) => {
          if (stopped) return;
          stopped = true;
          if (failure) failures.push(failure);
          resolve();
        };
        w.on('message', (m: WorkerMessage) => {
          m.outcomes.forEach(take);
          if ('end' in m) stop(m.failure);
        });
        w.once('error', (e) => {
          Atomics.store(shared, 1, 1);
          stop(toFailure(job.specs.length, e));
        });
        w.once('exit', (code) => stop(toFailure(job.specs.length, new Error(`a render worker stopped (exit code ${code})`))));
      }),
  );
  // The main thread works too, pausing every few specs so the workers' chunks are taken in as they come.
  for (;;) {
    const result = work(job, shared, (i, o) => (outcomes[i] = o), threads > 1 ? 16 : Infinity, onStart);
    if (result === 'more') {
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    if (result !== 'done') failures.push(result);
    break;
  }
  await Promise.all(finished);
  if (!failures.length) return { outcomes: outcomes as SiteOutcome[] };
  // A stop anywhere stops the whole run: no temp file of any thread is left behind.
  for (const o of outcomes) if (o?.staged) discardStaged(o.staged);
  const first = failures.reduce((a, b) => (b.index < a.index ? b : a));
  return { outcomes: outcomes.slice(0, first.index).filter((o): o is SiteOutcome => !!o), failure: fromFailure(first) };
}

/** True in a thread started by runBatch: the bundle's entry then works instead of running the CLI. */
export function isBatchWorker(): boolean {
  return process.argv.includes(WORKER_FLAG);
}

/** A worker thread's whole life: take specs until none is left, then hand the outcomes back in one message. */
export async function runBatchWorker(): Promise<void> {
  const { workerData, parentPort, threadId } = lazyRequire('node:worker_threads') as typeof import('node:worker_threads');
  if (!parentPort || !workerData?.chargewallBatch) throw new UsageError(`${WORKER_FLAG} is for chargewall's own worker threads`);
  thread = threadId;
  setStageThread(threadId);
  const job: BatchJob = workerData.chargewallBatch;
  const shared = new Int32Array(workerData.shared as SharedArrayBuffer);
  let outcomes: [number, SiteOutcome][] = [];
  const result = work(job, shared, (i, o) => {
    outcomes.push([i, o]);
    if (outcomes.length === CHUNK) {
      parentPort.postMessage({ outcomes } satisfies WorkerMessage);
      outcomes = [];
    }
  });
  parentPort.postMessage({ outcomes, end: true, failure: result === 'done' || result === 'more' ? undefined : result } satisfies WorkerMessage);
}
