import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './helpers.js';

/**
 * Issue 20 §4: the incremental check. The index lets render and --check skip unchanged sites; any
 * doubt (inputs, metadata, a racy mtime) means the full comparison, so every answer is the one a full
 * render would give.
 */
const cli = join(root, 'dist', 'cli', 'main.js');
const example = join(root, 'examples', 'small-garage.yaml');
const housing = join(root, 'examples', 'housing-association.yaml');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, CHARGEWALL_INDEX_STATS: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const skippedOf = (stderr: string) => Number(/index: (\d+) of \d+ sites up to date without rendering/.exec(stderr)?.[1] ?? -1);
/** Past the racy window (2 s), so stat matches are trusted. */
const settle = () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2100);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cw-incr-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('incremental check and render', () => {
  it('unchanged sites are skipped by render and --check; every change anywhere is still found', () => {
    const out = join(work, 'a');
    const spec = join(work, 'garage.yaml');
    writeFileSync(spec, readFileSync(example, 'utf8'));
    const first = run(['render', spec, housing, '-o', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(skippedOf(first.stderr)).toBe(0);
    settle();
    let c = run(['render', spec, housing, '-o', out, '--check']);
    expect(c.code, c.stderr).toBe(0);
    expect(skippedOf(c.stderr)).toBe(2);
    const again = run(['render', spec, housing, '-o', out]);
    expect(skippedOf(again.stderr)).toBe(2);
    // The same summary lines as a full render would print.
    expect(again.stderr).toContain('verkstad-lund: 0 written, 13 unchanged in');
    expect(again.stderr).toContain('brf-solgarden: 0 written, 29 unchanged in');

    // A hand edit (other size and mtime): found.
    const rules = join(out, 'verkstad-lund', 'iptables', 'rules.v4');
    const original = readFileSync(rules, 'utf8');
    appendFileSync(rules, '# edit\n');
    c = run(['render', spec, housing, '-o', out, '--check']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`stale: ${out}/verkstad-lund/iptables/rules.v4`);
    expect(skippedOf(c.stderr)).toBe(1);
    // The per-site messages are buffered: they still come before the run's last lines, in site order.
    expect(c.stderr.indexOf('stale: ')).toBeGreaterThanOrEqual(0);
    expect(c.stderr.indexOf('stale: ')).toBeLessThan(c.stderr.indexOf('housing-association.yaml:'));
    expect(c.stderr.indexOf('housing-association.yaml:')).toBeLessThan(c.stderr.indexOf('out of date: run'));

    // Same size, mtime set back (to the nanosecond) to what the index holds: the ctime still differs,
    // so the bytes are compared.
    writeFileSync(rules, original);
    settle(); // the file's own mtime is then old enough to be trusted when the index records it
    expect(run(['render', spec, housing, '-o', out]).code).toBe(0);
    settle();
    expect(skippedOf(run(['render', spec, housing, '-o', out, '--check']).stderr)).toBe(2);
    const before = statSync(rules);
    const ref = join(work, 'ref');
    writeFileSync(ref, '');
    expect(spawnSync('touch', ['-r', rules, ref]).status).toBe(0);
    writeFileSync(rules, original.replace('ACCEPT', 'ACCEPX'));
    expect(spawnSync('touch', ['-r', ref, rules]).status).toBe(0);
    expect(statSync(rules).size).toBe(before.size);
    expect(statSync(rules).mtimeMs).toBe(before.mtimeMs);
    c = run(['render', spec, housing, '-o', out, '--check']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain(`stale: ${out}/verkstad-lund/iptables/rules.v4`);
    expect(run(['render', spec, housing, '-o', out]).code).toBe(0);
    settle();

    // The spec changes (one byte of a comment): rendered, and found up to date again (output unchanged).
    appendFileSync(spec, '# a comment\n');
    c = run(['render', spec, housing, '-o', out, '--check']);
    expect(c.code, c.stderr).toBe(0);
    expect(skippedOf(c.stderr)).toBe(1);

    // Other options (-t) are other inputs: rendered.
    c = run(['render', spec, housing, '-o', out, '--check', '-t', 'iptables']);
    expect(skippedOf(c.stderr)).toBe(0);

    // A temp file of a killed render in a site folder: reported as by the full check.
    writeFileSync(join(out, 'verkstad-lund', 'iptables', '.rules.v4.chargewall-999999-0-1.tmp'), 'x');
    c = run(['render', spec, housing, '-o', out, '--check']);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('stale temp: ');
    rmSync(join(out, 'verkstad-lund', 'iptables', '.rules.v4.chargewall-999999-0-1.tmp'));

    // A file of the admin's in a site folder changes the folder's mtime, and nothing else.
    writeFileSync(join(out, 'verkstad-lund', 'NOTES.md'), 'mine\n');
    c = run(['render', spec, housing, '-o', out, '--check']);
    expect(c.code, c.stderr).toBe(0);
  });

  it('a custom profile edited: the site is rendered, not skipped', () => {
    const dir = join(work, 'profile');
    mkdirSync(dir);
    const profileText = readFileSync(join(root, 'profiles', 'zaptec-pro.yaml'), 'utf8');
    writeFileSync(join(dir, 'my-profile.yaml'), profileText.replace(/^id: .*$/m, 'id: my-zaptec'));
    writeFileSync(join(dir, 'site.yaml'), readFileSync(example, 'utf8').replace('profile: zaptec-pro', 'profile: ./my-profile.yaml'));
    const out = join(dir, 'out');
    const r = run(['render', join(dir, 'site.yaml'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    settle();
    expect(skippedOf(run(['render', join(dir, 'site.yaml'), '-o', out, '--check']).stderr)).toBe(1);
    writeFileSync(join(dir, 'my-profile.yaml'), profileText.replace(/^id: .*$/m, 'id: my-zaptec').replace(/^name: (.*)$/m, 'name: $1 (edited)'));
    const c = run(['render', join(dir, 'site.yaml'), '-o', out, '--check']);
    expect(skippedOf(c.stderr)).toBe(0);
    expect(c.code).toBe(1);
  });

  it('warnings of a skipped site are printed as a render prints them', () => {
    const out = join(work, 'warn');
    const spec = join(work, 'warn.yaml');
    // A literal passphrase in the spec is a warning (passphrase-literal).
    writeFileSync(spec, readFileSync(example, 'utf8').replace(/passphrase: .*/, 'passphrase: "Literal-psk-123"'));
    const first = run(['render', spec, '-o', out]);
    expect(first.code).toBe(0);
    const warnings = first.stderr.split('\n').filter((l) => l.includes(' warning '));
    expect(warnings.length).toBeGreaterThan(0);
    settle();
    const c = run(['render', spec, '-o', out, '--check']);
    expect(skippedOf(c.stderr)).toBe(1);
    expect(c.stderr.split('\n').filter((l) => l.includes(' warning '))).toEqual(warnings);
  });

  it('a racy entry (mtime too close to the index write) is re-hashed, not trusted', async () => {
    const { upToDate, stampSite } = await import(join(root, 'dist', 'cli', 'stat-index.js'));
    const { createHash } = await import('node:crypto');
    const sha = (s: string) => createHash('sha256').update(s).digest('hex');
    const out = join(work, 'racy');
    const site = join(out, 's1');
    mkdirSync(join(site, 't'), { recursive: true });
    const manifest = JSON.stringify({ files: { 't/f': sha('old\n') } });
    writeFileSync(join(site, 'chargewall.manifest.json'), manifest);
    writeFileSync(join(site, 't', 'f'), 'new\n'); // same size as 'old\n', other bytes
    const stamps = stampSite(out, 's1', { rels: ['chargewall.manifest.json', 't/f'], manifest: sha(manifest) });
    const entry = { id: 's1', key: 'k', spec: sha('spec'), specArg: 'x', diagnostics: [], ...stamps };
    const mtime = statSync(join(site, 't', 'f')).mtimeMs;
    // The stamps match the file as it is now; only the racy rule makes the bytes be compared.
    expect(upToDate(out, { format: 'chargewall-index/2', writtenAt: mtime + 100, specs: {} }, entry, 'k', sha('spec'))).toBe(false);
    // Written long after (trusted): the stamp is taken at its word, as git does.
    expect(upToDate(out, { format: 'chargewall-index/2', writtenAt: mtime + 60_000, specs: {} }, entry, 'k', sha('spec'))).toBe('clean');
    // An index dated in the future (a clock set back, a file made by hand) would trust everything: not read.
    const { readIndex } = await import(join(root, 'dist', 'cli', 'stat-index.js'));
    writeFileSync(join(out, '.chargewall-index.json'), JSON.stringify({ format: 'chargewall-index/2', writtenAt: Date.now() + 60_000, specs: {} }));
    expect(readIndex(out)).toBeUndefined();
    writeFileSync(join(out, '.chargewall-index.json'), JSON.stringify({ format: 'chargewall-index/2', writtenAt: Date.now() - 1, specs: {} }));
    expect(readIndex(out)).toBeDefined();
    // Other inputs never match.
    expect(upToDate(out, { format: 'chargewall-index/2', writtenAt: mtime + 60_000, specs: {} }, entry, 'k2', sha('spec'))).toBe(false);
    expect(upToDate(out, { format: 'chargewall-index/2', writtenAt: mtime + 60_000, specs: {} }, entry, 'k', sha('spec!'))).toBe(false);
    // The stamps sit in flat arrays next to the paths. A site whose bytes all match its manifest, so a
    // stamp that does not match costs a byte comparison ('rehashed') and only a matching one is 'clean'.
    const good = join(out, 's2');
    mkdirSync(join(good, 't'), { recursive: true });
    writeFileSync(join(good, 'chargewall.manifest.json'), manifest);
    writeFileSync(join(good, 't', 'f'), 'old\n');
    const goodEntry = { ...entry, id: 's2', ...stampSite(out, 's2', { rels: ['chargewall.manifest.json', 't/f'], manifest: sha(manifest) }) };
    const later = { format: 'chargewall-index/2', writtenAt: statSync(join(good, 't', 'f')).mtimeMs + 60_000, specs: {} };
    expect(upToDate(out, later, goodEntry, 'k', sha('spec'))).toBe('clean');
    // Each path is checked against its own stamp: two files' stamps swapped are not trusted.
    const swapped = [...goodEntry.stamps.slice(4, 8), ...goodEntry.stamps.slice(0, 4)];
    expect(upToDate(out, later, { ...goodEntry, stamps: swapped }, 'k', sha('spec'))).toBe('rehashed');
    // Arrays that do not line up (a hand-edited index): doubt, the site is rendered.
    expect(upToDate(out, later, { ...goodEntry, stamps: goodEntry.stamps.slice(0, -1) }, 'k', sha('spec'))).toBe(false);
    expect(upToDate(out, later, { ...goodEntry, dirStamps: [] }, 'k', sha('spec'))).toBe(false);
    expect(upToDate(out, later, { ...goodEntry, files: Object.fromEntries(goodEntry.files.map((f: string) => [f, 0])) }, 'k', sha('spec'))).toBe(false);
    // An index of the earlier format (records keyed by path) is not read: the next run renders in full.
    writeFileSync(join(out, '.chargewall-index.json'), JSON.stringify({ format: 'chargewall-index/1', writtenAt: Date.now() - 1, specs: {} }));
    expect(readIndex(out)).toBeUndefined();
  });
  it('writeIndex writes entries given one at a time (a batch stamps as it writes) as JSON.stringify of the record', async () => {
    const { writeIndex } = await import(join(root, 'dist', 'cli', 'stat-index.js'));
    const out = join(work, 'stream');
    mkdirSync(out, { recursive: true });
    // Enough entries for several ~1 MB pieces, and a key that JSON must escape.
    const pairs = Array.from({ length: 3000 }, (_, i) => [join(work, i === 7 ? 'spé "q".yaml' : `s${i}.yaml`), { id: `s${i}`, key: 'k', spec: 'x'.repeat(64), specArg: `s${i}.yaml`, diagnostics: [{ message: 'm'.repeat(300) }], manifest: 'y'.repeat(64), files: {}, dirs: {} }] as const);
    const index = { format: 'chargewall-index/1', writtenAt: Date.now() - 5000, specs: Object.fromEntries(pairs) };
    let taken = 0;
    function* lazily() {
      for (const p of pairs) {
        taken++;
        yield p;
      }
    }
    writeIndex(out, { ...index, specs: lazily() });
    expect(taken).toBe(pairs.length);
    const text = readFileSync(join(out, '.chargewall-index.json'), 'utf8');
    expect(text).toBe(JSON.stringify(index));
    expect(JSON.parse(text)).toEqual(index);
    writeIndex(out, index);
    expect(readFileSync(join(out, '.chargewall-index.json'), 'utf8')).toBe(text);
  });
});
