import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './helpers.js';

/** Issue 18 §3: `chargewall diff`, the manifest, --check's orphans and site count, --prune, folder arguments. */
const cli = join(root, 'dist', 'cli', 'main.js');
const example = join(root, 'examples', 'small-garage.yaml');

function run(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd: opts.cwd, env: { ...process.env, ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cw-diff-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const spec = (name: string, edit: (s: string) => string = (s) => s) => {
  const file = join(work, name);
  writeFileSync(file, edit(readFileSync(example, 'utf8')));
  return file;
};

describe('manifest', () => {
  it('records generator, spec and profile hash, options, every file with its hash and each target\'s plan; no passphrase', () => {
    const out = join(work, 'manifest');
    const r = run(['render', example, '-t', 'iptables,mikrotik', '-o', out, '--with-secrets'], { env: { CHARGER_WIFI_PSK: 'Manifest-psk-123' } });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(out, 'verkstad-lund', 'chargewall.manifest.json'), 'utf8');
    expect(text).not.toContain('Manifest-psk-123');
    const m = JSON.parse(text);
    expect(m).toMatchObject({ format: 'chargewall-manifest/1', site: 'verkstad-lund', generator: expect.stringMatching(/^chargewall \d/), spec: expect.stringMatching(/^[0-9a-f]{12}$/), profile: { id: 'zaptec-pro' }, options: { withSecrets: true, pfsenseBackup: null } });
    expect(Object.keys(m.targets)).toEqual(['iptables', 'mikrotik']);
    expect(m.targets.iptables.plan).toMatchObject({ chargers: 6, dns: expect.any(String), ntp: expect.any(String), rules: expect.any(Object) });
    // Every file on disk but the manifest is listed, with its SHA-256.
    const { createHash } = require('node:crypto');
    const onDisk = (readdirSync(join(out, 'verkstad-lund'), { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.includes('.') && f !== 'chargewall.manifest.json').sort();
    expect(Object.keys(m.files)).toEqual(onDisk);
    for (const f of onDisk) expect(m.files[f]).toBe(createHash('sha256').update(readFileSync(join(out, 'verkstad-lund', f))).digest('hex'));
    // The spec hash lives in the manifest and the README, in no other file.
    for (const f of onDisk) if (f !== 'README.md') expect(readFileSync(join(out, 'verkstad-lund', f), 'utf8'), f).not.toContain(m.spec);
    expect(readFileSync(join(out, 'verkstad-lund', 'README.md'), 'utf8')).toContain(m.spec);
  });

  it('changing the charger count rewrites only the files whose content changes (not every header)', () => {
    const out = join(work, 'count');
    expect(run(['render', example, '-t', 'iptables,nftables,mikrotik,pfsense', '-o', out]).code).toBe(0);
    const r = run(['render', spec('count.yaml', (s) => s.replace('count: 6', 'count: 9')), '-t', 'iptables,nftables,mikrotik,pfsense', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    // README, dnsmasq.conf twice (pool), the RouterOS script, pfSense's DHCP range and its STEPS.md: 6 of 27 files (and the manifest).
    expect(r.stderr).toMatch(/^verkstad-lund: 6 written, 21 unchanged in /m);
  });
});

describe('chargewall diff', () => {
  it('exit 0 and "no change" on a fresh render; exit 1 with the pool change in words, per router', () => {
    const out = join(work, 'd1');
    expect(run(['render', example, '-t', 'iptables,mikrotik', '-o', out]).code).toBe(0);
    const same = run(['diff', example, '-t', 'iptables,mikrotik', '-o', out]);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toBe(`verkstad-lund: no change (${out}/verkstad-lund)\n`);
    const pool = run(['diff', spec('pool.yaml', (s) => s.replace('count: 6', 'count: 9')), '-t', 'iptables,mikrotik', '-o', out]);
    expect(pool.code).toBe(1);
    expect(pool.stdout).toBe(
      [
        `verkstad-lund: would change (${out}/verkstad-lund)`,
        '  chargers: 6 -> 9',
        '  DHCP pool: 192.168.50.247 - 192.168.50.254 (8 addresses for 8 needed), lease 24h -> 192.168.50.243 - 192.168.50.254 (12 addresses for 12 needed), lease 24h',
        '  site report: README.md',
        '  redeploy on the iptables router: dnsmasq.conf',
        '  redeploy on the mikrotik router: chargewall.rsc',
        '',
      ].join('\n'),
    );
    // diff never writes.
    expect(run(['render', example, '-t', 'iptables,mikrotik', '-o', out, '--check']).code).toBe(0);
  });

  it('an added endpoint is a rule added, with its hosts; a target the spec drops is named', () => {
    const out = join(work, 'd2');
    expect(run(['render', example, '-t', 'iptables,mikrotik', '-o', out]).code).toBe(0);
    const ocpp = spec('ocpp.yaml', (s) => s.replace('targets:', 'extraEndpoints:\n  - { name: ocpp, protocol: tcp, ports: [9000], hosts: [ocpp.example.net] }\ntargets:'));
    const r = run(['diff', ocpp, '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('  rule added: ocpp: allow TCP 9000 to ocpp (ocpp.example.net) [iptables]');
    expect(r.stdout).toContain('  target no longer rendered: mikrotik (its files are removed)\n');
    expect(r.stdout).toMatch(/redeploy on the iptables router: .*ipset\.conf.*rules\.v4/);
    expect(r.stdout).toContain(`  removed from ${out}/verkstad-lund: mikrotik/STEPS.md, mikrotik/chargewall.rsc`);
  });

  it('a hand edit is shown as such, and --unified prints diffs that patch turns into the new files', () => {
    const out = join(work, 'd3');
    expect(run(['render', example, '-o', out]).code).toBe(0);
    const rules = join(out, 'verkstad-lund', 'iptables', 'rules.v4');
    appendFileSync(rules, '# a quick fix on site\n');
    const edited = run(['diff', example, '-o', out]);
    expect(edited.code).toBe(1);
    expect(edited.stdout).toContain('  edited by hand: iptables/rules.v4 (differs from what chargewall wrote; a render replaces the edit)');
    const changed = spec('unified.yaml', (s) => s.replace('count: 6', 'count: 9').replace('channel: 1', 'channel: 6'));
    const u = run(['diff', changed, '-o', out, '--unified']);
    expect(u.code).toBe(1);
    expect(u.stdout).toContain(`--- a/${out}/verkstad-lund/iptables/rules.v4 (edited by hand)\n+++ b/${out}/verkstad-lund/iptables/rules.v4\n`);
    expect(u.stdout).toContain('-# a quick fix on site\n');
    expect(u.stdout).toMatch(/\n-channel=1\n\+channel=6\n/);
    // The text diffs applied with patch(1) give exactly what render writes.
    const patched = join(work, 'patched');
    spawnSync('cp', ['-r', out, patched]);
    const diffText = u.stdout.slice(u.stdout.indexOf('--- a/')).replaceAll(`a/${out}/`, 'a/').replaceAll(`b/${out}/`, 'b/').replace(/ \(edited by hand\)/g, '');
    const p = spawnSync('patch', ['-p1', '-s', '-d', patched], { input: diffText, encoding: 'utf8' });
    expect(p.status, p.stderr + p.stdout).toBe(0);
    expect(run(['render', changed, '-o', out]).code).toBe(0);
    for (const f of ['README.md', 'iptables/rules.v4', 'iptables/dnsmasq.conf', 'iptables/hostapd.conf']) {
      expect(readFileSync(join(patched, 'verkstad-lund', f), 'utf8'), f).toBe(readFileSync(join(out, 'verkstad-lund', f), 'utf8'));
    }
  });

  it('exit 2 for usage errors, a spec in error and a folder chargewall will not touch', () => {
    const out = join(work, 'd4');
    expect(run(['diff', example, '-t', 'cisco', '-o', out]).code).toBe(2);
    expect(run(['diff', join(work, 'nope.yaml'), '-o', out]).code).toBe(2);
    expect(run(['diff', spec('bad.yaml', (s) => s.replace('channel: 1', 'channel: 13')), '-o', out]).code).toBe(2);
    mkdirSync(join(out, 'verkstad-lund'), { recursive: true });
    writeFileSync(join(out, 'verkstad-lund', 'x'), 'mine');
    const r = run(['diff', example, '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('exists and chargewall did not create it');
    // A site never rendered: everything new.
    const fresh = run(['diff', example, '-o', join(work, 'nothing-yet')]);
    expect(fresh.code).toBe(1);
    expect(fresh.stdout).toMatch(/new site: 13 files to write/);
  });

  it('the unified diff of random line edits applies with patch(1)', async () => {
    const { unifiedDiff } = await import(join(root, 'dist', 'cli', 'textdiff.js'));
    const dir = join(work, 'prop');
    mkdirSync(dir);
    const line = fc.constantFrom('a', 'b', 'c', 'd', '', 'x y');
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(line, { maxLength: 30 }), (a, b) => {
        const oldText = a.map((l) => l + '\n').join('');
        const newText = b.map((l) => l + '\n').join('');
        writeFileSync(join(dir, 'f'), oldText);
        const d = unifiedDiff(oldText, newText, 'a/f', 'b/f');
        if (oldText === newText) return d === '';
        const p = spawnSync('patch', ['-p1', '-s', '-d', dir], { input: d, encoding: 'utf8' });
        return p.status === 0 && readFileSync(join(dir, 'f'), 'utf8') === newText;
      }),
      { numRuns: 150 },
    );
  });
});

describe('render --check and --prune over the output folder', () => {
  it('reports orphan site folders, ends with "N sites checked"; --prune removes only what chargewall wrote', () => {
    const out = join(work, 'orphans');
    const other = spec('other.yaml', (s) => s.replace('id: verkstad-lund', 'id: old-site'));
    expect(run(['render', example, other, '-o', out]).code).toBe(0);
    // A folder that is not chargewall's is never an orphan.
    mkdirSync(join(out, 'not-ours'));
    writeFileSync(join(out, 'not-ours', 'file'), 'x');
    const c = run(['render', example, '-o', out, '--check']);
    expect(c.code).toBe(1);
    expect(c.stderr).toBe(`orphan: ${out}/old-site (written by chargewall, but no given spec renders site 'old-site'; chargewall render --prune removes it)\nout of date: run chargewall render ${example} -o ${out} to update ${out}; 1 site checked\n`);
    // Render without --prune leaves it; with --prune a file of the admin in it keeps the folder.
    expect(run(['render', example, '-o', out]).code).toBe(0);
    expect(existsSync(join(out, 'old-site'))).toBe(true);
    writeFileSync(join(out, 'old-site', 'iptables', 'mine.txt'), 'keep me\n');
    const p = run(['render', example, '-o', out, '--prune']);
    expect(p.code, p.stderr).toBe(0);
    expect(p.stderr).toContain(`pruned: 13 files from ${out}/old-site; kept the folder, it holds files chargewall did not write (or that were edited): iptables/mine.txt`);
    // The manifest goes too: what is left is the admin's, so the folder is no longer chargewall's.
    expect((readdirSync(join(out, 'old-site'), { recursive: true }) as string[]).sort()).toEqual(['iptables', 'iptables/mine.txt']);
    rmSync(join(out, 'old-site', 'iptables', 'mine.txt'));
    // Once nothing of the admin's is left, --check no longer sees a chargewall folder there (no manifest).
    expect(run(['render', example, '-o', out, '--check']).code).toBe(0);
    // A whole orphan goes entirely.
    expect(run(['render', example, other, '-o', out]).code, 'old-site folder is empty now, so it is taken').toBe(0);
    const p2 = run(['render', example, '-o', out, '--prune']);
    expect(p2.stderr).toContain(`pruned: ${out}/old-site (13 files; no given spec renders it)`);
    expect(existsSync(join(out, 'old-site'))).toBe(false);
    expect(readFileSync(join(out, 'not-ours', 'file'), 'utf8')).toBe('x');
    const ok = run(['render', example, '-o', out, '--check']);
    expect(ok.stderr).toBe('up to date; 1 site checked\n');
  });

  it('a folder argument means every *.yaml / *.yml below it, sorted; spaces in paths are fine', () => {
    const dir = join(work, 'my specs');
    mkdirSync(join(dir, 'north side'), { recursive: true });
    mkdirSync(join(dir, '.github', 'workflows'), { recursive: true });
    writeFileSync(join(dir, 'b garage.yaml'), readFileSync(example, 'utf8').replace('id: verkstad-lund', 'id: b-site'));
    writeFileSync(join(dir, 'north side', 'a lot.yml'), readFileSync(example, 'utf8').replace('id: verkstad-lund', 'id: a-site'));
    writeFileSync(join(dir, '.github', 'workflows', 'ci.yml'), 'on: push\n');
    writeFileSync(join(dir, 'notes.txt'), 'not a spec\n');
    const out = join(work, 'folder out');
    const r = run(['render', dir, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    // Sorted by path: "b garage.yaml" before "north side/a lot.yml".
    expect(r.stderr).toMatch(/^b-site: \d+ written.*\n(note.*\n)*a-site: \d+ written/);
    expect(run(['render', dir, '-o', out, '--check']).stderr).toBe('up to date; 2 sites checked\n');
    expect(run(['validate', dir]).code).toBe(0);
    expect(run(['diff', dir, '-o', out]).code).toBe(0);
    const empty = join(work, 'empty folder');
    mkdirSync(empty);
    const e = run(['render', empty, '-o', out]);
    expect(e.code).toBe(2);
    expect(e.stderr).toContain('a folder without any *.yaml or *.yml spec');
  });
});
