import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pfsenseBackupSpec, root, twoVlanPfsenseBackup } from './helpers.js';

/** Findings of a new-user walkthrough of the workflow (issue 18 follow-ups), each as the admin meets it on the CLI. */

function cli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, CI: 'true', ...opts.env };
  delete env.npm_command;
  const r = spawnSync('node', [join(root, 'dist/cli/main.js'), ...args], { cwd: opts.cwd ?? root, encoding: 'utf8', env, input: '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The spec with its (commented) acknowledge: line set to these codes. */
const ack = (spec: string, codes: string) => {
  const out = spec.replace(/^# acknowledge: \[[^\]]*\]/m, `acknowledge: [${codes}]`);
  if (out === spec) throw new Error('no acknowledge line');
  return out;
};

const tmp = () => mkdtempSync(join(tmpdir(), 'chargewall-fu-'));

const git = (cwd: string, ...args: string[]) => {
  const r = spawnSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

// A stock pfSense backup with two charger VLAN interfaces (opt2 = 10.40.0.1/24 on VLAN 40, opt3 = 10.50.0.1/24 on VLAN 50).
const firewall = twoVlanPfsenseBackup();
const pfSpec = pfsenseBackupSpec;

function pfSites(dir: string): { a: string; b: string } {
  const sites = join(dir, 'sites');
  mkdirSync(sites, { recursive: true });
  writeFileSync(join(sites, 'fw1.xml'), firewall);
  writeFileSync(join(sites, 'a.yaml'), pfSpec('garage-a', '10.40.0', 'opt2'));
  writeFileSync(join(sites, 'b.yaml'), pfSpec('garage-b', '10.50.0', 'opt3'));
  return { a: join('sites', 'a.yaml'), b: join('sites', 'b.yaml') };
}

describe('validate refuses what render refuses (pfSense backups planned the same way)', () => {
  it('pfsense-merged-public: validate fails, located at targets.pfsense.backup, where render refuses', () => {
    const dir = tmp();
    git(dir, 'init', '-q');
    const { a, b } = pfSites(dir);
    const render = cli(['render', a, b], { cwd: dir });
    expect(render.code).toBe(1);
    expect(render.stderr).toContain('error pfsense-merged-public');
    const v = cli(['validate', a, b], { cwd: dir });
    expect(v.code, v.stderr).toBe(1);
    expect(v.stderr).toMatch(/sites\/a\.yaml:11:39: error pfsense-merged-public: .*would commit out\/garage-b\/pfsense\/config\.xml and sites\/fw1\.xml/);
    expect(v.stderr).not.toContain(': ok');
    // validate -o names the output folder render would write (the refusal is about that path).
    writeFileSync(join(dir, '.gitignore'), 'sites/fw1.xml\nconfigs/\n');
    expect(cli(['validate', a, b], { cwd: dir }).code).toBe(1);
    const elsewhere = cli(['validate', a, b, '-o', 'configs'], { cwd: dir });
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(cli(['render', a, b, '-o', 'configs'], { cwd: dir }).code).toBe(0);
    rmSync(dir, { recursive: true });
  });

  it('sites sharing one backup are merged in turn: what the second merge reports about the first, validate reports too', () => {
    const dir = tmp();
    const { a, b } = pfSites(dir);
    // Both sites on opt2: each alone merges quietly, but b merges into the result of a, whose rules b's block rule shadows.
    writeFileSync(join(dir, 'sites', 'b.yaml'), pfSpec('garage-b', '10.40.0', 'opt2'));
    const render = cli(['render', a, b], { cwd: dir });
    const v = cli(['validate', a, b], { cwd: dir });
    const codes = (s: string) => [...s.matchAll(/^(\S+): (?:error|warning) ([a-z-]+):/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(codes(render.stderr)).toContain('sites/b.yaml:1:1 pfsense-rule-shadowed');
    expect(codes(v.stderr)).toEqual(codes(render.stderr));
    expect(cli(['validate', a, b, '--strict'], { cwd: dir }).code).toBe(1);
    rmSync(dir, { recursive: true });
  });
});

describe('pfSense merge refusals are located at the setting that is wrong, not at targets.pfsense.backup', () => {
  it('an interface the backup lacks points at targets.pfsense.interface; a gateway the interface lacks at network.gateway (or network.subnet for the prefix)', () => {
    const dir = tmp();
    const { a } = pfSites(dir);
    const spec = join(dir, 'sites', 'a.yaml');
    writeFileSync(spec, pfSpec('garage-a', '10.40.0', 'opt4'));
    for (const cmd of ['render', 'validate']) {
      const r = cli([cmd, a], { cwd: dir });
      expect(r.code).toBe(1);
      // Line 11 is `  pfsense: { interface: opt4, backup: fw1.xml }`: col 25 is opt4, col 39 the backup.
      expect(r.stderr).toMatch(/sites\/a\.yaml:11:25: error pfsense-config: pfsense: targets\.pfsense\.backup fw1\.xml: the backup has no interface 'opt4'/);
    }
    // The spec's gateway is not the address of opt2 in the backup.
    writeFileSync(spec, pfSpec('garage-a', '10.40.0', 'opt2').replace('  vlan: 40\n', '  vlan: 40\n  gateway: 10.40.0.254\n'));
    const gw = cli(['validate', a, '--format', 'json'], { cwd: dir });
    const d = JSON.parse(gw.stdout).diagnostics.find((x: any) => x.code === 'pfsense-config');
    expect([d.path, d.line, d.col]).toEqual(['network.gateway', 10, 12]);
    expect(d.message).toContain("interface opt2 has IPv4 address '10.40.0.1/24', but the spec puts the chargers' gateway at 10.40.0.254/24");
    // Right address, wrong prefix: the subnet is the setting.
    writeFileSync(spec, pfSpec('garage-a', '10.40.0', 'opt2').replace('subnet: 10.40.0.0/24', 'subnet: 10.40.0.0/25'));
    const prefix = JSON.parse(cli(['validate', a, '--format', 'json'], { cwd: dir }).stdout).diagnostics.find((x: any) => x.code === 'pfsense-config');
    expect([prefix.path, prefix.line, prefix.col]).toEqual(['network.subnet', 8, 11]);
    // --pfsense-config (no backup in the spec) is located the same way.
    writeFileSync(spec, pfSpec('garage-a', '10.40.0', 'opt4').replace(', backup: fw1.xml', ''));
    const flag = cli(['render', a, '--pfsense-config', 'sites/fw1.xml'], { cwd: dir });
    expect(flag.stderr).toMatch(/sites\/a\.yaml:11:25: error pfsense-config: pfsense: --pfsense-config sites\/fw1\.xml: the backup has no interface 'opt4'/);
    rmSync(dir, { recursive: true });
  });
});

describe('an absent pfSense backup is acknowledgeable only where git ignores it (kept out of the repository on purpose)', () => {
  it('a typo in targets.pfsense.backup is an error even with acknowledge: [pfsense-backup-absent]', () => {
    const dir = tmp();
    git(dir, 'init', '-q');
    const { a } = pfSites(dir);
    const spec = join(dir, 'sites', 'a.yaml');
    const acked = (backup: string) => pfSpec('garage-a', '10.40.0', 'opt2').replace('backup: fw1.xml', `backup: ${backup}`).replace('version: 1', 'version: 1\nacknowledge: [pfsense-backup-absent]');
    writeFileSync(join(dir, '.gitignore'), 'sites/fw1.xml\n**/pfsense/config.xml\n');
    // The public repository's CI: the ignored backup is not in the clone; acknowledged, --strict passes.
    rmSync(join(dir, 'sites', 'fw1.xml'));
    writeFileSync(spec, acked('fw1.xml'));
    const ci = cli(['validate', a, '--strict'], { cwd: dir });
    expect(ci.code, ci.stderr).toBe(0);
    // A typo: git does not ignore fw-1.xml, so it is not a backup kept out of git.
    writeFileSync(spec, acked('fw-1.xml'));
    for (const args of [['validate', a, '--strict'], ['validate', a], ['render', a, '--check']]) {
      const r = cli(args, { cwd: dir });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(/sites\/a\.yaml:12:39: error pfsense-backup-missing: pfsense: the backup fw-1\.xml is not here \(.*sites\/fw-1\.xml\) and git does not ignore that path/);
      expect(r.stderr).toContain('a typo in targets.pfsense.backup?');
    }
    rmSync(dir, { recursive: true });
  });

  it('outside a git work tree an absent backup is an error: nothing keeps it out of a repository', () => {
    const dir = tmp();
    const { a } = pfSites(dir);
    rmSync(join(dir, 'sites', 'fw1.xml'));
    writeFileSync(join(dir, 'sites', 'a.yaml'), pfSpec('garage-a', '10.40.0', 'opt2').replace('version: 1', 'version: 1\nacknowledge: [pfsense-backup-absent]'));
    const r = cli(['validate', a], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error pfsense-backup-missing: pfsense: the backup fw1\.xml is not here .* not in a git work tree/);
    rmSync(dir, { recursive: true });
  });
});

describe("the acknowledged count includes the targets' and the pipeline's warnings", () => {
  it('acknowledged target warnings (unifi) and an acknowledged absent backup are counted as not shown', () => {
    const dir = tmp();
    const spec = join(dir, 'u.yaml');
    const init = cli(['init', '--target', 'unifi']);
    writeFileSync(spec, ack(init.stdout, 'unifi-ssid-on-every-ap, unifi-dns-redirect-ui-step'));
    const v = cli(['validate', spec, '--strict']);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stderr.trim().split('\n').at(-1)).toBe('no problems in 1 file (2 acknowledged warnings not shown)');
    // One acknowledged, one not: the other is shown and counted as a warning.
    writeFileSync(spec, ack(init.stdout, 'unifi-ssid-on-every-ap'));
    expect(cli(['validate', spec]).stderr.trim().split('\n').at(-1)).toBe('0 errors, 1 warning in 1 file (of 1 checked) (1 acknowledged warning not shown)');
    rmSync(dir, { recursive: true });

    // The public repository's CI: the pipeline's pfsense-backup-absent, acknowledged.
    const repo = tmp();
    git(repo, 'init', '-q');
    const { a } = pfSites(repo);
    writeFileSync(join(repo, '.gitignore'), 'sites/fw1.xml\n');
    rmSync(join(repo, 'sites', 'fw1.xml'));
    writeFileSync(join(repo, a), pfSpec('garage-a', '10.40.0', 'opt2').replace('version: 1', 'version: 1\nacknowledge: [pfsense-backup-absent]'));
    const ci = cli(['validate', a, '--strict'], { cwd: repo });
    expect(ci.code, ci.stderr).toBe(0);
    expect(ci.stderr).toContain('no problems in 1 file (1 acknowledged warning not shown)');
    rmSync(repo, { recursive: true });
  });
});

describe('plan warnings that open more than asked reach stderr, located', () => {
  it('host-names-widened (UniFi before Network 10, fqdnFallback: port-only) is a located warning: --strict fails, acknowledge accepts it', () => {
    const dir = tmp();
    const spec = join(dir, 'u.yaml');
    const init = cli(['init', '--target', 'unifi']).stdout;
    const old = init.replace('apiVersion: "10"', 'apiVersion: "9"').replace('fqdnFallback: "refuse"', 'fqdnFallback: "port-only"');
    expect(old).not.toBe(init);
    writeFileSync(spec, old);
    const line = old.split('\n').findIndex((l) => l.includes('fqdnFallback:')) + 1;
    const col = old.split('\n')[line - 1].indexOf('"port-only"') + 1;
    const v = cli(['validate', spec]);
    expect(v.code, v.stderr).toBe(0);
    const widened = v.stderr.split('\n').filter((l) => l.includes('host-names-widened'));
    expect(widened.length).toBeGreaterThan(0);
    for (const l of widened) expect(l).toMatch(new RegExp(`^.*u\\.yaml:${line}:${col}: warning host-names-widened: unifi: .* is open to every address, not only `));
    // render prints it too, and --strict refuses the site.
    expect(cli(['render', spec, '-o', join(dir, 'out')]).stderr).toContain('warning host-names-widened');
    const strict = cli(['validate', spec, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('error host-names-widened');
    // A site that accepts it says so; the count shows it.
    writeFileSync(spec, ack(old, 'host-names-widened, unifi-ssid-on-every-ap, unifi-dns-redirect-ui-step'));
    const acked = cli(['validate', spec, '--strict']);
    expect(acked.stderr).not.toContain('host-names-widened');
    expect(acked.stderr).toMatch(/\(\d+ acknowledged warnings not shown\)/);
    rmSync(dir, { recursive: true });
  });
});

describe('init for UniFi: a spec that passes validate --strict in CI', () => {
  it('--ap-device-tags names the APs (no unifi-ssid-on-every-ap); the DNS redirect UI step is acknowledged only by the admin', () => {
    const dir = tmp();
    const spec = join(dir, 'garage.yaml');
    const r = cli(['init', '--target', 'unifi', '--ap-device-tags', 'chargers-ap, garage west', '-o', spec]);
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(spec, 'utf8');
    expect(text).toMatch(/^    apDeviceTags: \["chargers-ap", "garage west"\] +# /m);
    // init accepts no warning on the admin's behalf: the UI step is still reported ...
    const v = cli(['validate', spec, '--strict']);
    expect(v.code).toBe(1);
    expect(v.stderr).not.toContain('unifi-ssid-on-every-ap');
    expect([...v.stderr.matchAll(/ error ([a-z-]+):/g)].map((m) => m[1])).toEqual(['unifi-dns-redirect-ui-step']);
    // ... and the line to accept it once the DNAT is made in the UI is in the spec, commented.
    expect(text).toContain('# acknowledge: [unifi-dns-redirect-ui-step]');
    writeFileSync(spec, text.replace('# acknowledge: [unifi-dns-redirect-ui-step]', 'acknowledge: [unifi-dns-redirect-ui-step]'));
    const ci = cli(['validate', spec, '--strict']);
    expect(ci.code, ci.stderr).toBe(0);
    // Checked like the schema checks it; a flag for another router type, or without Wi-Fi, is refused.
    expect(cli(['init', '--target', 'unifi', '--ap-device-tags', 'bad/tag']).stderr).toContain("--ap-device-tags: 'bad/tag' is not a UniFi device tag");
    expect(cli(['init', '--target', 'unifi', '--no-wifi', '--ap-device-tags', 'x']).code).toBe(2);
    expect(cli(['init', '--target', 'mikrotik', '--ap-device-tags', 'x']).stderr).toContain('--ap-device-tags does not apply to --target mikrotik');
    rmSync(dir, { recursive: true });
  });
});

describe('render prints diagnostics sorted by position, as validate does', () => {
  it("a spec rule's warning below the targets' warnings comes last in render's output too", () => {
    const dir = tmp();
    const spec = join(dir, 'u.yaml');
    const init = cli(['init', '--target', 'unifi']).stdout;
    // The wifi: block moved to the end, with a literal passphrase (spec rule passphrase-literal, now the last line).
    const wifi = init.match(/^wifi:.*\n(?:  .*\n)+/m)![0];
    writeFileSync(spec, init.replace(wifi, '') + wifi.replace('passphrase: { env: CHARGER_WIFI_PSK }', 'passphrase: "a-literal-passphrase"'));
    const positions = (s: string) => [...s.matchAll(/u\.yaml:(\d+):(\d+): warning ([a-z-]+)/g)].map((m) => [Number(m[1]), Number(m[2]), m[3]] as const);
    const r = positions(cli(['render', spec, '-o', join(dir, 'out')]).stderr);
    const v = positions(cli(['validate', spec]).stderr);
    expect(r.map((p) => p[2])).toEqual(expect.arrayContaining(['passphrase-literal', 'unifi-ssid-on-every-ap', 'unifi-dns-redirect-ui-step']));
    expect(r).toEqual([...r].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
    expect(r).toEqual(v);
    rmSync(dir, { recursive: true });
  });
});

describe('init -o without a terminal says it asked nothing, and which defaults it wrote', () => {
  it('no flags: every default named as the flag that changes it; with flags: the defaults of the rest', () => {
    const dir = tmp();
    const r = cli(['init', '-o', 'site.yaml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('init: no terminal, so nothing was asked: site.yaml has the defaults');
    expect(r.stderr).toContain("--target iptables --site-id my-site --name 'My charger site' --chargers 6 --subnet 10.20.30.0/24 --vlan 0 --channel 6 --country SE --lan-interface br-chargers --wan-interface eth0 --wifi-interface wlan0 (Wi-Fi yes; --no-wifi: none); to change them, pass those flags (chargewall init --help) or run init in a terminal");
    const site = readFileSync(join(dir, 'site.yaml'), 'utf8');
    expect(site).toContain('id: my-site');
    // Flags answer some questions: the note names only the defaults of the others (for that router type).
    const m = cli(['init', '-o', 'm.yaml', '--target', 'mikrotik', '--site-id', 'garage', '--no-wifi'], { cwd: dir });
    expect(m.code, m.stderr).toBe(0);
    expect(m.stderr).toContain('init: asked nothing (flags given): m.yaml has the defaults');
    expect(m.stderr).toContain('--name garage --chargers 6 --subnet 10.20.30.0/24 --vlan 0 --routeros 7 --bridge bridge-chargers');
    expect(m.stderr).not.toContain('--site-id');
    expect(m.stderr).not.toContain('--radio');
    expect(m.stderr).not.toContain('Wi-Fi');
    // Every flag given: nothing left to default, no note.
    const all = cli(['init', '-o', 'p.yaml', '--target', 'pfsense', '--site-id', 'p', '--name', 'P', '--chargers', '4', '--subnet', '10.1.2.0/24', '--vlan', '0', '--no-wifi', '--pfsense-interface', 'opt2', '--backup', 'fw.xml'], { cwd: dir });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stderr).not.toContain('defaults');
    rmSync(dir, { recursive: true });
  });
});
