/**
 * pfSense's own PHP as a test oracle: ../shared/tools/pfsense-php/run loads pfSense's unmodified code
 * (parser, upgrade_config, filter.inc, services.inc, Backup & Restore, GUI saves) under php-cli and
 * writes what pfSense would write. Calls are asynchronous so the three versions run side by side.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, sharedData } from './helpers.js';

export const PFSENSE_PHP = join(sharedData, '..', 'tools', 'pfsense-php', 'run');
/** Every pfSense source the shared data holds (2.7.2, 2.8.0, master). */
export const pfsenseVersions = ['2.7.2', '2.8.0', 'master'].filter((v) => existsSync(join(sharedData, 'pfsense', 'src', v)));

/** php-cli and the shared tool; under CI=true a missing one fails instead of skipping. */
export const oracleAvailable = (): boolean => {
  if (!existsSync(PFSENSE_PHP) || pfsenseVersions.length === 0) {
    if (process.env.CI === 'true') throw new Error(`CI=true but the pfSense oracle is missing: ${PFSENSE_PHP} or ../shared/data/pfsense/src/`);
    console.warn('[skip] pfSense oracle tests: ../shared/tools/pfsense-php or the pfSense sources are missing');
    return false;
  }
  return requireTools(['php'], false).ok;
};

export interface OracleRun {
  version: string;
  status: number | null;
  stdout: string;
  stderr: string;
  seconds: number;
  out: string;
  /** A file pfSense wrote into the outdir, or undefined when it did not write it. */
  file(name: string): string | undefined;
  json<T = unknown>(name: string): T;
}

const tmpRoot = () => mkdtempSync(join(tmpdir(), 'cw-pfphp-'));

/** Runs the oracle on a config text; resolves when it ends (never rejects: tests assert the status). */
export function runOracle(version: string, config: string, stages: string, extra: { restore?: string; areas?: string[]; oracleRules?: string; oracleMerged?: string } = {}): Promise<OracleRun> {
  const dir = tmpRoot();
  const cfg = join(dir, 'config.xml');
  writeFileSync(cfg, config);
  const args = [version, cfg, join(dir, 'out'), stages];
  if (extra.restore !== undefined) {
    writeFileSync(join(dir, 'restore.xml'), extra.restore);
    args.push('--restore', join(dir, 'restore.xml'));
    if (extra.areas) args.push('--areas', extra.areas.join(','));
  }
  if (extra.oracleRules !== undefined && extra.oracleMerged !== undefined) {
    writeFileSync(join(dir, 'oracle-rules.xml'), extra.oracleRules);
    writeFileSync(join(dir, 'oracle-merged.xml'), extra.oracleMerged);
    args.push('--oracle-rules', join(dir, 'oracle-rules.xml'), '--oracle-merged', join(dir, 'oracle-merged.xml'));
  }
  const t0 = Date.now();
  return new Promise((resolve) => {
    const p = spawn(PFSENSE_PHP, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PFSENSE_PHP_TIMEOUT: '120' } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b) => (stdout += b));
    p.stderr.on('data', (b) => (stderr += b));
    p.on('close', (status) => {
      const out = join(dir, 'out');
      const file = (name: string) => (existsSync(join(out, name)) ? readFileSync(join(out, name), 'utf8') : undefined);
      resolve({
        version, status, stdout, stderr, seconds: (Date.now() - t0) / 1000, out, file,
        json: (name) => JSON.parse(file(name) ?? 'null'),
      });
    });
  });
}

export function cleanup(runs: OracleRun[]): void {
  for (const r of runs) rmSync(join(r.out, '..'), { recursive: true, force: true });
}
