#!/usr/bin/env node
// chargewall benchmark: prints numbers, asserts nothing (the goals are in issue 8 and the README).
//   npm run bench                 all cases
//   BENCH_QUICK=1 npm run bench   fewer repetitions
// Cases: (1) one site, all targets, whole process vs `node -e 0`; (2) 1 000 and 10 000 generated sites
// in one run (sites/s, linearity); (3) peak RSS of the 10 000-site run; (5) render --check of the 10 000
// unchanged sites with the incremental index, one changed, and without it; (4) per-stage split in-process.
import { spawnSync } from 'node:child_process';
import { existsSync, renameSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { siteSpec } from './sites.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli', 'main.cjs'); // the bin, as `npx chargewall` runs it
const bundle = join(root, 'dist', 'cli', 'chargewall.cjs'); // the same CLI without the launcher (scripts/launcher.cjs)
const quick = process.env.BENCH_QUICK === '1';
const work = mkdtempSync(join(tmpdir(), 'cw-bench-'));
// Outputs go to a tmpfs when there is one, so the numbers measure chargewall, not the disk;
// [0] measures the disk's own cost per new file, and [2] also runs once onto the disk.
const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/cw-bench-') : undefined;
const outBase = shm ?? work;
const outKind = shm ? 'tmpfs (/dev/shm)' : `disk (${tmpdir()})`;
const env = { ...process.env, CHARGER_WIFI_PSK: 'bench-passphrase-1' };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

/** Wall time of one process run, in ms. */
function timeRun(cmd, args, runEnv = env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: runEnv, stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${r.stderr}`);
  return ms;
}

function makeSites(n) {
  const dir = join(work, `sites-${n}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) writeFileSync(join(dir, `site-${i}.yaml`), siteSpec(i));
  return readdirSync(dir).map((f) => join(dir, f)).sort();
}

/** Microseconds to create one small file (temp + rename, as chargewall writes) in a folder. */
function fileCost(dir) {
  const d = join(dir, 'probe');
  mkdirSync(d, { recursive: true });
  const n = 2000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    writeFileSync(join(d, `.f${i}.tmp`), 'x'.repeat(2000));
    renameSync(join(d, `.f${i}.tmp`), join(d, `f${i}`));
  }
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / n;
  rmSync(d, { recursive: true, force: true });
  return us;
}

const targetsList = spawnSync(process.execPath, [cli, 'targets'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => /^\S/.test(l)).map((l) => l.split(/\s+/)[0]);
console.log(`chargewall benchmark — node ${process.version}, ${availableParallelism()} cores, targets: ${targetsList.join(', ')}`);

console.log(`\n[0] file system: one new file (temp + rename) costs ${fileCost(work).toFixed(0)} µs on the disk (${tmpdir()})${shm ? `, ${fileCost(shm).toFixed(0)} µs on tmpfs` : ''}`);
console.log(`    outputs below go to ${outKind}`);

// (1) One site, all targets, whole process, interleaved with `node -e 0` so both see the same machine state.
// The ratio depends on what `node -e 0` costs on this machine: with NODE_EXTRA_CA_CERTS set (as on the
// machine these numbers were first taken on) every Node process parses that CA bundle at start-up,
// ~35 ms, in both runs. So the case runs twice when it is set: as the environment is, and without it.
// The difference (chargewall minus node -e 0) is what chargewall itself adds, and the same in both.
const one = makeSites(1)[0];
const reps = quick ? 7 : 21;
function oneSite(runEnv) {
  const nodeTimes = [];
  const cliTimes = [];
  const bareTimes = [];
  for (let i = 0; i < reps; i++) {
    nodeTimes.push(timeRun(process.execPath, ['-e', '0'], runEnv));
    cliTimes.push(timeRun(process.execPath, [cli, 'render', one, '--target', 'all', '-o', join(outBase, `one-${i}`)], runEnv));
    bareTimes.push(timeRun(process.execPath, [bundle, 'render', one, '--target', 'all', '-o', join(outBase, `bare-${i}`)], runEnv));
    rmSync(join(outBase, `one-${i}`), { recursive: true, force: true });
    rmSync(join(outBase, `bare-${i}`), { recursive: true, force: true });
  }
  return { node: median(nodeTimes), cli: median(cliTimes), bare: median(bareTimes) };
}
const envs = [['as this environment is', env]];
if (env.NODE_EXTRA_CA_CERTS) {
  const { NODE_EXTRA_CA_CERTS: _ca, ...noCa } = env;
  envs[0][0] = `with NODE_EXTRA_CA_CERTS=${env.NODE_EXTRA_CA_CERTS} (as set here)`;
  envs.push(['without NODE_EXTRA_CA_CERTS', noCa]);
}
console.log(`\n[1] one site, all targets, whole process (median of ${reps})`);
for (const [label, runEnv] of envs) {
  const r = oneSite(runEnv);
  console.log(`    ${label}`);
  console.log(`      node -e 0           ${fmt(r.node)}`);
  console.log(`      chargewall render   ${fmt(r.cli)}   (+${fmt(r.cli - r.node)} over node -e 0)`);
  console.log(`      ratio               ${(r.cli / r.node).toFixed(2)}x   (goal <= 1.5x)`);
  console.log(`      without the launcher (the bundle run directly: no code cache, no V8 flag) ${fmt(r.bare)}, ${(r.bare / r.node).toFixed(2)}x`);
}

// (2) Batches: 1 000 and 10 000 sites in one process, cold output folder each run.
function batch(files, runs, base = outBase, keep = false, extraEnv = {}, entry = cli) {
  const times = [];
  const cpus = [];
  let rss = 0;
  let bytes = 0;
  for (let r = 0; r < runs; r++) {
    const out = join(base, `batch-${files.length}-${r}`);
    const t0 = process.hrtime.bigint();
    const res = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, entry, 'render', ...files, '--target', 'all', '-o', out], { env: { ...env, ...extraEnv }, encoding: 'utf8', maxBuffer: 1 << 28 });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (res.status !== 0) throw new Error(`batch failed: ${res.stderr.slice(-2000)}`);
    const [user, sys, maxKb] = res.stderr.trim().split('\n').pop().split(' ').map(Number);
    cpus.push((user + sys) * 1000);
    rss = Math.max(rss, maxKb / 1024);
    if (r === 0) bytes = readdirSync(out, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).reduce((n, d) => n + statSync(join(d.parentPath ?? d.path, d.name)).size, 0);
    if (!keep) rmSync(out, { recursive: true, force: true });
  }
  return { ms: median(times), cpu: median(cpus), rss, bytes };
}
/** CPU (user + system, all threads) per output byte, the measure that does not depend on the thread count. */
const perByte = (b) => `CPU ${fmt(b.cpu)}, ${((b.cpu * 1e6) / b.bytes).toFixed(0)} ns per output byte (${(b.bytes / 1e6).toFixed(1)} MB)`;
const thousand = makeSites(1000);
const b1 = batch(thousand, quick ? 1 : 3);
console.log(`\n[2] batch of 1 000 sites, all targets, cold output folder (median of ${quick ? 1 : 3})`);
console.log(`    wall ${fmt(b1.ms)}   ${(1000 / (b1.ms / 1000)).toFixed(0)} sites/s   (goal >= 1000 sites/s)   peak RSS ${b1.rss.toFixed(0)} MB`);
console.log(`    ${perByte(b1)}`);
if (shm) {
  const disk = batch(thousand, 1, work, true);
  const perSite = readdirSync(join(work, 'batch-1000-0'), { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).length / 1000;
  console.log(`    onto the disk instead: wall ${fmt(disk.ms)}   ${(1000 / (disk.ms / 1000)).toFixed(0)} sites/s (${perSite} new files per site)`);
  const again = batch(thousand, 1, work);
  console.log(`    again onto the same disk folder (every file unchanged, nothing written): wall ${fmt(again.ms)}   ${(1000 / (again.ms / 1000)).toFixed(0)} sites/s`);
}
const single = batch(thousand, 1, outBase, false, { CHARGEWALL_THREADS: '1' });
console.log(`    on one thread (CHARGEWALL_THREADS=1): wall ${fmt(single.ms)}   ${(1000 / (single.ms / 1000)).toFixed(0)} sites/s   peak RSS ${single.rss.toFixed(0)} MB   ${perByte(single)}`);
const bare = batch(thousand, 1, outBase, false, { CHARGEWALL_THREADS: '1' }, bundle);
console.log(`    on one thread without the launcher (no code cache, no V8 flag): wall ${fmt(bare.ms)}   ${perByte(bare)}`);
const tenThousand = makeSites(10000);
const b10 = batch(tenThousand, 1, outBase, true);
console.log(`    10 000 sites: wall ${fmt(b10.ms)}   ${(10000 / (b10.ms / 1000)).toFixed(0)} sites/s   ratio to 1 000: ${(b10.ms / b1.ms).toFixed(2)}x (linear ≈ 10x)   ${perByte(b10)}`);
console.log(`\n[3] peak RSS of the 10 000-site run: ${b10.rss.toFixed(0)} MB   (goal < 300 MB)`);

// (5) The incremental check (issue 20 §4): the 10 000 sites just written, unchanged, then one changed.
{
  const out = join(outBase, 'batch-10000-0');
  // Past the index's racy window, so its stamps are trusted as they would be in CI after a checkout.
  await new Promise((r) => setTimeout(r, 2100));
  const check = (files, expect) => {
    const t0 = process.hrtime.bigint();
    const res = spawnSync('/usr/bin/time', ['-f', '%U %S %M', process.execPath, cli, 'render', ...files, '--target', 'all', '-o', out, '--check'], { env: { ...env, CHARGEWALL_INDEX_STATS: '1' }, encoding: 'utf8', maxBuffer: 1 << 28 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== expect) throw new Error(`check exited ${res.status}: ${res.stderr.slice(-2000)}`);
    const [user, sys, kb] = res.stderr.trim().split('\n').pop().split(' ').map(Number);
    const skipped = /index: (\d+) of/.exec(res.stderr)?.[1];
    return { ms, cpu: (user + sys) * 1000, rss: kb / 1024, skipped };
  };
  const runs = quick ? 1 : 3;
  const unchanged = Array.from({ length: runs }, () => check(tenThousand, 0));
  const u = unchanged.sort((a, b) => a.ms - b.ms)[Math.floor(runs / 2)];
  console.log(`\n[5] render --check over the 10 000 unchanged sites (median of ${runs}; ${u.skipped} skipped by the index)`);
  console.log(`    wall ${fmt(u.ms)}   CPU ${fmt(u.cpu)}   peak RSS ${u.rss.toFixed(0)} MB   (goal <= 2 s)`);
  writeFileSync(tenThousand[5000], readFileSync(tenThousand[5000], 'utf8').replace(/count: (\d+)/, (_, n) => `count: ${Number(n) + 1}`));
  const c = check(tenThousand, 1);
  console.log(`    one spec changed among them: wall ${fmt(c.ms)}   CPU ${fmt(c.cpu)}   (${c.skipped} skipped; goal <= 2 s)`);
  const noIndex = join(out, '.chargewall-index.json');
  renameSync(noIndex, `${noIndex}.away`);
  const full = check(tenThousand, 1);
  renameSync(`${noIndex}.away`, noIndex);
  console.log(`    without the index (every site rendered and compared): wall ${fmt(full.ms)}   CPU ${fmt(full.cpu)}`);
  rmSync(out, { recursive: true, force: true });
}

// (4) Per-stage split, in-process, over the 1 000 sites: the same functions the CLI calls.
// With the launcher's V8 tuning (scripts/launcher.cjs), so the split matches what the bin does.
(await import('node:v8')).setFlagsFromString('--interrupt-budget=528000');
const { validateSpec } = await import(join(root, 'dist', 'spec', 'validate.js'));
const { renderValidated } = await import(join(root, 'dist', 'pipeline.js'));
const { targetIds } = await import(join(root, 'dist', 'targets', 'registry.js'));
const { OutputWriter } = await import(join(root, 'dist', 'cli', 'write.js'));
const { siteOutput } = await import(join(root, 'dist', 'cli', 'batch.js'));
const stage = { load: 0, validate: 0, 'plan+render': 0, write: 0 };
const now = () => Number(process.hrtime.bigint()) / 1e6;
const writer = new OutputWriter(join(outBase, 'stages'));
const ids = targetIds();
for (const file of thousand) {
  let t = now();
  const text = readFileSync(file, 'utf8');
  stage.load += now() - t;
  t = now();
  const v = validateSpec(text, file);
  stage.validate += now() - t;
  t = now();
  const r = renderValidated(v, file, ids, { withSecrets: false, env });
  stage['plan+render'] += now() - t;
  t = now();
  writer.stage(siteOutput(r, false, false));
  stage.write += now() - t;
}
let t4 = now();
writer.commit();
stage.write += now() - t4;
const total = Object.values(stage).reduce((a, b) => a + b, 0);
console.log(`\n[4] per-stage split, in-process, 1 000 sites, all targets + report, output on ${outKind} (ms total / µs per site)`);
for (const [k, v] of Object.entries(stage)) console.log(`    ${k.padEnd(12)} ${v.toFixed(0).padStart(6)} ms  ${((v / 1000) * 1000).toFixed(0).padStart(6)} µs/site  ${((v / total) * 100).toFixed(0).padStart(3)}%`);

// The same sites again in the same process: code V8 has warmed up. A 1 000-site batch (about 500
// sites per thread) runs mostly cold code, so the gap between the two lines is what warm-up costs.
const warm = { validate: 0, 'plan+render': 0 };
const texts = thousand.map((file) => readFileSync(file, 'utf8'));
for (let pass = 0; pass < 4; pass++) {
  warm.validate = warm['plan+render'] = 0;
  for (let i = 0; i < thousand.length; i++) {
    let t = now();
    const v = validateSpec(texts[i], thousand[i]);
    warm.validate += now() - t;
    t = now();
    renderValidated(v, thousand[i], ids, { withSecrets: false, env });
    warm['plan+render'] += now() - t;
  }
}
console.log(`    warm (fifth pass over the same sites, nothing written): validate ${warm.validate.toFixed(0)} µs/site, plan+render ${warm['plan+render'].toFixed(0)} µs/site`);

rmSync(work, { recursive: true, force: true });
if (shm) rmSync(shm, { recursive: true, force: true });
