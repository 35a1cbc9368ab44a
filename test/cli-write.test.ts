import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderFile, requireTools, root } from './helpers.js';

const cli = join(root, 'dist', 'cli', 'main.js');
const example = join(root, 'examples', 'small-garage.yaml');

function run(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs the CLI as `nobody` (tests run as root, and root ignores file permissions). */
function runAsNobody(args: string[]) {
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every file under `dir` with its content. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(tree(dir).filter((f) => statSync(join(dir, f)).isFile()).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** Every entry below `dir`, but the output folder's local index (a cache like git's, not output). */
function tree(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f !== '.chargewall-index.json').sort();
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cw-write-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('render writes', () => {
  it('writes once, then leaves unchanged files alone', () => {
    const out = join(work, 'a');
    const first = run(['render', example, '-t', 'iptables', '-o', out]);
    expect(first.code, first.stderr).toBe(0);
    // A fresh folder: nothing is stale, so nothing is reported removed (its own temp files do not count).
    expect(first.stderr).toMatch(/verkstad-lund: 13 written, 0 unchanged in \S+\n/);
    const file = join(out, 'verkstad-lund', 'iptables', 'rules.v4');
    const before = statSync(file).mtimeMs;
    const second = run(['render', example, '-t', 'iptables', '-o', out]);
    expect(second.stderr).toMatch(/0 written, 13 unchanged/);
    expect(statSync(file).mtimeMs).toBe(before);
    expect(statSync(join(out, 'verkstad-lund', 'iptables', 'apply.sh')).mode & 0o111).toBeTruthy();
  });

  it('an existing site: a missing and a changed file are written back; files chargewall did not write stay', () => {
    const out = join(work, 'existing');
    expect(run(['render', example, '-t', 'iptables', '-o', out]).code).toBe(0);
    const site = join(out, 'verkstad-lund');
    const fresh = snapshot(site);
    const mtime = statSync(join(site, 'iptables', 'ipset.conf')).mtimeMs;
    rmSync(join(site, 'iptables', 'rules.v4'));
    writeFileSync(join(site, 'README.md'), 'edited\n');
    writeFileSync(join(site, 'iptables', 'old.conf'), 'from an older render\n');
    writeFileSync(join(site, 'notes.txt'), 'the user\'s file\n');
    const r = run(['render', example, '-t', 'iptables', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^verkstad-lund: 2 written, 11 unchanged in \S+\nnote: \S+\/verkstad-lund\/README\.md: edited by hand since chargewall wrote it; the render replaces the edit\n$/);
    // old.conf is not in the manifest: chargewall did not write it, so it stays (issue 17 item 10).
    expect(snapshot(site)).toEqual({ ...fresh, 'notes.txt': "the user's file\n", 'iptables/old.conf': 'from an older render\n' });
    expect(statSync(join(site, 'iptables', 'ipset.conf')).mtimeMs).toBe(mtime);
  });

  it('a directory where a file belongs: clear error, every existing file whole, no temp files', () => {
    const out = join(work, 'b');
    expect(run(['render', example, '-t', 'iptables', '-o', out]).code).toBe(0);
    const dir = join(out, 'verkstad-lund', 'iptables');
    const old = Object.fromEntries(['apply.sh', 'dnsmasq.conf', 'ipset.conf'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
    // Make the spec render different bytes, and put a directory where rules.v4 goes.
    rmSync(join(dir, 'rules.v4'));
    mkdirSync(join(dir, 'rules.v4'));
    const changed = join(work, 'changed.yaml');
    writeFileSync(changed, readFileSync(example, 'utf8').replace('count: 6', 'count: 7'));
    const r = run(['render', changed, '-t', 'iptables', '-o', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/rules\.v4 is a directory/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    for (const [f, text] of Object.entries(old)) expect(readFileSync(join(dir, f), 'utf8')).toBe(text);
    expect(tree(dir).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('disk full half-way: the old files stay whole and no temp file is left', () => {
    if (!requireTools(['mount', 'umount']).ok) return;
    const mnt = join(work, 'tiny');
    mkdirSync(mnt);
    // A 256 KiB tmpfs the test mounts itself: a real ENOSPC, not a mock.
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt]).status).toBe(0);
    try {
      expect(run(['render', example, '-t', 'iptables', '-o', mnt]).code).toBe(0);
      const dir = join(mnt, 'verkstad-lund', 'iptables');
      const old = Object.fromEntries(tree(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
      // Fill the disk, then render a changed spec.
      spawnSync('sh', ['-c', `dd if=/dev/zero of=${mnt}/filler bs=1k count=512 2>/dev/null; true`]);
      const changed = join(work, 'changed2.yaml');
      writeFileSync(changed, readFileSync(example, 'utf8').replace('name: Lund workshop garage', `name: "${'x'.repeat(180)}"`));
      const r = run(['render', changed, '-t', 'iptables', '-o', mnt]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/cannot write output: .*ENOSPC/);
      expect(Object.fromEntries(tree(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]))).toEqual(old);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('permission denied: clear error naming the file, every existing file whole, no temp files', () => {
    if (!requireTools(['setpriv']).ok) return;
    chmodSync(work, 0o755);
    const out = join(work, 'perm');
    expect(run(['render', example, '-t', 'iptables', '-o', out]).code).toBe(0);
    const old = snapshot(out);
    const changed = join(work, 'changed-perm.yaml');
    writeFileSync(changed, readFileSync(example, 'utf8').replace('count: 6', 'count: 7'));
    // The output folder itself is not writable: the lock cannot be taken, nothing changes.
    const locked = runAsNobody(['render', changed, '-t', 'iptables', '-o', out]);
    expect(locked.code, locked.stderr).toBe(1);
    expect(locked.stderr).toMatch(/^chargewall: cannot write output: \S+\/perm\/\.chargewall\.lock: permission denied \(EACCES\); cannot take the output folder's lock, no file was changed\n$/);
    expect(snapshot(out)).toEqual(old);
    chownSync(out, 65534, 65534);
    const r = runAsNobody(['render', changed, '-t', 'iptables', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^chargewall: cannot write output: .*verkstad-lund\/\S+: permission denied \(EACCES\); no file was changed\n$/);
    expect(snapshot(out)).toEqual(old);
    expect(tree(out).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('a failure at the second of two sites changes no file of either site and leaves no temp files', () => {
    if (!requireTools(['setpriv']).ok) return;
    chmodSync(work, 0o755);
    const out = join(work, 'two');
    const housing = join(root, 'examples', 'housing-association.yaml');
    expect(run(['render', housing, example, '-t', 'iptables', '-o', out]).code).toBe(0);
    const old = snapshot(out);
    expect(Object.keys(old).length).toBe(28); // 12 Linux files, README.md and the manifest per site
    chownSync(out, 65534, 65534); // the lock file goes in the output folder
    // brf-solgarden (written first: paths are sorted) is writable for nobody, verkstad-lund is not.
    for (const f of ['', 'iptables', ...tree(join(out, 'brf-solgarden'))]) chownSync(join(out, 'brf-solgarden', f), 65534, 65534);
    const a = join(work, 'two-a.yaml');
    const b = join(work, 'two-b.yaml');
    writeFileSync(a, readFileSync(housing, 'utf8').replace('count: 40', 'count: 41'));
    writeFileSync(b, readFileSync(example, 'utf8').replace('count: 6', 'count: 7'));
    const r = runAsNobody(['render', a, b, '-t', 'iptables', '-o', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/cannot write output: .*verkstad-lund\/\S+: permission denied \(EACCES\); no file was changed/);
    expect(r.stderr).not.toMatch(/written/);
    expect(snapshot(out)).toEqual(old);
    expect(tree(out).filter((f) => f.includes('.tmp'))).toEqual([]);
    // Once the second site is writable too, one run writes both.
    for (const f of ['', 'iptables', ...tree(join(out, 'verkstad-lund'))]) chownSync(join(out, 'verkstad-lund', f), 65534, 65534);
    const ok = runAsNobody(['render', a, b, '-t', 'iptables', '-o', out]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/brf-solgarden: \d+ written.*\nverkstad-lund: \d+ written/);
  });

  it('the passphrase never reaches stdout, stderr or validate --format json', () => {
    const psk = 'Lit3ral-psk-in-spec';
    const spec = join(work, 'literal.yaml');
    writeFileSync(spec, readFileSync(example, 'utf8').replace(/passphrase: .*/, `passphrase: "${psk}"`));
    const v = run(['validate', spec, '--format', 'json']);
    expect(v.stdout).toMatch(/passphrase-literal/);
    expect(v.stdout + v.stderr).not.toContain(psk);
    const bad = join(work, 'bad-literal.yaml');
    writeFileSync(bad, readFileSync(example, 'utf8').replace(/passphrase: .*/, 'passphrase: "short$7"'));
    const vb = run(['validate', bad, '--format', 'json']);
    expect(vb.code).toBe(1);
    expect(JSON.parse(vb.stdout).diagnostics.map((d: any) => d.code)).toContain('passphrase-invalid');
    expect(vb.stdout + vb.stderr).not.toContain('short$7');
    // Every target that can hold this site (UniFi refuses a segment without a VLAN).
    const r = run(['render', spec, '--with-secrets', '-t', 'iptables,mikrotik,pfsense', '-o', join(work, 'lit')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(psk);
    const e = run(['render', bad, '--with-secrets', '-o', join(work, 'lit2')]);
    expect(e.code).toBe(1);
    expect(e.stdout + e.stderr).not.toContain('short$7');
  });

  it('a missing spec after a good one: exit 2, nothing written, no temp files left', () => {
    const out = join(work, 'missing-second');
    const r = run(['render', example, join(work, 'nope-2.yaml'), '-t', 'iptables', '-o', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/nope-2\.yaml: cannot read the spec \(no such file\)/);
    // The first site was staged (as a hidden temp folder: its folder did not exist); the stop removed it.
    expect(tree(out)).toEqual([]);
  });

  it('refuses an unknown target and a missing spec with exit 2', () => {
    expect(run(['render', example, '-t', 'cisco']).code).toBe(2);
    const missing = run(['render', join(work, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read the spec \(no such file\)/);
    expect(run(['render', example, '--frobnicate']).code).toBe(2);
  });

  it('an invalid spec exits 1 with located errors and writes nothing', () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, readFileSync(example, 'utf8').replace('channel: 1', 'channel: 13'));
    const out = join(work, 'c');
    const r = run(['render', bad, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/bad\.yaml:\d+:\d+: error wifi-channel: /);
    expect(existsSync(out)).toBe(false);
  });

  it('--with-secrets without the variable is a located error, and never prints a passphrase', () => {
    const env = { ...process.env } as Record<string, string>;
    delete env.CHARGER_WIFI_PSK;
    const r = spawnSync(process.execPath, [cli, 'render', example, '--with-secrets', '-o', join(work, 'd')], { encoding: 'utf8', env });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/small-garage\.yaml:\d+:\d+: error passphrase-env-missing: .*CHARGER_WIFI_PSK/);
    const ok = run(['render', example, '--with-secrets', '-o', join(work, 'e')], { CHARGER_WIFI_PSK: 'Sup3r-secret-psk' });
    expect(ok.code).toBe(0);
    expect(ok.stderr + ok.stdout).not.toContain('Sup3r-secret-psk');
    expect(readFileSync(join(work, 'e', 'verkstad-lund', 'iptables', 'hostapd.conf'), 'utf8')).toContain('wpa_passphrase=Sup3r-secret-psk');
    expect(readFileSync(join(work, 'a', 'verkstad-lund', 'iptables', 'hostapd.conf'), 'utf8')).not.toContain('wpa_passphrase');
  });
});

describe('render on several threads', () => {
  /** Small valid specs with their own ids and subnets; `dup` gives two of them the same site id. */
  function specs(dir: string, n: number, dup?: [number, number]): string[] {
    mkdirSync(dir, { recursive: true });
    return Array.from({ length: n }, (_, i) => {
      const id = dup && i === dup[1] ? `site-${dup[0]}` : `site-${i}`;
      const file = join(dir, `s${String(i).padStart(3, '0')}.yaml`);
      writeFileSync(file, `version: 1\nsite: { id: ${id}, name: "Site ${i}" }\nprofile: zaptec-pro\nchargers: { count: ${2 + (i % 30)} }\nnetwork: { subnet: 10.77.${i}.0/24, vlan: ${10 + i} }\n${i % 3 ? '' : 'wifi: { ssid: "Lot ' + i + '", passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE }\n'}`);
      return file;
    });
  }
  const temps = (dir: string) => tree(dir).filter((f) => /chargewall-.*\.tmp$/.test(f));

  it('shares the sites between threads and writes the same bytes and messages as one thread', async () => {
    const files = specs(join(work, 'mt-specs'), 60);
    const env = { CHARGER_WIFI_PSK: 'thread-test-psk' };
    const one = run(['render', ...files, '-t', 'all', '-o', join(work, 'mt-1')], { ...env, CHARGEWALL_THREADS: '1' });
    const three = run(['render', ...files, '-t', 'all', '-o', join(work, 'mt-3')], { ...env, CHARGEWALL_THREADS: '3' });
    expect(one.code, one.stderr).toBe(0);
    expect(three.code, three.stderr).toBe(0);
    expect(three.stderr).toBe(one.stderr.replaceAll('mt-1', 'mt-3'));
    expect(snapshot(join(work, 'mt-3'))).toEqual(snapshot(join(work, 'mt-1')));
    expect(Object.keys(snapshot(join(work, 'mt-1'))).length).toBeGreaterThan(60 * 5);
    expect(temps(join(work, 'mt-3'))).toEqual([]);

    // The same job through the module: more than one thread really took sites.
    const { runBatch } = await import(join(root, 'dist', 'cli', 'batch.js'));
    const { targetIds } = await import(join(root, 'dist', 'targets', 'registry.js'));
    process.env.CHARGER_WIFI_PSK = 'thread-test-psk';
    const job = { specs: files, targetIds: targetIds(), withSecrets: false, out: join(work, 'mt-check'), knownTargets: targetIds(), check: true };
    // On a loaded machine the worker can start after the main thread took every spec: up to three tries.
    let result: any;
    for (let attempt = 0; attempt < 3; attempt++) {
      result = await runBatch(job, 2);
      if (new Set(result.outcomes.map((o: { thread: number }) => o.thread)).size === 2) break;
    }
    expect(result.failure).toBeUndefined();
    expect(result.outcomes).toHaveLength(60);
    expect(new Set(result.outcomes.map((o: { thread: number }) => o.thread)).size).toBe(2);
    expect(result.outcomes.map((o: { id: string }) => o.id)).toEqual(files.map((_, i) => `site-${i}`));
  });

  it('a site id used twice on different threads: exit 1, the first one written, no temp files', () => {
    const files = specs(join(work, 'dup-specs'), 50, [0, 49]);
    const out = join(work, 'dup-out');
    const r = run(['render', ...files, '-t', 'iptables', '-o', out], { CHARGER_WIFI_PSK: 'thread-test-psk', CHARGEWALL_THREADS: '2' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${files[49]}:2:13: error duplicate-site-id: site id 'site-0' is also used by ${files[0]}`);
    // The first spec's files, not the duplicate's: its subnet is 10.77.0.0/24.
    expect(readFileSync(join(out, 'site-0', 'iptables', 'dnsmasq.conf'), 'utf8')).toContain('10.77.0.');
    expect(readFileSync(join(out, 'site-0', 'iptables', 'dnsmasq.conf'), 'utf8')).not.toContain('10.77.49.');
    expect(existsSync(join(out, 'site-48', 'iptables', 'rules.v4'))).toBe(true);
    expect(temps(out)).toEqual([]);
  });

  it('a spec that cannot be read in the middle of a threaded batch: exit 2, nothing written, no temp files', () => {
    const files = specs(join(work, 'gap-specs'), 60);
    rmSync(files[30]);
    const out = join(work, 'gap-out');
    const r = run(['render', ...files, '-t', 'all', '-o', out], { CHARGER_WIFI_PSK: 'thread-test-psk', CHARGEWALL_THREADS: '2' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`chargewall: ${files[30]}: cannot read the spec (no such file)`);
    expect(tree(out).filter((f) => statSync(join(out, f)).isFile())).toEqual([]);
    expect(temps(out)).toEqual([]);
  });

  it('render --check meeting a folder where a file belongs: one line, exit 1, no stack, on one thread or two', () => {
    const out = join(work, 'check-dir');
    expect(run(['render', example, '-t', 'iptables', '-o', out]).code).toBe(0);
    const file = join(out, 'verkstad-lund', 'iptables', 'rules.v4');
    rmSync(file);
    mkdirSync(file);
    for (const threads of ['1', '2']) {
      const r = run(['render', example, example.replace('small-garage', 'no-wifi-4g'), '-t', 'iptables', '-o', out, '--check'], { CHARGEWALL_THREADS: threads });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${file} is a directory, not a file`);
      expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
    }
  });

  it('uses one thread for small batches and at most one per core', async () => {
    const { threadCount } = await import(join(root, 'dist', 'cli', 'batch.js'));
    expect(threadCount(1, {})).toBe(1);
    expect(threadCount(39, {})).toBe(1);
    expect(threadCount(100_000, {})).toBeLessThanOrEqual(4);
    expect(threadCount(100_000, {})).toBeGreaterThanOrEqual(1);
    expect(threadCount(50, { CHARGEWALL_THREADS: '3' })).toBe(3);
    expect(threadCount(2, { CHARGEWALL_THREADS: '3' })).toBe(2);
    expect(threadCount(50, { CHARGEWALL_THREADS: 'lots' })).toBe(1);
  });
});

describe('a site whose folder does not exist is staged whole', () => {
  type Write = typeof import('../src/cli/write.js');
  const load = async (): Promise<Write> => import(join(root, 'dist', 'cli', 'write.js'));
  const all = ['iptables', 'mikrotik', 'pfsense', 'unifi'];
  /** Every entry under `dir` with its kind, mode and content: what a user (or a router import) sees. */
  const state = (dir: string) =>
    Object.fromEntries(
      tree(dir).map((f) => {
        const st = statSync(join(dir, f));
        return [f, st.isDirectory() ? `dir ${(st.mode & 0o7777).toString(8)}` : `file ${(st.mode & 0o7777).toString(8)} ${readFileSync(join(dir, f), 'utf8')}`];
      }),
    );
  const files = () => renderFile('examples/housing-association.yaml', 'all');
  /** One site's files from the pipeline (`<id>/...`) as the writer takes them. */
  const asSite = (rendered: Record<string, string>) => {
    const id = Object.keys(rendered)[0].split('/')[0];
    return {
      id,
      files: Object.fromEntries(Object.entries(rendered).map(([k, v]) => [k.slice(id.length + 1), v])),
      meta: { generator: 'chargewall test', spec: 'x', profile: { id: 'p', hash: 'h' }, options: { withSecrets: false, pfsenseBackup: null }, plans: {} },
      subset: false,
      secrets: [],
    };
  };

  it('writes the same tree, bytes and modes as the per-file path, through one hidden temp folder', async () => {
    const { OutputWriter, stageSite } = await load();
    const rendered = files();
    expect(Object.keys(rendered).length).toBeGreaterThan(8);
    // Fresh: the site folder does not exist, so the whole site goes to one temp folder.
    const fresh = join(work, 'whole-fresh');
    const staged = stageSite(fresh, asSite(rendered));
    expect(staged.folder).toBe('brf-solgarden');
    expect(readdirSync(fresh)).toEqual([`.brf-solgarden${staged.suffix}`]);
    expect(staged.counts).toEqual({ written: Object.keys(rendered).length, unchanged: 0, removed: 0 });
    const writer = new OutputWriter(fresh);
    writer.adopt(staged);
    const report = writer.commit();
    expect(report.written.sort()).toEqual([...Object.keys(rendered), 'brf-solgarden/chargewall.manifest.json'].sort());
    // Per file: an (empty) site folder already there takes the per-file path.
    const perFile = join(work, 'whole-perfile');
    mkdirSync(join(perFile, 'brf-solgarden'), { recursive: true });
    const other = stageSite(perFile, asSite(rendered));
    expect(other.folder).toBeUndefined();
    const w2 = new OutputWriter(perFile);
    w2.adopt(other);
    expect(w2.commit().written.sort()).toEqual(report.written);
    expect(state(fresh)).toEqual(state(perFile));
    expect(state(fresh)['brf-solgarden/iptables/apply.sh']).toMatch(/^file 755 /);
    expect(state(fresh)['brf-solgarden/iptables/rules.v4']).toMatch(/^file 644 /);
    for (const [f, text] of Object.entries(rendered)) expect(readFileSync(join(fresh, f), 'utf8')).toBe(text);
  });

  it('keeps the modes of the per-file path under any umask: .sh exactly 0755, others 0644 less the umask', () => {
    const out = join(work, 'umask');
    const cmd = (o: string) => `umask 077 && exec "${process.execPath}" "${cli}" render "${example}" -t iptables -o "${o}"`;
    expect(spawnSync('sh', ['-c', cmd(join(out, 'fresh'))]).status).toBe(0);
    mkdirSync(join(out, 'perfile', 'verkstad-lund'), { recursive: true, mode: 0o700 });
    expect(spawnSync('sh', ['-c', cmd(join(out, 'perfile'))]).status).toBe(0);
    const fresh = state(join(out, 'fresh'));
    expect(fresh['verkstad-lund/iptables/apply.sh']).toMatch(/^file 755 /);
    expect(fresh['verkstad-lund/iptables/rules.v4']).toMatch(/^file 600 /);
    expect(fresh['verkstad-lund']).toBe('dir 700');
    expect(fresh).toEqual(state(join(out, 'perfile')));
  });

  it('a failure at a later site removes the staged temp folder: nothing written, nothing left', async () => {
    const { OutputWriter } = await load();
    const out = join(work, 'whole-fail');
    // The second site's folder holds only folders (so it is taken as empty), one where a file belongs.
    const second = renderFile('examples/small-garage.yaml', ['iptables']);
    mkdirSync(join(out, 'verkstad-lund', 'iptables', 'rules.v4'), { recursive: true });
    const writer = new OutputWriter(out);
    writer.stage(asSite(files()));
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toHaveLength(1);
    expect(() => writer.stage(asSite(second))).toThrow(/rules\.v4 is a directory, not a file.*; nothing was written/);
    expect(tree(out)).toEqual(['verkstad-lund', 'verkstad-lund/iptables', 'verkstad-lund/iptables/rules.v4']);
  });

  it('a site folder created between stage and commit: a located WriteError, no file changed, no temp folder left', async () => {
    const { OutputWriter, WriteError } = await load();
    for (const what of ['full', 'empty', 'file'] as const) {
      const out = join(work, `appeared-${what}`);
      const writer = new OutputWriter(out);
      writer.stage(asSite(renderFile('examples/small-garage.yaml', ['iptables'])));
      writer.stage(asSite(files()));
      const site = join(out, 'brf-solgarden');
      if (what === 'file') writeFileSync(site, 'a user file\n');
      else mkdirSync(site);
      if (what === 'full') writeFileSync(join(site, 'notes.txt'), 'mine\n');
      // What the user sees: everything but the staged temp folders.
      const before = Object.fromEntries(Object.entries(state(out)).filter(([f]) => !f.includes('.chargewall-')));
      expect(Object.keys(before).length).toBe(what === 'full' ? 2 : 1);
      let error: any;
      try {
        writer.commit();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WriteError);
      expect(error.message).toBe(`${site}: it was created while rendering (EEXIST); no file was changed`);
      // The first site (staged whole too) was not renamed into place either: all or nothing.
      expect(state(out)).toEqual(before);
      expect(tree(out).filter((f) => f.includes('.tmp'))).toEqual([]);
      expect(existsSync(join(out, 'verkstad-lund'))).toBe(false);
    }
  });

  it('the CLI reports a fresh output as before, and a second render finds every file unchanged', () => {
    const out = join(work, 'whole-cli');
    const args = ['render', example, join(root, 'examples', 'housing-association.yaml'), '-t', 'iptables,mikrotik,pfsense', '-o', out];
    const first = run(args);
    expect(first.code, first.stderr).toBe(0);
    // (Targets' located warnings, e.g. what the MikroTik script assumes about the router, come first.)
    const summary = (stderr: string) => stderr.replace(/^\S+:\d+:\d+: warning .*\n/gm, '').replace(/^0 errors, \d+ warnings? in .*\n/m, '');
    expect(summary(first.stderr)).toMatch(/^verkstad-lund: \d+ written, 0 unchanged in \S+\nbrf-solgarden: \d+ written, 0 unchanged in \S+\n$/);
    expect(tree(out).filter((f) => f.includes('.tmp'))).toEqual([]);
    const second = run(args);
    expect(second.stderr).toBe(first.stderr.replace(/(\d+) written, 0 unchanged/g, '0 written, $1 unchanged'));
  });

  it('disk full while staging a fresh site: ENOSPC named, no temp folder, no site folder', () => {
    if (!requireTools(['mount', 'umount']).ok) return;
    const mnt = join(work, 'tiny-fresh');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status).toBe(0);
    try {
      spawnSync('sh', ['-c', `dd if=/dev/zero of=${mnt}/filler bs=1k count=40 2>/dev/null; true`]);
      const r = run(['render', join(root, 'examples', 'housing-association.yaml'), '-t', 'all', '-o', mnt]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/^chargewall: cannot write output: \S+brf-solgarden\/\S+: no space left on device \(ENOSPC\); no file was changed\n$/);
      expect(readdirSync(mnt)).toEqual(['filler']);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });

  it('a file bigger than the free space: the short write is not taken for a whole file (ENOSPC, nothing left)', async () => {
    if (!requireTools(['mount', 'umount']).ok) return;
    const { stageSite, WriteError } = await load();
    const mnt = join(work, 'tiny-short');
    mkdirSync(mnt);
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status).toBe(0);
    try {
      // One write call gets part of the text onto the disk, the rest must fail loudly.
      const big = { 'big-site/iptables/rules.v4': 'x'.repeat(200_000), 'big-site/iptables/apply.sh': '#!/bin/sh\n' };
      let error: any;
      try {
        stageSite(mnt, asSite(big));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(WriteError);
      expect(error.message).toBe(`${mnt}/big-site/iptables/rules.v4: no space left on device (ENOSPC); no file was changed`);
      expect(readdirSync(mnt)).toEqual([]);
    } finally {
      spawnSync('umount', [mnt]);
    }
  });
});
