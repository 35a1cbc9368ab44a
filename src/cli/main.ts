import { Command, CommanderError, Option } from 'commander';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { renderSpec } from '../pipeline.js';
import { formatDiagnostic, type Diagnostic } from '../spec/diagnostics.js';
import { validateSpec } from '../spec/validate.js';
import { targets, targetIds } from '../targets/registry.js';
import { version } from '../version.js';
import { lazyRequire } from '../util/lazy-require.js';
import { packageRoot } from '../util/paths.js';
import { askAnswers, checkAnswer, initDefaults, InitInputError, starterSpec, type InitAnswers } from './init.js';
import { colorDiagnostic, progress, useColor } from './terminal.js';
import { expandSpecs, isBatchWorker, readSpec, runBatch, runBatchWorker, skipUnchanged, threadCount, UsageError, type BatchJob, type SiteOutcome } from './batch.js';
import { siteDiff } from './diff.js';
import { optionsKey, readIndex, stampSite, writeIndex, type IndexEntry, type OutIndex } from './stat-index.js';
import { acquireLock, staleTemps, waitUnlocked, type Lock } from './lock.js';
import { cleanRootTemps, orphanSites, pruneSite, secretProblem } from './outdir.js';
import { discardStaged, OutputWriter, writeFiles, type SiteWriteCounts } from './write.js';

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

function printDiagnostics(list: Diagnostic[], strict = false): boolean {
  const color = useColor(process.stderr);
  for (const d of list) {
    const line = formatDiagnostic(strict && d.severity === 'warning' ? { ...d, severity: 'error' } : d);
    process.stderr.write((color ? colorDiagnostic(line) : line) + '\n');
  }
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

/** Records what this render wrote (stamped now, after the commit) in the output folder's index. */
function updateIndex(out: string, previous: OutIndex | undefined, entries: { spec: string; entry: IndexEntry; hashes: Record<string, string> }[]): void {
  const specs: Record<string, IndexEntry> = { ...(previous?.specs ?? {}) };
  const ids = new Set(entries.map((e) => e.entry.id));
  // An entry of another spec for a site rendered now is stale.
  for (const [path, e] of Object.entries(specs)) if (ids.has(e.id)) delete specs[path];
  for (const { spec, entry, hashes } of entries) {
    const stamps = stampSite(out, entry.id, hashes);
    if (stamps) specs[resolve(spec)] = { ...entry, ...stamps };
  }
  // Written after every stamp: a file modified within the racy window of this time is re-hashed.
  writeIndex(out, { format: 'chargewall-index/1', writtenAt: Date.now(), specs });
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
    .argument('<spec...>', 'site spec YAML files, or folders (every *.yaml / *.yml below them)')
    .option('-t, --target <id...>', `targets to render: ${targetIds().join(', ')}, all (default: the spec's targets: keys, else all)`)
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('--check', 'write nothing; exit 1 when the files under <out> are stale, missing or extra')
    .option('--prune', 'also remove site folders chargewall wrote that no given spec renders any more')
    .option('--with-secrets', 'put the Wi-Fi passphrase into the outputs (from the spec or its env variable)')
    .option('--pfsense-config <backup.xml>', 'pfSense: merge into this config.xml backup')
    .action(async (args: string[], opts) => {
      const specs = expandSpecs(args);
      const ids = parseTargets(opts.target);
      const out: string = opts.out;
      const pfsenseConfig = opts.pfsenseConfig ? { file: opts.pfsenseConfig, text: readSpec(opts.pfsenseConfig, 'the pfSense backup') } : undefined;
      const job: BatchJob = { specs, targetIds: ids, withSecrets: !!opts.withSecrets, pfsenseConfig, out, knownTargets: targetIds(), check: !!opts.check, subset: ids !== 'default' };
      const say = (line: string) => process.stderr.write(`${line}\n`);
      if (opts.check && opts.prune) throw new UsageError('--check writes nothing: run --prune without --check');
      // One render at a time per output folder (the lock is a file in it); --check waits for a running one.
      const made = !opts.check && !existsSync(out);
      let lock: Lock | undefined;
      try {
        if (opts.check) waitUnlocked(out, say);
        else {
          mkdirSync(out, { recursive: true });
          lock = acquireLock(out, say);
        }
        if (!opts.check) {
          const temps = cleanRootTemps(out);
          if (temps.length) say(`removed ${temps.length} temp folder${temps.length > 1 ? 's' : ''} left in ${out} by a killed render: ${temps.join(', ')}`);
        }
        // The incremental check: sites whose inputs and files are as the last render left them are skipped.
        const index = opts.withSecrets ? undefined : readIndex(out);
        if (!opts.withSecrets) job.indexKey = optionsKey(`chargewall ${version}`, ids, ids !== 'default', pfsenseConfig?.text);
        const skipped = index ? skipUnchanged(job, index) : new Array<SiteOutcome | undefined>(specs.length);
        const rest = specs.map((_, i) => i).filter((i) => !skipped[i]);
        const bar = progress(rest.length);
        // Every site is staged to temp files as it renders (memory stays flat for thousands of sites);
        // one commit at the end renames them, so a failure at the last site changes no file of the first.
        const batch = await runBatch({ ...job, specs: rest.map((i) => specs[i]) }, threadCount(rest.length), (k) => bar.step(k, specs[rest[k]]));
        bar.clear();
        const failure = batch.failure;
        // Back in input order; after a failure, only what comes before it.
        const outcomes: SiteOutcome[] = [];
        for (let i = 0, k = 0; i < specs.length; i++) {
          if (skipped[i]) outcomes.push(skipped[i]!);
          else if (k < batch.outcomes.length) outcomes.push(batch.outcomes[k++]);
          else if (failure) break;
        }
        const writer = opts.check ? undefined : new OutputWriter(out);
        let failed = false;
        let drifted = false;
        const seen = new Map<string, string>();
        const staged: { id: string; counts: SiteWriteCounts; notes: string[] }[] = [];
        const entries: { spec: string; entry: IndexEntry; hashes: Record<string, string> }[] = [];
        const secrets: string[] = [];
        for (const [i, outcome] of outcomes.entries()) {
          const file = specs[i];
          if (printDiagnostics(outcome.diagnostics) || !outcome.id) {
            failed = true;
            continue;
          }
          const id = outcome.id;
          if (seen.has(id)) {
            process.stderr.write(`${file}:1:1: error duplicate-site-id: site id '${id}' is also used by ${seen.get(id)}; outputs would overwrite each other\n`);
            if (outcome.staged) discardStaged(outcome.staged);
            failed = true;
            continue;
          }
          seen.set(id, file);
          if (outcome.drift) {
            const drift = outcome.drift;
            for (const f of drift.refused) say(`refused: ${f}`);
            for (const f of drift.stale) say(`stale: ${out}/${f}`);
            for (const f of drift.missing) say(`missing: ${out}/${f}`);
            for (const f of drift.extra) say(`extra: ${out}/${f}`);
            for (const f of drift.temps) say(`stale temp: ${out}/${f} (left by a killed render; chargewall render removes it)`);
            if (drift.refused.length + drift.stale.length + drift.missing.length + drift.extra.length + drift.temps.length) drifted = true;
          } else if (outcome.staged) {
            staged.push({ id, counts: writer!.adopt(outcome.staged), notes: outcome.staged.notes });
            if (outcome.entry) entries.push({ spec: file, entry: outcome.entry, hashes: outcome.staged.hashes });
            for (const f of outcome.staged.secrets) secrets.push(join(out, f));
          }
        }
        // A spec that cannot be read (or any other stop) ends the run; runBatch left no temp file behind.
        if (failure) throw failure;
        if (writer && secrets.length) {
          // --with-secrets: no passphrase in a file git would commit.
          const problem = secretProblem(out, secrets);
          if (problem) {
            writer.abort();
            say(problem);
            process.exitCode = EXIT_INVALID;
            return;
          }
        }
        if (writer) {
          writer.commit();
          if (entries.length && job.indexKey) updateIndex(out, index, entries);
          // One write for all the summary lines: a batch of thousands of sites is not thousands of writes.
          process.stderr.write(
            staged
              .map(({ id, counts, notes }) => `${id}: ${counts.written} written, ${counts.unchanged} unchanged${counts.removed ? `, ${counts.removed} removed` : ''} in ${out}/${id}\n${notes.map((n) => `note: ${out}/${n}\n`).join('')}`)
              .join(''),
          );
        }
        // Orphans only when every spec rendered: a spec that failed still owns its folder.
        if (!failed && (opts.check || opts.prune)) {
          const temps = opts.check ? staleTemps(out) : [];
          for (const t of temps) say(`stale temp: ${out}/${t.name} (left by a killed render, pid ${t.pid}; chargewall render removes it)`);
          if (temps.length) drifted = true;
          const pruned = new Set<string>();
          for (const { id, manifest } of orphanSites(out, new Set(seen.keys()))) {
            if (opts.check) {
              say(`orphan: ${out}/${id} (written by chargewall, but no given spec renders site '${id}'; chargewall render --prune removes it)`);
              drifted = true;
            } else {
              const { removed, kept } = pruneSite(out, id, manifest);
              pruned.add(id);
              say(kept.length ? `pruned: ${removed} files from ${out}/${id}; kept the folder, it holds files chargewall did not write (or that were edited): ${kept.join(', ')}` : `pruned: ${out}/${id} (${removed} files; no given spec renders it)`);
            }
          }
          // The index forgets pruned sites.
          const current = pruned.size ? readIndex(out) : undefined;
          if (current) writeIndex(out, { ...current, specs: Object.fromEntries(Object.entries(current.specs).filter(([, e]) => !pruned.has(e.id))) });
        }
        if (process.env.CHARGEWALL_INDEX_STATS === '1') say(`index: ${outcomes.filter((o) => o.skipped).length} of ${outcomes.length} sites up to date without rendering`);
        if (opts.check && !failed) {
          const n = seen.size;
          say(`${drifted ? `out of date: run chargewall render to update ${out}` : 'up to date'}; ${n} site${n === 1 ? '' : 's'} checked`);
        }
        process.exitCode = failed || drifted ? EXIT_INVALID : EXIT_OK;
      } finally {
        lock?.release();
        // A run that wrote nothing leaves no output folder it made itself.
        if (made) {
          try {
            rmdirSync(out);
          } catch {}
        }
      }
    });

  program
    .command('diff')
    .description('show what a render would change under <out>, in words first, then (--unified) the text diffs; exit 0 none, 1 some, 2 trouble')
    .argument('<spec...>', 'site spec YAML files, or folders (every *.yaml / *.yml below them)')
    .option('-t, --target <id...>', 'targets to compare (default: as for render)')
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('--unified', 'also print unified text diffs of the files')
    .option('--with-secrets', 'compare with a render that holds the Wi-Fi passphrase')
    .option('--pfsense-config <backup.xml>', 'pfSense: as for render')
    .action(async (args: string[], opts) => {
      const specs = expandSpecs(args);
      const ids = parseTargets(opts.target);
      const out: string = opts.out;
      const pfsenseConfig = opts.pfsenseConfig ? { file: opts.pfsenseConfig, text: readSpec(opts.pfsenseConfig, 'the pfSense backup') } : undefined;
      waitUnlocked(out, (line) => process.stderr.write(`${line}\n`));
      const job: BatchJob = { specs, targetIds: ids, withSecrets: !!opts.withSecrets, pfsenseConfig, out, check: 'diff', subset: ids !== 'default' };
      const { outcomes, failure } = await runBatch(job, 1);
      if (failure) throw failure;
      let trouble = false;
      let changed = false;
      const seen = new Map<string, string>();
      for (const [i, outcome] of outcomes.entries()) {
        if (printDiagnostics(outcome.diagnostics) || !outcome.id) {
          trouble = true;
          continue;
        }
        if (seen.has(outcome.id)) {
          process.stderr.write(`${specs[i]}:1:1: error duplicate-site-id: site id '${outcome.id}' is also used by ${seen.get(outcome.id)}\n`);
          trouble = true;
          continue;
        }
        seen.set(outcome.id, specs[i]);
        if (outcome.refused) {
          process.stderr.write(`chargewall: ${outcome.refused}\n`);
          trouble = true;
          continue;
        }
        const d = siteDiff(out, outcome.comparison!, !!opts.unified);
        process.stdout.write(d.text);
        changed ||= d.changed;
      }
      process.exitCode = trouble ? EXIT_USAGE : changed ? EXIT_INVALID : EXIT_OK;
    });

  program
    .command('validate')
    .description('check specs and report every problem at once')
    .argument('<spec...>', 'site spec YAML files, or folders (every *.yaml / *.yml below them)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'treat warnings as errors')
    .action((args: string[], opts) => {
      const specs = expandSpecs(args);
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
    .command('explain')
    .description('print the explain report (Markdown: diagram, rules and why, DHCP, Wi-Fi, data budget, checklist)')
    .argument('<spec>', 'site spec YAML file')
    .option('-t, --target <id...>', 'targets to compare (default: as for render)')
    .action((file: string, opts) => {
      const result = renderSpec(readSpec(file), file, parseTargets(opts.target), { withSecrets: false, env: {} });
      if (printDiagnostics(result.diagnostics)) {
        process.exitCode = EXIT_INVALID;
        return;
      }
      process.stdout.write(result.files[`${result.site!.site.id}/README.md`]);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the site spec (the same file as schemas/site.schema.json)')
    .action(() => {
      process.stdout.write(readFileSync(join(packageRoot, 'schemas', 'site.schema.json'), 'utf8'));
    });

  program
    .command('init')
    .description('write a commented starter spec that validates as written (asks the essentials in a terminal)')
    .option('-o, --out <file>', 'write the spec to this file (default: stdout, or asked for in a terminal)')
    .option('--force', 'overwrite an existing file')
    .option('--site-id <id>', `site id (default: ${initDefaults.siteId})`)
    .option('--name <text>', 'site name (free text)')
    .option('--chargers <n>', `number of chargers (default: ${initDefaults.chargers})`)
    .option('--subnet <cidr>', `charger subnet (default: ${initDefaults.subnet})`)
    .option('--target <id>', `router target (default: ${initDefaults.target})`)
    .option('--no-wifi', 'the chargers do not use Wi-Fi from this router (4G, PLC, an existing WLAN)')
    .option('--channel <n>', `fixed 2.4 GHz channel 1-11 (default: ${initDefaults.channel})`)
    .option('--country <cc>', `country code for the Wi-Fi regulatory domain (default: ${initDefaults.country})`)
    .action(async (opts, cmd: Command) => {
      const known = targetIds();
      const flags: [keyof InitAnswers, string][] = [['siteId', 'siteId'], ['name', 'name'], ['chargers', 'chargers'], ['subnet', 'subnet'], ['target', 'target'], ['channel', 'channel'], ['country', 'country']];
      const given = flags.filter(([, o]) => cmd.getOptionValueSource(o) === 'cli');
      const interactive = !opts.out && !given.length && cmd.getOptionValueSource('wifi') !== 'cli' && !!process.stdin.isTTY && !!process.stderr.isTTY;
      let answers: InitAnswers = { ...initDefaults, target: known.includes(initDefaults.target) ? initDefaults.target : known[0] };
      let out: string | undefined = opts.out;
      try {
        if (interactive) {
          // readline only for the questions: a render never loads it.
          const { createInterface } = lazyRequire('node:readline/promises') as typeof import('node:readline/promises');
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            answers = await askAnswers((q, d) => rl.question(`${q} [${d}]: `), known, (s) => process.stderr.write(s));
            out = (await rl.question(`Write the spec to [${answers.siteId}.yaml]: `)).trim() || `${answers.siteId}.yaml`;
          } catch (e: any) {
            // Ctrl-C / Ctrl-D or the input ending: leave quietly, nothing written.
            if (e?.code === 'ABORT_ERR' || e?.name === 'AbortError') throw new UsageError('init: input ended before every question was answered; nothing written');
            throw e;
          } finally {
            rl.close();
          }
        } else {
          for (const [key, o] of given) (answers as any)[key] = checkAnswer(key, String(opts[o]), known);
          answers.wifi = opts.wifi !== false;
          if (!given.some(([k]) => k === 'name')) answers.name = answers.siteId === initDefaults.siteId ? initDefaults.name : answers.siteId;
        }
        if (out && existsSync(out) && !opts.force) throw new UsageError(`${out} exists: pass --force to overwrite it`);
        // The $schema line points at the schema shipped with this chargewall, relative to the spec's folder.
        const schemaFile = join(packageRoot, 'schemas', 'site.schema.json');
        const ref = relative(out ? dirname(resolve(out)) : process.cwd(), schemaFile).split('\\').join('/');
        const text = starterSpec(answers, ref);
        if (out) {
          writeFiles(dirname(resolve(out)), { [relative(dirname(resolve(out)), resolve(out))]: text });
          process.stderr.write(`wrote ${out}: check it with chargewall validate ${out}, then chargewall render ${out}\n`);
        } else process.stdout.write(text);
      } catch (e) {
        if (e instanceof InitInputError) throw new UsageError(e.message);
        throw e;
      }
    });

  program
    .command('targets')
    .description('list the targets and the files each writes')
    .action(() => {
      for (const t of targets.values()) process.stdout.write(`${t.id.padEnd(10)} ${t.description}\n${' '.repeat(11)}files: ${t.files.join(', ')}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `chargewall targets | head` closes the pipe early: that is not an error worth a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
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

(isBatchWorker() ? runBatchWorker() : main(process.argv)).catch((e) => {
  // Not a user mistake: a bug. Say so, with the stack, and fail.
  process.stderr.write(`chargewall: internal error (please report it with the spec that caused it):\n${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
