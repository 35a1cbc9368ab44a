import { Command, CommanderError, Option } from 'commander';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { renderSpec, renderValidated } from '../pipeline.js';
import { closest } from '../util/suggest.js';
import { formatDiagnostic, sortDiagnostics, type Diagnostic } from '../spec/diagnostics.js';
import { validateSpec } from '../spec/validate.js';
import { targets, targetIds } from '../targets/registry.js';
import { version } from '../version.js';
import { lazyRequire } from '../util/lazy-require.js';
import { packageRoot } from '../util/paths.js';
import { sha256Hex } from '../util/sha256.js';
import { askAnswers, checkAnswer, defaultedFlags, initDefaults, initQuestions, initReminder, InitInputError, settle, starterSpec, type InitAnswers } from './init.js';
import { colorDiagnostic, progress, useColor } from './terminal.js';
import { expandSpecs, isBatchWorker, plannedFor, plansAt, readSpec, runBatch, runBatchWorker, skipUnchanged, threadCount, UsageError, type BatchJob, type SiteOutcome } from './batch.js';
import { siteDiff } from './diff.js';
import { INDEX_FORMAT, optionsKey, readIndex, stampSite, writeIndex, type IndexEntry, type IndexFiles, type OutIndex } from './stat-index.js';
import { acquireLock, staleTemps, waitUnlocked, type Lock } from './lock.js';
import { cleanRootTemps, orphanSites, pruneSite, secretProblem } from './outdir.js';
import { discardStaged, OutputWriter, writeFiles, type Drift, type SiteWriteCounts } from './write.js';
import { verifyCommand } from '../verify/cli.js';
import { stderrStream, writeErr, writeOut } from './stdio.js';
import { addTargetFlags, advisedFlags, ignoredPrivateOutput, planInputs, protectPrivateOutputs, targetFlagValues } from './inputs.js';

const EXIT_OK = 0;
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

function printDiagnostics(list: Diagnostic[], strict = false, write: (text: string) => unknown = writeErr): boolean {
  const color = useColor(stderrStream);
  let text = '';
  for (const d of list) {
    // --strict prints a warning as an error; say how a site that accepts it gets past CI.
    const promoted: Diagnostic | undefined = strict && d.severity === 'warning' ? { ...d, severity: 'error', message: `${d.message} (a warning, an error under --strict; if this site accepts it: acknowledge: [${d.code}] in its spec)` } : undefined;
    const line = formatDiagnostic(promoted ?? d);
    text += (color ? colorDiagnostic(line) : line) + '\n';
  }
  // One write per list, not per line: a batch of 10 000 sites with 3 warnings each made 26 000 writes.
  if (text) write(text);
  return list.some((d) => d.severity === 'error' || strict);
}

/**
 * --check does not ask for a target's private output (a merged device configuration) that git ignores
 * and the checkout lacks: it is kept out of the repository on purpose (TargetInput.privateFiles). (A
 * site whose input is absent is left out by the batch: SiteRender.unchecked.)
 */
function unchecked(drift: Drift, id: string, out: string): Drift {
  if (!drift.missing.length) return drift;
  const ignored = ignoredPrivateOutput(id, out);
  return drift.missing.some(ignored) ? { ...drift, missing: drift.missing.filter((f) => !ignored(f)) } : drift;
}

/**
 * The `$schema` line of a new spec must work in a colleague's clone and in CI, where chargewall may
 * live elsewhere: the schema is copied next to the spec (site.schema.json, refreshed when it is an
 * older chargewall copy, never over someone else's file) and referenced as ./site.schema.json.
 * On stdout nothing is copied: the reference is to the same name, and `chargewall schema` writes it.
 */
function schemaNextTo(folder: string, write: boolean): { ref: string; files: Record<string, string> } {
  const shipped = readFileSync(join(packageRoot, 'schemas', 'site.schema.json'), 'utf8');
  const target = join(folder, 'site.schema.json');
  if (!write) return { ref: './site.schema.json', files: {} };
  let current: string | undefined;
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    current = undefined;
  }
  if (current === shipped) return { ref: './site.schema.json', files: {} };
  let ours = current === undefined;
  if (current !== undefined) {
    try {
      ours = JSON.parse(current).$id === JSON.parse(shipped).$id;
    } catch {
      ours = false;
    }
  }
  if (ours) return { ref: './site.schema.json', files: { 'site.schema.json': shipped } };
  // Someone else's site.schema.json: leave it, and point at the shipped schema instead.
  return { ref: relative(folder, join(packageRoot, 'schemas', 'site.schema.json')).split('\\').join('/'), files: {} };
}

/** A shell word: quoted when it holds anything but plain path characters (a path with spaces stays one word). */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command a printed hint starts with. Run through npm (`npx chargewall`, `npm exec`, an npm script),
 * chargewall is installed in the project, not on the admin's PATH: a hint saying `chargewall render`
 * would fail when pasted, so it says `npx chargewall render`.
 */
export function cliCommand(env: NodeJS.ProcessEnv = process.env): string {
  return env.npm_command ? 'npx chargewall' : 'chargewall';
}

/** `chargewall render ...` with the options of this run that change what is written. */
function renderCommand(specs: string[], opts: { out: string; target?: string[]; withSecrets?: boolean }): string {
  const words = ['render', ...specs, '-o', opts.out];
  if (opts.target?.length) words.push('-t', ...opts.target);
  // The targets' flags that change what is written (an input such as a backup), as given.
  words.push(...advisedFlags(opts));
  if (opts.withSecrets) words.push('--with-secrets');
  return `${cliCommand()} ${words.map(shellWord).join(' ')}`;
}

/** "3 errors, 1 warning in 2 files" (with --strict warnings count as errors, as printed). */
export function summaryLine(list: Diagnostic[], files: number, strict = false, acknowledged = 0): string {
  const errors = list.filter((d) => d.severity === 'error' || strict).length;
  const warnings = list.length - errors;
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? '' : 's'}`;
  const withProblems = new Set(list.map((d) => d.file)).size;
  const ack = acknowledged ? ` (${n(acknowledged, 'acknowledged warning')} not shown)` : '';
  if (!list.length) return `no problems in ${n(files, 'file')}${ack}`;
  return `${n(errors, 'error')}, ${n(warnings, 'warning')} in ${n(withProblems, 'file')} (of ${files} checked)${ack}`;
}

function parseTargets(list: string[] | undefined): string[] | 'default' {
  if (!list || list.length === 0) return 'default';
  // Target names are case-insensitive: -t MikroTik is mikrotik.
  const ids = list.flatMap((t) => t.split(',')).map((t) => t.trim().toLowerCase()).filter(Boolean);
  if (ids.includes('all')) return targetIds();
  for (const id of ids) {
    if (!targets.has(id)) {
      const guess = closest(id, [...targetIds(), 'all']);
      throw new UsageError(`unknown target '${id}'${guess ? `: did you mean '${guess}'?` : ''} Choose from ${targetIds().join(', ')} or all`);
    }
  }
  return [...new Set(ids)];
}

/**
 * Records what this render wrote (stamped now, after the commit) in the output folder's index. Each
 * site is stamped as its entry is written, so the stamps of a big batch are never all in memory.
 */
function updateIndex(out: string, previous: OutIndex | undefined, entries: { spec: string; entry: IndexEntry; indexed: IndexFiles }[]): void {
  const ids = new Set(entries.map((e) => e.entry.id));
  const paths = new Set(entries.map((e) => resolve(e.spec)));
  // Taken before the first stamp: a file modified after its stamp (in the same clock tick) then has an
  // mtime within the racy window of this time and is re-hashed. Taken after the last stamp, a batch
  // whose stamping took longer than the window would trust its first sites' stamps too soon.
  const writtenAt = Date.now();
  function* specs(): Generator<[string, IndexEntry]> {
    // An entry of another spec for a site rendered now is stale; one of a spec rendered now is replaced.
    for (const [path, e] of Object.entries(previous?.specs ?? {})) if (!ids.has(e.id) && !paths.has(path)) yield [path, e];
    for (const { spec, entry, indexed } of entries) {
      const stamps = stampSite(out, entry.id, indexed);
      if (stamps) yield [resolve(spec), { ...entry, ...stamps }];
    }
  }
  writeIndex(out, { format: INDEX_FORMAT, writtenAt, specs: specs() });
}

export function buildProgram(): Command {
  const program = new Command('chargewall')
    .description('Router and firewall configuration for EV charger sites, from one validated YAML spec.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // Set before the subcommands are added so they inherit it: usage errors become exceptions (exit 2).
    .exitOverride()
    .configureOutput({ writeOut, writeErr });

  const render = program
    .command('render')
    .description('validate specs and write the router files to <out>/<site-id>/<target>/')
    .argument('<spec...>', 'site spec YAML files, or folders (every *.yaml / *.yml below them)')
    .option('-t, --target <id...>', `targets to render: ${targetIds().join(', ')}, all (default: the spec's targets: keys, else all)`)
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('--check', 'write nothing; exit 1 when the files under <out> are stale, missing or extra')
    .option('--prune', 'also remove site folders chargewall wrote that no given spec renders any more')
    .option('--with-secrets', 'put the Wi-Fi passphrase into the outputs (from the spec or its env variable)');
  // The flags the targets declare (TargetInput.flags), e.g. a backup to merge into.
  addTargetFlags(render, 'render');
  render
    .option('--strict', "treat warnings as errors: a site with a warning its spec does not acknowledge is not written (CI)")
    .action(async (args: string[], opts) => {
      const specs = expandSpecs(args);
      const ids = parseTargets(opts.target);
      const out: string = opts.out;
      const flags = targetFlagValues(opts);
      // What the targets' inputs prepare across the specs (sites sharing one backup merge in turn), before the batch starts.
      // Each spec is read once: its hash is kept for the index (skipUnchanged), not its text (16 MB at 10 000 sites).
      const specHashes = new Map<string, string>();
      const readOnce = (f: string) => {
        const text = readSpec(f);
        if (!opts.withSecrets) specHashes.set(f, sha256Hex(text));
        return text;
      };
      const planned = planInputs(specs, { read: readOnce, ids, flags, out, check: !!opts.check });
      const job: BatchJob = {
        specs,
        targetIds: ids,
        withSecrets: !!opts.withSecrets,
        out,
        knownTargets: targetIds(),
        check: !!opts.check,
        subset: ids !== 'default',
        ...(Object.keys(flags).length && { flags }),
        ...(planned && { planned }),
      };
      const say = (line: string) => writeErr(`${line}\n`);
      // The per-site messages, written in pieces of 64 KB: 10 000 sites with warnings were 10 000 writes.
      let pending = '';
      const flush = () => {
        if (pending) writeErr(pending);
        pending = '';
      };
      const put = (text: string) => {
        pending += text;
        if (pending.length >= 1 << 16) flush();
      };
      const tell = (line: string) => put(`${line}\n`);
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
        if (!opts.withSecrets) job.indexKey = optionsKey(`chargewall ${version}`, ids, ids !== 'default', job.flags && JSON.stringify(job.flags));
        const skipped = index ? skipUnchanged(job, index, specHashes) : new Array<SiteOutcome | undefined>(specs.length);
        const rest = specs.map((_, i) => i).filter((i) => !skipped[i]);
        const bar = progress(rest.length);
        // Every site is staged to temp files as it renders (memory stays flat for thousands of sites);
        // one commit at the end renames them, so a failure at the last site changes no file of the first.
        // Per-spec data goes with its spec: with some specs skipped, position k of the batch is spec rest[k].
        const restJob: BatchJob = { ...job, specs: rest.map((i) => specs[i]), planned: plansAt(job.planned, rest) };
        const batch = await runBatch(restJob, threadCount(rest.length), (k) => bar.step(k, specs[rest[k]]));
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
        const entries: { spec: string; entry: IndexEntry; indexed: IndexFiles }[] = [];
        const secrets: string[] = [];
        const printed: Diagnostic[] = [];
        // The messages so far go out even when the loop stops at a write error.
        try {
          for (const [i, outcome] of outcomes.entries()) {
            const file = specs[i];
            // By position, as validate prints them (the spec rules' come first from the pipeline, then each target's).
            const diagnostics = sortDiagnostics(outcome.diagnostics);
            printed.push(...diagnostics);
            if (printDiagnostics(diagnostics, !!opts.strict, put) || !outcome.id) {
              // --strict: a warning stops this site like an error; its staged files go, nothing of it is written.
              if (outcome.staged) discardStaged(outcome.staged);
              failed = true;
              continue;
            }
            const id = outcome.id;
            if (seen.has(id)) {
              // Located at site.id (parsed again only in this rare case: a batch keeps no positions).
              const pos = validateSpec(readSpec(file), file).locate?.(['site', 'id']) ?? { line: 1, col: 1 };
              const dup: Diagnostic = { severity: 'error', code: 'duplicate-site-id', message: `site id '${id}' is also used by ${seen.get(id)}; outputs would overwrite each other: give each site its own id`, file, line: pos.line, col: pos.col, path: 'site.id' };
              printDiagnostics([dup], false, put);
              printed.push(dup);
              if (outcome.staged) discardStaged(outcome.staged);
              failed = true;
              continue;
            }
            seen.set(id, file);
            if (outcome.drift) {
              const drift = unchecked(outcome.drift, id, out);
              for (const f of drift.refused) tell(`refused: ${f}`);
              for (const f of drift.stale) tell(`stale: ${out}/${f}`);
              for (const f of drift.missing) tell(`missing: ${out}/${f}`);
              for (const f of drift.extra) tell(`extra: ${out}/${f}`);
              for (const f of drift.temps) tell(`stale temp: ${out}/${f} (left by a killed render; chargewall render removes it)`);
              if (drift.refused.length + drift.stale.length + drift.missing.length + drift.extra.length + drift.temps.length) drifted = true;
            } else if (outcome.staged) {
              staged.push({ id, counts: writer!.adopt(outcome.staged), notes: outcome.staged.notes });
              if (outcome.entry) entries.push({ spec: file, entry: outcome.entry, indexed: outcome.staged.indexed });
              for (const f of outcome.staged.secrets) secrets.push(join(out, f));
            }
          }
        } finally {
          flush();
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
          // A merged device configuration (a target's private output) is readable by its owner only.
          for (const o of outcomes) if (o.staged && o.inputs) protectPrivateOutputs(out, o.id!, o.inputs);
          if (entries.length && job.indexKey) updateIndex(out, index, entries);
          // One write for all the summary lines: a batch of thousands of sites is not thousands of writes.
          writeErr(
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
          // The exact command that reproduces the output: the same specs, folder, targets and inputs, so
          // following the advice never drops a merged config (run without its backup, it would).
          say(`${drifted ? `out of date: run ${renderCommand(args, opts)} to update ${out}` : 'up to date'}; ${n} site${n === 1 ? '' : 's'} checked`);
        }
        // A run with problems ends with their count, as validate does (a clean run stays quiet).
        if (printed.length) say(summaryLine(printed, specs.length, !!opts.strict));
        process.exitCode = failed || drifted ? EXIT_INVALID : EXIT_OK;
      } finally {
        flush();
        lock?.release();
        // A run that wrote nothing leaves no output folder it made itself.
        if (made) {
          try {
            rmdirSync(out);
          } catch {}
        }
      }
    });

  const diff = program
    .command('diff')
    .description('show what a render would change under <out>, in words first, then (--unified) the text diffs; exit 0 none, 1 some, 2 trouble')
    .argument('<spec...>', 'site spec YAML files, or folders (every *.yaml / *.yml below them)')
    .option('-t, --target <id...>', 'targets to compare (default: as for render)')
    .option('-o, --out <dir>', 'output folder', 'out')
    .option('--unified', 'also print unified text diffs of the files')
    .option('--with-secrets', 'compare with a render that holds the Wi-Fi passphrase');
  addTargetFlags(diff, 'diff');
  diff.action(async (args: string[], opts) => {
      const specs = expandSpecs(args);
      const ids = parseTargets(opts.target);
      const out: string = opts.out;
      const flags = targetFlagValues(opts);
      waitUnlocked(out, (line) => writeErr(`${line}\n`));
      const planned = planInputs(specs, { read: (f) => readSpec(f), ids, flags, out, check: true });
      const job: BatchJob = { specs, targetIds: ids, withSecrets: !!opts.withSecrets, out, check: 'diff', subset: ids !== 'default', ...(Object.keys(flags).length && { flags }), ...(planned && { planned }) };
      const { outcomes, failure } = await runBatch(job, 1);
      if (failure) throw failure;
      let trouble = false;
      let changed = false;
      const seen = new Map<string, string>();
      for (const [i, outcome] of outcomes.entries()) {
        if (printDiagnostics(sortDiagnostics(outcome.diagnostics)) || !outcome.id) {
          trouble = true;
          continue;
        }
        if (seen.has(outcome.id)) {
          writeErr(`${specs[i]}:1:1: error duplicate-site-id: site id '${outcome.id}' is also used by ${seen.get(outcome.id)}\n`);
          trouble = true;
          continue;
        }
        seen.set(outcome.id, specs[i]);
        if (outcome.refused) {
          writeErr(`chargewall: ${outcome.refused}\n`);
          trouble = true;
          continue;
        }
        const d = siteDiff(out, outcome.comparison!, !!opts.unified);
        writeOut(d.text);
        changed ||= d.changed;
      }
      process.exitCode = trouble ? EXIT_USAGE : changed ? EXIT_INVALID : EXIT_OK;
    });

  program
    .command('validate')
    .description('check specs and report every problem at once (the spec rules, what each target refuses or reports, duplicate site ids)')
    .argument('<spec...>', 'site spec YAML files, or folders (every *.yaml / *.yml below them)')
    .option('-t, --target <id...>', 'targets to check (default: as for render)')
    .option('-o, --out <dir>', "the output folder render would write (pfSense: git must not commit the merged config.xml there)", 'out')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'treat warnings as errors')
    .action((args: string[], opts) => {
      const specs = expandSpecs(args);
      const ids = parseTargets(opts.target);
      const all: Diagnostic[] = [];
      const okFiles: string[] = [];
      const seen = new Map<string, string>();
      let acknowledged = 0;
      // Inputs planned as render plans them (not as --check does): sites sharing a backup merge in turn,
      // and a merged output git would commit is refused here too.
      const planned = planInputs(specs, { read: (f) => readSpec(f), ids, flags: {}, out: opts.out, check: false });
      for (const [i, file] of specs.entries()) {
        const result = validateSpec(readSpec(file), file);
        // What render would add: each target's refusals and reports (files are rendered in memory, never written).
        const rendered = result.ok ? renderValidated(result, file, ids, { withSecrets: false, env: process.env, readOnly: true, planned: plannedFor(planned, i) }) : undefined;
        const diagnostics = rendered ? rendered.diagnostics : [...result.diagnostics];
        // The same cross-spec check as render: two specs with one site id would overwrite each other's output.
        const id = result.siteId;
        if (id !== undefined) {
          const other = seen.get(id);
          if (other !== undefined) {
            const pos = result.locate?.(['site', 'id']) ?? { line: 1, col: 1 };
            diagnostics.push({ severity: 'error', code: 'duplicate-site-id', message: `site id '${id}' is also used by ${other}; their outputs would overwrite each other: give each site its own id`, file, line: pos.line, col: pos.col, path: 'site.id' });
          } else seen.set(id, file);
        }
        const sorted = sortDiagnostics(diagnostics);
        all.push(...sorted);
        if (opts.format === 'text') printDiagnostics(sorted, opts.strict);
        if (!sorted.some((d) => d.severity === 'error' || opts.strict)) okFiles.push(file);
        // Every acknowledged warning: the spec rules' and what the targets and the pipeline reported.
        acknowledged += (rendered ? rendered.acknowledged : result.acknowledged)?.length ?? 0;
      }
      const failed = okFiles.length < specs.length;
      if (opts.format === 'json') writeOut(JSON.stringify({ ok: !failed, diagnostics: all }, null, 2) + '\n');
      else {
        for (const f of okFiles) writeErr(`${f}: ok\n`);
        writeErr(summaryLine(all, specs.length, opts.strict, acknowledged) + '\n');
      }
      process.exitCode = failed ? EXIT_INVALID : EXIT_OK;
    });

  program
    .command('explain')
    .description('print the explain report (Markdown: diagram, rules and why, DHCP, Wi-Fi, data budget, checklist)')
    .argument('<spec>', 'site spec YAML file')
    .option('-t, --target <id...>', 'targets to compare (default: as for render)')
    .action((file: string, opts) => {
      const result = renderSpec(readSpec(file), file, parseTargets(opts.target), { withSecrets: false, env: {}, readOnly: true });
      if (printDiagnostics(sortDiagnostics(result.diagnostics))) {
        process.exitCode = EXIT_INVALID;
        return;
      }
      writeOut(result.files[`${result.site!.site.id}/README.md`]);
    });

  program
    .command('schema')
    .description('print the JSON Schema of the site spec (the same file as schemas/site.schema.json)')
    .action(() => {
      writeOut(readFileSync(join(packageRoot, 'schemas', 'site.schema.json'), 'utf8'));
    });

  const init = program
    .command('init')
    .description('write a commented starter spec that validates as written (in a terminal it asks: router type first, then the site and the router\'s facts)')
    .option('-o, --out <file>', 'write the spec to this file (default: stdout, or asked for in a terminal)')
    .option('--force', 'overwrite an existing file')
    .option('--no-wifi', 'the chargers do not use Wi-Fi (4G, PLC, an existing WLAN)');
  for (const q of initQuestions) {
    if (q.key === 'wifi') continue;
    const d = initDefaults[q.key];
    init.option(`--${q.flag} <value>`, `${q.text}${q.fallback ? '' : ` (default: ${typeof d === 'boolean' ? (d ? 'yes' : 'no') : d === '' ? 'none' : d})`}`);
  }
  init.action(async (opts, cmd: Command) => {
      const known = targetIds();
      const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
      const given = initQuestions.filter((q) => (q.key === 'wifi' ? cmd.getOptionValueSource('wifi') === 'cli' : cmd.getOptionValueSource(camel(q.flag)) === 'cli'));
      // A terminal asks, with or without -o (the file is then not asked for); flags answer instead.
      const interactive = !given.length && !!process.stdin.isTTY && !!process.stderr.isTTY;
      let answers: InitAnswers = { ...initDefaults, target: known.includes(initDefaults.target) ? initDefaults.target : known[0] };
      let out: string | undefined = opts.out;
      try {
        if (interactive) {
          // readline only for the questions: a render never loads it.
          const { createInterface } = lazyRequire('node:readline') as typeof import('node:readline');
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          // Lines are queued, so answers pasted (or typed ahead) in one go are all used, not lost between questions.
          const queue: string[] = [];
          let waiting: ((line: string | undefined) => void) | undefined;
          let ended = false;
          rl.on('line', (l) => (waiting ? (waiting(l), (waiting = undefined)) : queue.push(l)));
          rl.on('close', () => ((ended = true), waiting?.(undefined)));
          rl.on('SIGINT', () => rl.close());
          const question = async (prompt: string): Promise<string> => {
            rl.setPrompt(prompt);
            rl.prompt();
            const line = queue.length ? queue.shift() : ended ? undefined : await new Promise<string | undefined>((r) => (waiting = r));
            // Ctrl-C / Ctrl-D or the input ending: leave quietly, nothing written.
            if (line === undefined) throw new UsageError('init: input ended before every question was answered; nothing written');
            return line;
          };
          try {
            answers = await askAnswers((q, d) => question(`${q} [${d}]: `), known, (s) => writeErr(s));
            if (!out) out = (await question(`Write the spec to [${answers.siteId}.yaml]: `)).trim() || `${answers.siteId}.yaml`;
          } finally {
            rl.close();
          }
        } else {
          // Flags in asking order, so a later default can follow an earlier answer (the radio name from the package).
          for (const q of given) if (q.key !== 'wifi') (answers as any)[q.key] = checkAnswer(q.key, String(opts[camel(q.flag)]), known);
          answers.wifi = opts.wifi !== false;
          answers = settle(answers, new Set(given.map((q) => q.key)));
          // A flag for another router type (or for Wi-Fi with --no-wifi) is a mistake, not something to drop silently.
          const stray = given.find((q) => q.when && !q.when(answers));
          if (stray) throw new UsageError(`init: --${stray.flag} does not apply to --target ${answers.target}${answers.wifi ? '' : ' without Wi-Fi'}; see chargewall init --help`);
        }
        if (out && existsSync(out) && !opts.force) throw new UsageError(`${out} exists: pass --force to overwrite it`);
        const folder = out ? dirname(resolve(out)) : process.cwd();
        const schema = schemaNextTo(folder, !!out);
        const text = starterSpec(answers, schema.ref);
        if (out) {
          writeFiles(folder, { [relative(folder, resolve(out))]: text, ...schema.files });
          const copied = Object.keys(schema.files).length ? ` and ${join(dirname(out), 'site.schema.json')} (the editor schema: commit it next to the specs)` : '';
          // A router's own next step (a backup to save first), only when it is not done yet.
          const backup = initReminder(answers, out, existsSync, shellWord);
          const cli = cliCommand();
          // Without a terminal nothing was asked: say so, and which defaults the file holds (as the flags that change them).
          const defaulted = interactive ? [] : defaultedFlags(answers, new Set(given.map((q) => q.key)), shellWord);
          const note = defaulted.length
            ? `init: ${given.length ? 'asked nothing (flags given)' : 'no terminal, so nothing was asked'}: ${out} has the defaults ${defaulted.join(' ')}; to change them, pass those flags (${cli} init --help) or run init in a terminal\n`
            : '';
          writeErr(`${note}wrote ${out}${copied}\n${backup}check it:  ${cli} validate ${shellWord(out)}\nrender it: ${cli} render ${shellWord(out)}\n`);
        } else {
          writeOut(text);
          // The $schema line names a file next to the spec; -o copies it, stdout cannot.
          writeErr(`the spec's $schema line expects site.schema.json next to it: ${cliCommand()} schema > site.schema.json (or use init -o)\n`);
        }
      } catch (e) {
        if (e instanceof InitInputError) throw new UsageError(e.message);
        throw e;
      }
    });

  program
    .command('verify')
    .description('on site, from the charger segment: check the network against the profile (PASS/FAIL per requirement; exit 0 ok, 1 a check failed, 2 usage)')
    .argument('<spec>', 'site spec YAML file')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text'))
    .option('-o, --out <file>', 'write the result to this file (e.g. next to the spec for the change ticket) instead of stdout')
    .option('--ca-file <pem>', 'trust only these CA certificates (replaces the system trust store)')
    .option('--blocked-probe <host>', 'a host the default deny must block, probed on TCP 443', 'example.com')
    .option('--wifi <iface>', 'read the Wi-Fi link of this interface with iw (Linux): SSID, channel, signal')
    .option('--timeout <ms>', 'bound of each probe in milliseconds', '3000')
    .option('-t, --target <id>', "router type whose plan is checked (default: the first of the spec's targets)")
    .action(async (file: string, opts) => {
      process.exitCode = await verifyCommand(file, opts);
    });

  program
    .command('targets')
    .description('list the targets and the files each writes')
    .action(() => {
      for (const t of targets.values()) writeOut(`${t.id.padEnd(10)} ${t.description}\n${' '.repeat(11)}files: ${t.files.join(', ')}\n`);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; every other commander error is a usage error.
      process.exitCode = e.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    } else if (e instanceof UsageError) {
      writeErr(`chargewall: ${e.message}\n`);
      process.exitCode = EXIT_USAGE;
    } else if (e instanceof Error && 'code' in e && typeof (e as any).code === 'string' && (e as any).syscall) {
      // File-system failures while writing (permissions, disk full, a directory in the way).
      writeErr(`chargewall: cannot write output: ${e.message}\n`);
      process.exitCode = EXIT_INVALID;
    } else {
      throw e;
    }
  }
}

(isBatchWorker() ? runBatchWorker() : main(process.argv)).catch((e) => {
  // Not a user mistake: a bug. Say so, with the stack, and fail.
  writeErr(`chargewall: internal error (please report it with the spec that caused it):\n${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
