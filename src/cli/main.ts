#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { readFileSync } from 'node:fs';
import { renderSpec } from '../pipeline.js';
import { formatDiagnostic, type Diagnostic } from '../spec/diagnostics.js';
import { validateSpec } from '../spec/validate.js';
import { targets, targetIds } from '../targets/registry.js';
import { version } from '../version.js';
import { checkFiles, writeFiles } from './write.js';

/** A usage problem (unknown target, missing file): exit 2, one line, no stack. */
class UsageError extends Error {}

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

function readSpec(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e: any) {
    throw new UsageError(`${file}: cannot read the spec (${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'it is a directory' : e.message})`);
  }
}

function printDiagnostics(list: Diagnostic[], strict = false): boolean {
  for (const d of list) process.stderr.write(formatDiagnostic(strict && d.severity === 'warning' ? { ...d, severity: 'error' } : d) + '\n');
  return list.some((d) => d.severity === 'error' || strict);
}

function parseTargets(list: string[] | undefined): string[] | 'default' {
  if (!list || list.length === 0) return 'default';
  const ids = list.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  if (ids.includes('all')) return targetIds();
  for (const id of ids) {
    if (!targets.has(id)) throw new UsageError(`unknown target '${id}': choose from ${targetIds().join(', ')} or all`);
  }
  return [...new Set(ids)];
}

export function buildProgram(): Command {
  const program = new Command('chargewall')
    .description('Router and firewall configuration for EV charger sites, from one validated YAML spec.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands are added so they inherit it: usage errors become exceptions (exit 2).
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  program
    .command('render')
    .description('validate specs and write the router files to <out>/<site-id>/<target>/')
    .argument('<spec...>', 'site spec YAML files')
    .option('-t, --target <id...>', `targets to render: ${targetIds().join(', ')}, all (default: the spec's targets: keys, else all)`)
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('--check', 'write nothing; exit 1 when the files under <out> are stale, missing or extra')
    .option('--with-secrets', 'put the Wi-Fi passphrase into the outputs (from the spec or its env variable)')
    .option('--pfsense-config <backup.xml>', 'pfSense: merge into this config.xml backup')
    .action((specs: string[], opts) => {
      const ids = parseTargets(opts.target);
      const pfsenseConfig = opts.pfsenseConfig ? { file: opts.pfsenseConfig, text: readSpec(opts.pfsenseConfig) } : undefined;
      let failed = false;
      let drifted = false;
      const seen = new Map<string, string>();
      const staged: { id: string; files: Record<string, string> }[] = [];
      for (const file of specs) {
        const text = readSpec(file);
        const result = renderSpec(text, file, ids, { withSecrets: !!opts.withSecrets, env: process.env, pfsenseConfig });
        if (printDiagnostics(result.diagnostics)) {
          failed = true;
          continue;
        }
        const id = result.site!.site.id;
        if (seen.has(id)) {
          process.stderr.write(`${file}:1:1: error duplicate-site-id: site id '${id}' is also used by ${seen.get(id)}; outputs would overwrite each other\n`);
          failed = true;
          continue;
        }
        seen.set(id, file);
        if (opts.check) {
          const drift = checkFiles(opts.out, result.files);
          for (const f of drift.stale) process.stderr.write(`stale: ${opts.out}/${f}\n`);
          for (const f of drift.missing) process.stderr.write(`missing: ${opts.out}/${f}\n`);
          for (const f of drift.extra) process.stderr.write(`extra: ${opts.out}/${f}\n`);
          if (drift.stale.length + drift.missing.length + drift.extra.length) drifted = true;
        } else {
          staged.push({ id, files: result.files });
        }
      }
      if (staged.length) {
        // One write for every site: a failure at the last site (disk full, permissions) changes no file of the first.
        const report = writeFiles(opts.out, Object.assign({}, ...staged.map((s) => s.files)));
        for (const { id } of staged) {
          const mine = (list: string[]) => list.filter((f) => f.startsWith(`${id}/`)).length;
          const removed = mine(report.removed);
          process.stderr.write(`${id}: ${mine(report.written)} written, ${mine(report.unchanged)} unchanged${removed ? `, ${removed} removed` : ''} in ${opts.out}/${id}\n`);
        }
      }
      if (opts.check && !failed) process.stderr.write(drifted ? `out of date: run chargewall render to update ${opts.out}\n` : `up to date\n`);
      process.exitCode = failed || drifted ? EXIT_INVALID : EXIT_OK;
    });

  program
    .command('validate')
    .description('check specs and report every problem at once')
    .argument('<spec...>', 'site spec YAML files')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'treat warnings as errors')
    .action((specs: string[], opts) => {
      let failed = false;
      const all: Diagnostic[] = [];
      for (const file of specs) {
        const result = validateSpec(readSpec(file), file);
        all.push(...result.diagnostics);
        if (opts.format === 'text') failed = printDiagnostics(result.diagnostics, opts.strict) || failed;
        else failed = failed || !result.ok || (opts.strict && result.diagnostics.length > 0);
        if (opts.format === 'text' && result.ok && !(opts.strict && result.diagnostics.length)) process.stderr.write(`${file}: ok\n`);
      }
      if (opts.format === 'json') process.stdout.write(JSON.stringify({ ok: !failed, diagnostics: all }, null, 2) + '\n');
      process.exitCode = failed ? EXIT_INVALID : EXIT_OK;
    });

  program
    .command('targets')
    .description('list the targets and the files each writes')
    .action(() => {
      for (const t of targets.values()) process.stdout.write(`${t.id.padEnd(10)} ${t.description}\n${' '.repeat(11)}files: ${t.files.join(', ')}\n`);
    });

  return program;
}

export function main(argv: string[]): void {
  const program = buildProgram();
  try {
    program.parse(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is a usage error.
      process.exitCode = e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    } else if (e instanceof UsageError) {
      process.stderr.write(`chargewall: ${e.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else if (e instanceof Error && 'code' in e && typeof (e as any).code === 'string' && (e as any).syscall) {
      // File-system failures while writing (permissions, disk full, a directory in the way).
      process.stderr.write(`chargewall: cannot write output: ${e.message}\n`);
      process.exitCode = EXIT_INVALID;
    } else {
      throw e;
    }
  }
}

main(process.argv);
