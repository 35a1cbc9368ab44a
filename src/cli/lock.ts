import { closeSync, lstatSync, openSync, readdirSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * One render at a time per output folder: `<out>/.chargewall.lock`, created exclusively, holding the
 * owner's pid, its start time and the host. A second render waits for it (up to CHARGEWALL_LOCK_WAIT
 * seconds, default 60) and then fails with a clear message; a lock left by a process that no longer
 * runs (kill -9, power loss) is taken over.
 */
export const LOCK_NAME = '.chargewall.lock';

/** `.<name>.chargewall-<pid>-<thread>-<stage>.tmp`: a staged file or site folder, named by the process that wrote it. */
export const TEMP_NAME = /^\..*\.chargewall-(\d+)-\d+-\d+\.tmp$/;

export class LockError extends Error {
  readonly code = 'ELOCKED';
  readonly syscall = 'open';
}

/** The process's start time in clock ticks since boot (Linux), so a reused pid is not taken for the old owner. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22; the command name (field 2) may hold spaces and parentheses, so count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Whether a process of this host with that pid (and start time, when known) still runs. */
export function processAlive(pid: number, start?: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e: any) {
    if (e?.code === 'ESRCH') return false;
  }
  if (start) {
    const now = startTime(pid);
    if (now !== undefined && now !== start) return false;
  }
  return true;
}

interface Holder {
  pid: number;
  start?: string;
  host: string;
}

function readHolder(file: string): Holder | undefined {
  try {
    const [pid, start, host] = readFileSync(file, 'utf8').trim().split(' ');
    return { pid: Number(pid), start: start === '-' ? undefined : start, host: host ?? '' };
  } catch {
    return undefined;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface Lock {
  release(): void;
}

/**
 * Takes the output folder's lock (the folder must exist). `say` gets one line when the run has to wait.
 */
export function acquireLock(root: string, say: (line: string) => void, waitSeconds = lockWait()): Lock {
  const file = join(root, LOCK_NAME);
  const me = `${process.pid} ${startTime(process.pid) ?? '-'} ${hostname()}\n`;
  const deadline = Date.now() + waitSeconds * 1000;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      try {
        writeSync(fd, me);
      } finally {
        closeSync(fd);
      }
      return {
        release: () => {
          // Only our own lock: never remove one another run took over.
          if (readHolder(file)?.pid === process.pid) rmSync(file, { force: true });
        },
      };
    } catch (e: any) {
      if (e?.code !== 'EEXIST') {
        const reason = e?.code === 'EACCES' ? 'permission denied' : e?.code === 'EROFS' ? 'read-only file system' : e?.code === 'EPERM' ? 'operation not permitted' : e?.message;
        throw Object.assign(new Error(`${file}: ${reason} (${e?.code}); cannot take the output folder's lock, no file was changed`), { code: e?.code ?? 'EIO', syscall: 'open' });
      }
    }
    const holder = readHolder(file);
    if (holder && holder.host === hostname() && !processAlive(holder.pid, holder.start)) {
      // Left by a process that ended without releasing it.
      try {
        unlinkSync(file);
      } catch {}
      continue;
    }
    if (Date.now() >= deadline) {
      const who = holder ? `chargewall (pid ${holder.pid}${holder.host !== hostname() ? ` on ${holder.host}` : ''})` : 'another chargewall';
      throw new LockError(
        `${root}: ${who} is writing this output folder (lock ${file}); waited ${waitSeconds} s. Run again when it has finished` +
          (holder && holder.host !== hostname() ? `, or remove ${file} if that host no longer runs it` : ''),
      );
    }
    if (!told) {
      say(`waiting: ${holder ? `chargewall pid ${holder.pid}` : 'another chargewall'} is writing ${root}`);
      told = true;
    }
    sleep(100);
  }
}

/** Read-only commands (--check, diff) wait while a live render holds the lock, so they never see half a commit. */
export function waitUnlocked(root: string, say: (line: string) => void, waitSeconds = lockWait()): void {
  const file = join(root, LOCK_NAME);
  const deadline = Date.now() + waitSeconds * 1000;
  let told = false;
  for (;;) {
    const holder = readHolder(file);
    if (!holder || (holder.host === hostname() && !processAlive(holder.pid, holder.start))) return;
    if (Date.now() >= deadline) throw new LockError(`${root}: chargewall (pid ${holder.pid}) is still writing this output folder; waited ${waitSeconds} s`);
    if (!told) {
      say(`waiting: chargewall pid ${holder.pid} is writing ${root}`);
      told = true;
    }
    sleep(100);
  }
}

function lockWait(): number {
  const n = Number(process.env.CHARGEWALL_LOCK_WAIT);
  return Number.isFinite(n) && n >= 0 ? n : 60;
}

/** The pid in a temp name, when the name is one of chargewall's and that process no longer runs. */
export function staleTempPid(name: string): number | undefined {
  const m = TEMP_NAME.exec(name);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return pid === process.pid || processAlive(pid) ? undefined : pid;
}

/** Entries of `dir` (not recursive) that are temp files or folders of dead chargewall processes. */
export function staleTemps(dir: string): { name: string; pid: number }[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const found: { name: string; pid: number }[] = [];
  for (const name of names) {
    if (name.charCodeAt(0) !== 46 /* . */) continue;
    const pid = staleTempPid(name);
    if (pid === undefined) continue;
    // A link with a temp name is not followed: removing it removes the link only.
    const st = lstatSync(join(dir, name), { throwIfNoEntry: false });
    if (st) found.push({ name, pid });
  }
  return found.sort((a, b) => (a.name < b.name ? -1 : 1));
}
