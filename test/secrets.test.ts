import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools, root } from './helpers.js';

/** Issue 18 §4: --with-secrets never puts a passphrase into a file git would commit; secret files are 0600. */
const cli = join(root, 'dist', 'cli', 'main.js');
const example = join(root, 'examples', 'small-garage.yaml');
const psk = 'Secret-psk-4-test';

function run(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', cwd, env: { ...process.env, CHARGER_WIFI_PSK: psk } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
};
const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cw-secrets-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('--with-secrets and git', () => {
  it('refused (exit 1, nothing written) in a git work tree when the files are not ignored; allowed once ignored; 0600', () => {
    if (!requireTools(['git'], false).ok) return;
    const repo = join(work, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'site.yaml'), readFileSync(example, 'utf8'));
    const args = ['render', 'site.yaml', '--with-secrets', '-t', 'iptables,mikrotik'];
    const r = run(args, repo);
    expect(r.code).toBe(1);
    // (The render's located warnings, e.g. MikroTik's radio channel, come first.)
    expect(r.stderr.replace(/^\S+:\d+:\d+: warning .*\n/gm, '')).toBe(
      `chargewall: refusing --with-secrets: these files would hold the Wi-Fi passphrase, and git would commit them (${repo} is a git work tree):\n` +
        '  out/verkstad-lund/iptables/hostapd.conf\n  out/verkstad-lund/mikrotik/chargewall.rsc\n' +
        `Fix: render --with-secrets into a folder outside the repository (--out /srv/chargewall-deploy) and keep the committed output rendered without it, or make git ignore these files (list them in .gitignore, or the whole output folder: echo '/out/' >> ${join(repo, '.gitignore')}); nothing was written\n`,
    );
    expect(r.stdout + r.stderr).not.toContain(psk);
    expect(existsSync(join(repo, 'out'))).toBe(false);

    // Without secrets the same render is fine (nothing secret in it).
    expect(run(['render', 'site.yaml', '-t', 'iptables,mikrotik'], repo).code).toBe(0);
    const before = readFileSync(join(repo, 'out', 'verkstad-lund', 'iptables', 'hostapd.conf'), 'utf8');
    // In an existing output folder: still refused, and no file changes.
    expect(run(args, repo).code).toBe(1);
    expect(readFileSync(join(repo, 'out', 'verkstad-lund', 'iptables', 'hostapd.conf'), 'utf8')).toBe(before);

    // Ignored by the fix the message gives: written, the secret files 0600, the others as always.
    writeFileSync(join(repo, '.gitignore'), '/out/\n');
    const ok = run(args, repo);
    expect(ok.code, ok.stderr).toBe(0);
    const site = join(repo, 'out', 'verkstad-lund');
    expect(readFileSync(join(site, 'iptables', 'hostapd.conf'), 'utf8')).toContain(`wpa_passphrase=${psk}`);
    expect(mode(join(site, 'iptables', 'hostapd.conf'))).toBe('600');
    expect(mode(join(site, 'mikrotik', 'chargewall.rsc'))).toBe('600');
    expect(mode(join(site, 'iptables', 'apply.sh'))).toBe('755');
    expect(mode(join(site, 'iptables', 'rules.v4'))).toBe('644');
    expect(JSON.parse(readFileSync(join(site, 'chargewall.manifest.json'), 'utf8')).secrets).toEqual(['iptables/hostapd.conf', 'mikrotik/chargewall.rsc']);
    // A secret file whose mode was widened is set back to 0600 even when its bytes are unchanged.
    chmodSync(join(site, 'iptables', 'hostapd.conf'), 0o644);
    expect(run(args, repo).code).toBe(0);
    expect(mode(join(site, 'iptables', 'hostapd.conf'))).toBe('600');

    // Ignored but already tracked: git commits its changes, so it is refused, and the fix says so.
    git(repo, 'add', '-f', 'out/verkstad-lund/iptables/hostapd.conf');
    const tracked = run(args, repo);
    expect(tracked.code).toBe(1);
    expect(tracked.stderr).toContain('  out/verkstad-lund/iptables/hostapd.conf (tracked by git)\n');
    expect(tracked.stderr).toContain('git rm --cached <file>');
    git(repo, 'rm', '-q', '--cached', 'out/verkstad-lund/iptables/hostapd.conf');

    // An output folder outside the repository: no question asked.
    const outside = join(work, 'deploy');
    const away = run([...args, '-o', outside], repo);
    expect(away.code, away.stderr).toBe(0);
    expect(mode(join(outside, 'verkstad-lund', 'iptables', 'hostapd.conf'))).toBe('600');
  });

  it('a literal passphrase in the spec marks the same files (whatever each target escapes)', () => {
    const dir = join(work, 'literal');
    mkdirSync(dir);
    writeFileSync(join(dir, 'site.yaml'), readFileSync(example, 'utf8').replace(/passphrase: .*/, 'passphrase: "a&b<c\\"d$e f"'));
    const r = run(['render', 'site.yaml', '--with-secrets', '-t', 'iptables,mikrotik,pfsense', '-o', 'o'], dir);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(dir, 'o', 'verkstad-lund', 'chargewall.manifest.json'), 'utf8'));
    expect(m.secrets).toEqual(['iptables/hostapd.conf', 'mikrotik/chargewall.rsc', 'pfsense/STEPS.md']);
    for (const f of m.secrets) expect(mode(join(dir, 'o', 'verkstad-lund', f))).toBe('600');
  });
});
