import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { renderSpec } from '../pipeline.js';
import { lazyRequire } from '../util/lazy-require.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { checkFiles, discardStaged, setStageThread, stageSite, WriteError, type Drift, type StagedSite } from './write.js';

/**
 * Rendering many specs: each one is read, rendered and staged (or compared, with --check) on its own,
 * so the sites of a batch are shared out between the main thread and worker threads. The threads take
 * the next spec from one shared counter, and the main thread puts the outcomes back in input order,
 * so messages, duplicate-id checks and the one commit at the end are the same as in a single-thread run.
 */

/** A usage problem (unknown target, missing file): exit 2, one line, no stack. */
export class UsageError extends Error {}

export function readSpec(file: string, what = 'the spec'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new UsageError(`${file}: cannot read ${what} (${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message})`);
  }
}

// worker_threads is loaded only when a batch uses threads: it costs a few ms of start-up that a
// one-site run (a pre-commit hook) should not pay. A worker is told what it is by this argument.
const WORKER_FLAG = '--chargewall-batch-worker';
let thread = 0;

export interface BatchJob {
  specs: string[];
  targetIds: string[] | 'default';
  withSecrets: boolean;
  pfsenseConfig?: { file: string; text: string; overwriteEdits?: boolean };
  out: string;
  knownTargets: string[];
  /** Compare with what is under `out` instead of staging (render --check). */
  check: boolean;
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

function renderOne(job: BatchJob, index: number): SiteOutcome {
  const file = job.specs[index];
  const result = renderSpec(readSpec(file), file, job.targetIds, { withSecrets: job.withSecrets, env: process.env, pfsenseConfig: job.pfsenseConfig });
  const outcome: SiteOutcome = { thread, diagnostics: result.diagnostics };
  if (result.diagnostics.some((d) => d.severity === 'error')) return outcome;
  outcome.id = result.site!.site.id;
  if (job.check) outcome.drift = checkFiles(job.out, result.files, job.knownTargets);
  else outcome.staged = stageSite(job.out, result.files, job.knownTargets);
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
