/**
 * Network-namespace lab for the real-tool tests of the Linux target. Everything it creates lives in
 * namespaces it made (named `cw<tag><pid>-<role>`), and every process it starts is tracked by pid and
 * ended in cleanup(). Every command and wait is bounded in time.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Result {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs a program (no shell) with a time bound; never throws. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Result {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    input: opts.input,
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    timeout: opts.timeoutMs ?? 15_000,
    killSignal: 'SIGKILL',
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? String(r.error) : '') };
}

/** run() without blocking the event loop, so several bounded runs can overlap. */
export function runAsync(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<Result & { ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15_000);
    child.on('error', (e) => (stderr += String(e)));
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

/** Like run, but throws with the output when the exit status is not 0. */
export function must(cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
  const r = run(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} -> ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** A minimal environment for scripts under test (no secrets from the test runner). */
export const cleanEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({ PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', ...extra });

export async function waitFor(what: string, check: () => boolean, timeoutMs = 5_000, stepMs = 50): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export class Lab {
  readonly dir: string;
  private readonly prefix: string;
  private readonly namespaces: string[] = [];
  private readonly procs: { name: string; child: ChildProcess }[] = [];

  constructor(tag: string) {
    this.prefix = `cw${tag}${process.pid}`;
    this.dir = mkdtempSync(join(tmpdir(), `chargewall-${tag}-`));
  }

  /** Creates a fresh namespace with loopback up; returns its name. */
  ns(role: string): string {
    const name = `${this.prefix}-${role}`;
    run('ip', ['netns', 'del', name]); // a leftover from an interrupted run of this pid
    must('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    must('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Runs a program inside a namespace. */
  exec(ns: string, cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): Result {
    return run('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  mustExec(ns: string, cmd: string, args: string[], opts: Parameters<typeof run>[2] = {}): string {
    return must('ip', ['netns', 'exec', ns, cmd, ...args], opts);
  }

  /** Writes files into a fresh folder of the lab; returns its path. */
  folder(name: string, files: Record<string, string>): string {
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
    return dir;
  }

  /** Starts a long-running program in a namespace (own process group), output to `<dir>/<name>.log`. */
  start(ns: string, name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = cleanEnv()): ChildProcess {
    const log = openSync(join(this.dir, `${name}.log`), 'a');
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio: ['ignore', log, log], detached: true, env });
    closeSync(log);
    child.on('error', () => undefined);
    this.procs.push({ name, child });
    return child;
  }

  /** Ends one started process (its process group): SIGTERM, then SIGKILL after `graceMs`. */
  async stop(child: ChildProcess, graceMs = 3_000): Promise<void> {
    const signal = (sig: NodeJS.Signals) => {
      try {
        if (child.pid) process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    };
    if (!this.alive(child)) return;
    signal('SIGTERM');
    const end = Date.now() + graceMs;
    while (Date.now() < end && this.alive(child)) await new Promise((r) => setTimeout(r, 50));
    if (this.alive(child)) signal('SIGKILL');
    while (this.alive(child)) await new Promise((r) => setTimeout(r, 20));
  }

  /**
   * Starts the real systemd-networkd in a namespace with `networkDir` as its /etc/systemd/network, as a
   * router boots with those files (without systemd as PID 1 and without udev: /sys read-only tells
   * networkd not to wait for udev). The mounts live only in that process's mount namespace (ip netns
   * exec makes one). Its log is `<dir>/<name>.log`.
   */
  networkd(ns: string, name: string, networkDir: string): ChildProcess {
    return this.start(
      ns,
      name,
      'sh',
      ['-c', 'mount -o remount,ro /sys && mkdir -p /run/systemd/netif && mount -t tmpfs -o "mode=0755,uid=$(id -u systemd-network 2>/dev/null || echo 0),gid=$(id -g systemd-network 2>/dev/null || echo 0)" tmpfs /run/systemd/netif && mount --bind "$1" /etc/systemd/network && exec /lib/systemd/systemd-networkd', 'sh', networkDir],
      cleanEnv({ SYSTEMD_LOG_LEVEL: 'info', SYSTEMD_LOG_TARGET: 'console' }),
    );
  }

  /** True while a started process has not exited. */
  alive(child: ChildProcess): boolean {
    return child.exitCode === null && child.signalCode === null;
  }

  /** Ends every process this lab started (by its process group), then deletes its namespaces and files. */
  async cleanup(): Promise<void> {
    for (const { child } of this.procs) {
      if (child.pid && this.alive(child)) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      }
    }
    const end = Date.now() + 3_000;
    while (Date.now() < end && this.procs.some((p) => this.alive(p.child))) await new Promise((r) => setTimeout(r, 50));
    for (const { child } of this.procs) {
      if (child.pid && this.alive(child)) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    for (const name of this.namespaces.reverse()) run('ip', ['netns', 'del', name]);
    if (!process.env.KEEP_LAB) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Replaces text that must be there (so a negative control never silently tests the unchanged file). */
export function corrupt(text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`corrupt(): ${String(from)} not found`);
  return out;
}

/**
 * Files that `ip netns exec <ns> ...` bind-mounts over /etc for that namespace's programs (e.g.
 * `resolv.conf`: the DNS servers a DHCP client would have written). Written to /etc/netns/<ns>/;
 * returns a function that removes them (call it in cleanup; the namespace name holds the pid).
 */
export function netnsEtc(ns: string, files: Record<string, string>): () => void {
  const dir = join('/etc/netns', ns);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  return () => rmSync(dir, { recursive: true, force: true });
}
