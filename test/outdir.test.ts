import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { root, sharedData } from './helpers.js';

/**
 * Issue 17 items 8–13: render touches only what it owns in the output folder. Every test runs the
 * built CLI as a user does and looks at the whole file tree (inside and outside `out/`) afterwards.
 */
const cli = join(root, 'dist', 'cli', 'main.js');
const example = join(root, 'examples', 'small-garage.yaml');
const housing = join(root, 'examples', 'housing-association.yaml');

function run(args: string[], env: Record<string, string> = {}, timeout = 30_000) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
}

/** Every entry below `dir` (links not followed) with its kind, mode, mtime and content. */
function state(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      if (st.isSymbolicLink()) out[r] = 'link';
      else if (st.isDirectory()) {
        out[r] = `dir ${(st.mode & 0o777).toString(8)}`;
        walk(p, r);
      } else if (st.isFile()) out[r] = `file ${(st.mode & 0o777).toString(8)} ${st.mtimeMs} ${readFileSync(p, 'utf8')}`;
      else out[r] = 'special';
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out;
}

const temps = (dir: string) => Object.keys(state(dir)).filter((f) => /chargewall-\d+-\d+-\d+\.tmp/.test(f));

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cw-outdir-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A copy of the small garage with another charger count (so a render changes files). */
function changedSpec(name: string, count = 7, id = 'verkstad-lund'): string {
  const file = join(work, name);
  writeFileSync(file, readFileSync(example, 'utf8').replace('count: 6', `count: ${count}`).replace('id: verkstad-lund', `id: ${id}`));
  return file;
}

describe('item 8: no link is followed out of the output folder', () => {
  it('a symlinked target folder: refused, nothing outside out/ changes, nothing inside either', () => {
    const out = join(work, 'link-target');
    expect(run(['render', example, '-o', out]).code).toBe(0);
    // The admin's real config folder, with a file chargewall never wrote, and a copy of the outputs.
    const elsewhere = join(work, 'etc-chargewall');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'hostapd.psk'), 'aa:bb:cc:dd:ee:ff secret\n');
    renameSync(join(out, 'verkstad-lund', 'iptables'), join(elsewhere, 'iptables'));
    symlinkSync(join(elsewhere, 'iptables'), join(out, 'verkstad-lund', 'iptables'));
    const outside = state(elsewhere);
    const inside = state(out);
    for (const args of [[changedSpec('link-a.yaml')], [changedSpec('link-b.yaml'), '-t', 'iptables'], [changedSpec('link-c.yaml'), '-t', 'iptables,mikrotik']]) {
      const r = run(['render', ...args, '-o', out]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(`${join(out, 'verkstad-lund', 'iptables')} is a symbolic link: chargewall never writes or removes through a link`);
      expect(r.stderr).toContain('nothing was written');
      expect(state(elsewhere)).toEqual(outside);
      expect(state(out)).toEqual(inside);
    }
    const check = run(['render', example, '-o', out, '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toMatch(/refused: \S+ is a symbolic link/);
  });

  it('a symlinked site folder and a symlinked file (to /dev/zero, to a file outside): refused, the targets untouched', () => {
    const out = join(work, 'link-site');
    const elsewhere = join(work, 'site-elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'keep.txt'), 'mine\n');
    mkdirSync(out);
    symlinkSync(elsewhere, join(out, 'verkstad-lund'));
    const r = run(['render', example, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(out, 'verkstad-lund')} is a symbolic link`);
    expect(readdirSync(elsewhere)).toEqual(['keep.txt']);

    const out2 = join(work, 'link-file');
    expect(run(['render', example, '-o', out2]).code).toBe(0);
    const target = join(work, 'outside-rules.v4');
    writeFileSync(target, 'the admin\'s own rules\n');
    for (const [file, to] of [['rules.v4', target], ['ipset.conf', '/dev/zero']]) {
      const p = join(out2, 'verkstad-lund', 'iptables', file);
      rmSync(p);
      symlinkSync(to, p);
    }
    const before = state(out2);
    const r2 = run(['render', changedSpec('link-file.yaml'), '-o', out2], {}, 10_000);
    expect(r2.signal, 'a link to /dev/zero must not hang the render').toBeNull();
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/is a symbolic link, not a regular file/);
    expect(readFileSync(target, 'utf8')).toBe("the admin's own rules\n");
    expect(state(out2)).toEqual(before);
    const check = run(['render', example, '-o', out2, '--check'], {}, 10_000);
    expect(check.signal).toBeNull();
    expect(check.code).toBe(1);
    expect(temps(out2)).toEqual([]);
  });
});

describe('item 9: a site folder chargewall did not create is refused', () => {
  it('a foreign folder with the site id: exit 1, its files unchanged; --check says why', () => {
    const out = join(work, 'foreign');
    mkdirSync(join(out, 'verkstad-lund', 'iptables'), { recursive: true });
    writeFileSync(join(out, 'verkstad-lund', 'iptables', 'rules.v4'), 'the admin\'s rules\n');
    writeFileSync(join(out, 'verkstad-lund', 'notes.txt'), 'mine\n');
    const before = state(out);
    const r = run(['render', example, housing, '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`chargewall: cannot write output: ${join(out, 'verkstad-lund')} exists and chargewall did not create it (no chargewall.manifest.json): choose another --out or site id, or move the folder away; nothing was written\n`);
    // All or nothing: the other site was not written either.
    expect(state(out)).toEqual(before);
    const check = run(['render', example, '-o', out, '--check']);
    expect(check.code).toBe(1);
    expect(check.stderr).toContain(`refused: ${join(out, 'verkstad-lund')} exists and chargewall did not create it`);
  });

  it('an empty folder is taken; a damaged or foreign manifest is refused; a file of the admin at a generated path is refused', () => {
    const out = join(work, 'empty');
    mkdirSync(join(out, 'verkstad-lund'), { recursive: true });
    expect(run(['render', example, '-o', out]).code).toBe(0);
    expect(existsSync(join(out, 'verkstad-lund', 'chargewall.manifest.json'))).toBe(true);

    const manifest = join(out, 'verkstad-lund', 'chargewall.manifest.json');
    const good = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, good.replace('"site": "verkstad-lund"', '"site": "other-site"'));
    let r = run(['render', changedSpec('damaged.yaml'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("it belongs to site 'other-site', not 'verkstad-lund'");
    // A manifest naming a path outside the site folder is not trusted.
    writeFileSync(manifest, good.replace('"README.md":', '"../../escape":'));
    r = run(['render', changedSpec('damaged.yaml'), '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("it lists an invalid path '../../escape'");
    writeFileSync(manifest, good);

    // A file where a newly named target's output goes, that chargewall did not write.
    mkdirSync(join(out, 'verkstad-lund', 'mikrotik'));
    writeFileSync(join(out, 'verkstad-lund', 'mikrotik', 'chargewall.rsc'), '# the admin\'s script\n');
    const before = state(out);
    r = run(['render', example, '-t', 'iptables,mikrotik', '-o', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${join(out, 'verkstad-lund', 'mikrotik', 'chargewall.rsc')} exists and chargewall did not write it`);
    expect(state(out)).toEqual(before);
  });

  it('a folder an older chargewall wrote (no manifest, its report) is taken over without removing anything', () => {
    const out = join(work, 'legacy');
    expect(run(['render', example, '-o', out]).code).toBe(0);
    rmSync(join(out, 'verkstad-lund', 'chargewall.manifest.json'));
    writeFileSync(join(out, 'verkstad-lund', 'iptables', 'old-file.conf'), 'from an old version\n');
    const r = run(['render', changedSpec('legacy.yaml'), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no chargewall.manifest.json (written by an older chargewall): files are replaced, none is removed');
    expect(readFileSync(join(out, 'verkstad-lund', 'iptables', 'old-file.conf'), 'utf8')).toBe('from an old version\n');
    expect(JSON.parse(readFileSync(join(out, 'verkstad-lund', 'chargewall.manifest.json'), 'utf8')).files).not.toHaveProperty('iptables/old-file.conf');
  });
});

describe('item 10: -t touches only the named targets, and only chargewall\'s files', () => {
  it('the other targets\' files, user files and a pfSense backup in the target folder all stay', () => {
    const out = join(work, 'subset');
    const site = join(out, 'verkstad-lund');
    expect(run(['render', example, '-t', 'iptables,mikrotik,pfsense', '-o', out]).code).toBe(0);
    const mikrotik = state(join(site, 'mikrotik'));
    // The admin keeps the pfSense backup and a note in chargewall's folders.
    const backup = join(site, 'pfsense', 'backup-config.xml');
    // The stock config with an OPT1 interface for the chargers (the spec's 192.168.50.1/24).
    const opt1 = '\t\t<opt1>\n\t\t\t<descr><![CDATA[CHARGERS]]></descr>\n\t\t\t<if>em2</if>\n\t\t\t<enable></enable>\n\t\t\t<ipaddr>192.168.50.1</ipaddr>\n\t\t\t<subnet>24</subnet>\n\t\t</opt1>\n';
    const backupText = readFileSync(join(sharedData, 'pfsense', 'default-config.xml'), 'utf8').replace('\t</interfaces>\n', `${opt1}\t</interfaces>\n`);
    writeFileSync(backup, backupText);
    writeFileSync(join(site, 'iptables', 'my-notes.txt'), 'mine\n');

    const changed = changedSpec('subset.yaml');
    const r = run(['render', changed, '-t', 'iptables', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/removed/);
    expect(state(join(site, 'mikrotik'))).toEqual(mikrotik);
    expect(readFileSync(backup, 'utf8')).toBe(backupText);
    expect(readFileSync(join(site, 'iptables', 'my-notes.txt'), 'utf8')).toBe('mine\n');
    const m = JSON.parse(readFileSync(join(site, 'chargewall.manifest.json'), 'utf8'));
    expect(Object.keys(m.targets)).toEqual(['iptables', 'mikrotik', 'pfsense']);
    expect(m.targets.mikrotik.spec).not.toBe(m.targets.iptables.spec);
    expect(Object.keys(m.files).filter((f) => f.startsWith('mikrotik/'))).toEqual(['mikrotik/STEPS.md', 'mikrotik/chargewall.rsc']);

    // With the backup merged (config.xml written next to it), then without: chargewall removes its
    // own config.xml and never the backup it read.
    const merged = run(['render', changed, '-t', 'pfsense', '--pfsense-config', backup, '-o', out]);
    expect(merged.code, merged.stderr).toBe(0);
    expect(existsSync(join(site, 'pfsense', 'config.xml'))).toBe(true);
    const plain = run(['render', changed, '-t', 'pfsense', '-o', out]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(existsSync(join(site, 'pfsense', 'config.xml'))).toBe(false);
    expect(readFileSync(backup, 'utf8')).toBe(backupText);

    // The spec's own targets (no -t): the targets it does not name are removed, and it says so.
    const all = run(['render', changed, '-o', out]);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).toContain(`note: ${site}/mikrotik: not among this render's targets`);
    expect(existsSync(join(site, 'mikrotik'))).toBe(false);
    // The pfsense folder keeps the admin's backup (and so stays).
    expect(readdirSync(join(site, 'pfsense'))).toEqual(['backup-config.xml']);
    expect(readFileSync(join(site, 'iptables', 'my-notes.txt'), 'utf8')).toBe('mine\n');
  });

  it('a file chargewall wrote and the admin then edited is not removed when its target goes', () => {
    const out = join(work, 'edited-drop');
    const site = join(out, 'verkstad-lund');
    expect(run(['render', example, '-t', 'iptables,mikrotik', '-o', out]).code).toBe(0);
    writeFileSync(join(site, 'mikrotik', 'chargewall.rsc'), readFileSync(join(site, 'mikrotik', 'chargewall.rsc'), 'utf8') + '# my tweak\n');
    const r = run(['render', example, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('mikrotik/chargewall.rsc: no longer rendered, but edited by hand since chargewall wrote it: left in place');
    expect(readFileSync(join(site, 'mikrotik', 'chargewall.rsc'), 'utf8')).toMatch(/# my tweak\n$/);
    expect(run(['render', example, '-o', out, '--check']).code).toBe(0);
  });
});

describe('item 11: one render at a time per output folder', () => {
  /** n small specs with their own ids; `tag` changes the content. */
  function batch(dir: string, n: number, tag: string): string[] {
    mkdirSync(dir, { recursive: true });
    return Array.from({ length: n }, (_, i) => {
      const file = join(dir, `s${String(i).padStart(3, '0')}.yaml`);
      writeFileSync(file, `version: 1\nsite: { id: site-${i}, name: "Site ${i} ${tag}" }\nprofile: zaptec-pro\nchargers: { count: ${2 + (i % 30)} }\nnetwork: { subnet: 10.77.${i}.0/24, vlan: ${10 + i} }\n`);
      return file;
    });
  }
  const runAsync = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const p = spawn(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
      let stderr = '';
      p.stderr.on('data', (d) => (stderr += d));
      p.on('close', (code) => resolve({ code, stderr }));
    });

  it('two concurrent renders of the same sites: the second waits, both succeed, the folder is wholly the last one', async () => {
    const out = join(work, 'concurrent');
    const a = batch(join(work, 'conc-a'), 80, 'A');
    const b = batch(join(work, 'conc-b'), 80, 'B');
    const [ra, rb] = await Promise.all([runAsync(['render', ...a, '-t', 'iptables', '-o', out]), runAsync(['render', ...b, '-t', 'iptables', '-o', out])]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    // One of them waited for the other, and said so.
    expect(ra.stderr + rb.stderr).toMatch(/waiting: chargewall pid \d+ is writing /);
    // Whichever ran last: its render is up to date as a whole, the other's is not (no mixed folder).
    const ca = run(['render', ...a, '-t', 'iptables', '-o', out, '--check']);
    const cb = run(['render', ...b, '-t', 'iptables', '-o', out, '--check']);
    expect([ca.code, cb.code].sort()).toEqual([0, 1]);
    expect(existsSync(join(out, '.chargewall.lock'))).toBe(false);
    expect(temps(out)).toEqual([]);
  });

  it('a lock held by a live process: a clear failure after the wait; a lock of a dead process is taken over', () => {
    const out = join(work, 'held');
    mkdirSync(out);
    // This test process is alive: its pid in the lock is a render still running.
    writeFileSync(join(out, '.chargewall.lock'), `${process.pid} - ${hostname()}\n`);
    const r = run(['render', example, '-o', out], { CHARGEWALL_LOCK_WAIT: '0.3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`waiting: chargewall pid ${process.pid} is writing ${out}`);
    expect(r.stderr).toContain(`${out}: chargewall (pid ${process.pid}) is writing this output folder (lock ${join(out, '.chargewall.lock')}); waited 0.3 s. Run again when it has finished`);
    expect(existsSync(join(out, 'verkstad-lund'))).toBe(false);
    // A pid that no longer runs (a render killed with -9).
    const dead = spawnSync('true').pid!;
    writeFileSync(join(out, '.chargewall.lock'), `${dead} - ${hostname()}\n`);
    const ok = run(['render', example, '-o', out], { CHARGEWALL_LOCK_WAIT: '0.3' });
    expect(ok.code, ok.stderr).toBe(0);
    expect(existsSync(join(out, '.chargewall.lock'))).toBe(false);
  });
});

describe('item 12: temp folders of killed renders', () => {
  it('kill -9 in the middle of a batch: --check reports the temp folders and files, render removes them', async () => {
    const out = join(work, 'killed');
    const dir = join(work, 'killed-specs');
    mkdirSync(dir);
    const write = (tag: string) =>
      Array.from({ length: 400 }, (_, i) => {
        const file = join(dir, `k${String(i).padStart(3, '0')}.yaml`);
        writeFileSync(file, `version: 1\nsite: { id: k-${i}, name: "Killed ${i} ${tag}" }\nprofile: zaptec-pro\nchargers: { count: 3 }\nnetwork: { subnet: 10.78.${i % 250}.0/24, vlan: ${10 + (i % 4000)} }\n`);
        return file;
      });
    /** Starts a render and kills it with SIGKILL once it has staged `min` temp entries (before its commit). */
    const killMidway = async (specs: string[], where: (out: string) => string[], min: number) => {
      const p = spawn(process.execPath, [cli, 'render', ...specs, '-t', 'iptables', '-o', out], { env: { ...process.env, CHARGEWALL_THREADS: '1' }, stdio: 'ignore' });
      const started = Date.now();
      while (where(out).length < min && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 5));
      p.kill('SIGKILL');
      await new Promise((r) => p.on('close', r));
    };
    // A first batch killed while staging whole site folders (hidden folders at the top of out/).
    const first = write('one');
    await killMidway(first, (o) => (existsSync(o) ? readdirSync(o).filter((f) => f.endsWith('.tmp')) : []), 20);
    const topTemps = readdirSync(out).filter((f) => f.endsWith('.tmp'));
    expect(topTemps.length).toBeGreaterThanOrEqual(20);
    // The dead render's lock is left behind too.
    let check = run(['render', ...first, '-t', 'iptables', '-o', out, '--check']);
    expect(check.code).toBe(1);
    for (const t of topTemps) expect(check.stderr).toContain(`stale temp: ${out}/${t} (left by a killed render, pid `);
    let r = run(['render', ...first, '-t', 'iptables', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`^removed ${topTemps.length} temp folders left in \\S+ by a killed render`));
    expect(temps(out)).toEqual([]);
    check = run(['render', ...first, '-t', 'iptables', '-o', out, '--check']);
    expect(check.code, check.stderr).toBe(0);
    expect(check.stderr).toBe('up to date; 400 sites checked\n');

    // A second batch changes existing sites: killed while staging temp files inside site folders.
    const second = write('two');
    await killMidway(second, (o) => temps(o), 20);
    const inner = temps(out);
    expect(inner.length).toBeGreaterThanOrEqual(20);
    check = run(['render', ...second, '-t', 'iptables', '-o', out, '--check']);
    expect(check.code).toBe(1);
    for (const t of inner) expect(check.stderr).toContain(`stale temp: ${out}/${t}`);
    r = run(['render', ...second, '-t', 'iptables', '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(temps(out)).toEqual([]);
    expect(run(['render', ...second, '-t', 'iptables', '-o', out, '--check']).code).toBe(0);
  });
});

describe('item 13: only regular files are opened', () => {
  const mkfifo = (p: string) => expect(spawnSync('mkfifo', [p]).status).toBe(0);

  it('a FIFO in out/: render and --check refuse it at once, never a hang', () => {
    const out = join(work, 'fifo');
    expect(run(['render', example, '-o', out]).code).toBe(0);
    const file = join(out, 'verkstad-lund', 'iptables', 'rules.v4');
    rmSync(file);
    mkfifo(file);
    for (const extra of [[], ['--check']]) {
      const t0 = Date.now();
      const r = run(['render', changedSpec('fifo.yaml'), '-o', out, ...extra], {}, 10_000);
      expect(r.signal, 'must not hang').toBeNull();
      expect(Date.now() - t0).toBeLessThan(8000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file} is a FIFO (named pipe), not a regular file`);
    }
    expect(statSync(file).isFIFO()).toBe(true);
  });

  it('a FIFO or /dev/zero as the spec, and a FIFO as the profile: a clear error, never a hang', () => {
    const fifo = join(work, 'spec.fifo');
    mkfifo(fifo);
    let r = run(['render', fifo, '-o', join(work, 'fifo-out')], {}, 10_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`chargewall: ${fifo}: cannot read the spec (it is a FIFO (named pipe), not a regular file)\n`);
    const zero = join(work, 'zero.yaml');
    symlinkSync('/dev/zero', zero);
    r = run(['validate', zero], {}, 10_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('it is a device, not a regular file');
    const profile = join(work, 'fifo-profile.yaml');
    mkfifo(profile);
    const spec = join(work, 'with-fifo-profile.yaml');
    writeFileSync(spec, readFileSync(example, 'utf8').replace('profile: zaptec-pro', 'profile: ./fifo-profile.yaml'));
    r = run(['validate', spec], {}, 10_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('fifo-profile.yaml:1:1: error profile-unreadable: cannot read the profile ./fifo-profile.yaml: it is a FIFO (named pipe), not a regular file');
  });
});
