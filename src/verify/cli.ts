/**
 * `chargewall verify <spec>`: validate the spec, take the plan of the site's router type, run the
 * checks, print them. Exit 0 when no check failed, 1 when one did, 2 for usage errors (including a
 * spec that does not validate: nothing was checked).
 */
import type * as tlsType from 'node:tls';
import { basename, dirname, resolve } from 'node:path';
import { buildPlan } from '../plan/build.js';
import { UnsupportedError } from '../targets/types.js';
import { defaultTargets } from '../pipeline.js';
import { formatDiagnostic } from '../spec/diagnostics.js';
import { validateSpec } from '../spec/validate.js';
import { targets } from '../targets/registry.js';
import { lazyRequire } from '../util/lazy-require.js';
import { readSpec, UsageError } from '../cli/batch.js';
import { writeFiles } from '../cli/write.js';
import { formatJson, formatMarkdown, formatText } from './format.js';
import { verifySite } from './run.js';
import type { VerifyOptions } from './types.js';
import { writeErr, writeOut } from '../cli/stdio.js';

export interface VerifyCommandOptions {
  format: 'text' | 'json' | 'markdown';
  out?: string;
  caFile?: string;
  blockedProbe: string;
  wifi?: string;
  timeout: string;
  target?: string;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Checks the options before any packet is sent; returns the verify options. */
export function verifyOptions(opts: VerifyCommandOptions): VerifyOptions {
  if (!/^\d{1,6}$/.test(opts.timeout) || Number(opts.timeout) < 100 || Number(opts.timeout) > 30_000) {
    throw new UsageError(`--timeout ${JSON.stringify(opts.timeout)}: give the bound of each probe in milliseconds, 100 to 30000 (default 3000)`);
  }
  if (!HOSTNAME.test(opts.blockedProbe)) throw new UsageError(`--blocked-probe ${JSON.stringify(opts.blockedProbe)}: give a host name such as example.com`);
  if (opts.wifi !== undefined && !/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,14}$/.test(opts.wifi)) throw new UsageError(`--wifi ${JSON.stringify(opts.wifi)}: give a network interface name such as wlan0 (1-15 letters, digits, _ . : -)`);
  let ca: VerifyOptions['ca'];
  if (opts.caFile !== undefined) {
    const pem = readSpec(opts.caFile, 'the CA file');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`${opts.caFile}: not a PEM file of CA certificates (no -----BEGIN CERTIFICATE----- line)`);
    try {
      (lazyRequire('node:tls') as typeof tlsType).createSecureContext({ ca: [pem] });
    } catch (e) {
      throw new UsageError(`${opts.caFile}: cannot load the CA certificates (${(e as Error).message})`);
    }
    ca = { file: opts.caFile, pem };
  }
  return { timeoutMs: Number(opts.timeout), blockedProbe: opts.blockedProbe.toLowerCase(), wifi: opts.wifi, ca };
}

/** Runs the command; returns the exit code. */
export async function verifyCommand(file: string, opts: VerifyCommandOptions): Promise<number> {
  const vopts = verifyOptions(opts);
  const result = validateSpec(readSpec(file), file);
  for (const d of result.diagnostics) writeErr(formatDiagnostic(d) + '\n');
  if (!result.ok || !result.site || !result.profile) {
    writeErr(`chargewall: ${file} does not validate: nothing was checked\n`);
    return 2;
  }
  const site = result.site;
  // The router type decides the plan's DNS and NTP strategy (what dns-fallback and ntp expect).
  if (opts.target !== undefined && !targets.has(opts.target)) throw new UsageError(`unknown target '${opts.target}': choose from ${[...targets.keys()].join(', ')}`);
  const candidates = opts.target ? [opts.target] : defaultTargets(site);
  let plan;
  let why = '';
  for (const id of candidates) {
    try {
      plan = buildPlan(site, result.profile, targets.get(id)!.capabilities(site), id);
      break;
    } catch (e) {
      if (!(e instanceof UnsupportedError)) throw e;
      why = e.message;
    }
  }
  if (!plan) throw new UsageError(`${file}: no router type can express this site (${why})`);
  const report = await verifySite(site, result.profile, plan, vopts);
  const text = opts.format === 'json' ? formatJson(report) : opts.format === 'markdown' ? formatMarkdown(report) : formatText(report);
  if (opts.out) {
    const dir = dirname(resolve(opts.out));
    writeFiles(dir, { [basename(resolve(opts.out))]: text });
    const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.id);
    writeErr(`${report.ok ? 'ok' : `FAILED: ${failed.join(', ')}`}; the ${report.checks.length} checks are in ${opts.out}\n`);
  } else writeOut(text);
  return report.ok ? 0 : 1;
}
