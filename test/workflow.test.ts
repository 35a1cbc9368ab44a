import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSpec } from '../src/spec/validate.js';
import { pfsenseBackupSpec, root, twoVlanPfsenseBackup } from './helpers.js';

/** The admin's workflow (issue 18): every problem at once, acknowledgements, pfSense backups named in the spec, init. */

function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, CI: 'true', ...opts.env };
  // Printed commands start with `npx chargewall` when npm started chargewall (npm sets npm_command):
  // `npm test` and `npx vitest` would set it for every run, so a test sets it only when it means to.
  if (!opts.env || !('npm_command' in opts.env)) delete env.npm_command;
  const r = spawnSync('node', [join(root, 'dist/cli/main.js'), ...args], { cwd: opts.cwd ?? root, encoding: 'utf8', env, input: opts.input ?? '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'chargewall-wf-'));

const base = `version: 1
site:
  id: test-site
profile: zaptec-pro
chargers:
  count: 10
  units:
    - { name: a, mac: "98:3d:ae:00:00:01", ip: 10.9.0.11 }
network:
  subnet: 10.9.0.0/24
  gateway: 10.9.0.1
  dhcp:
    headroom: 25
wifi:
  ssid: Chargers
  passphrase: { env: CHARGER_WIFI_PSK }
  channel: 6
  country: SE
targets:
  mikrotik: { routeros: 7, wifi: none }
`;

const codes = (text: string) => validateSpec(text, 'spec.yaml').diagnostics.map((d) => [d.code, d.line, d.col]);

describe('every problem at once', () => {
  it('the base spec is valid', () => {
    expect(codes(base)).toEqual([]);
  });

  it('schema errors do not hide the semantic rules: unknown key, routeros 7.15, a bad enum, gateway and channel in one run, sorted', () => {
    const text = base
      .replace('    headroom: 25', '    headrom: 25')
      .replace('routeros: 7, wifi: none }', 'routeros: 7.15, wifi: none }')
      .replace('  gateway: 10.9.0.1', '  gateway: 10.8.0.1')
      .replace('channel: 6', 'channel: 13')
      .replace('targets:', 'policy: { dns: redirekt }\ntargets:');
    expect(codes(text)).toEqual([
      ['gateway-outside-subnet', 11, 12],
      ['unknown-key', 13, 5],
      ['wifi-channel', 17, 12],
      ['invalid-value', 19, 16],
      ['invalid-value', 21, 25],
    ]);
    const messages = validateSpec(text, 'spec.yaml').diagnostics.map((d) => d.message).join('\n');
    expect(messages).toContain("did you mean 'headroom'");
    expect(messages).toContain("did you mean 'redirect'");
    expect(messages).toContain('did you mean 7?');
  });

  it('a rule never reports about a part that failed the schema (no "ip without mac" for a unit whose mac is malformed)', () => {
    const text = base.replace('mac: "98:3d:ae:00:00:01"', 'mac: "98:3d:ae:00:00"').replace('channel: 6', 'channel: 13');
    expect(codes(text).map((c) => c[0])).toEqual(['invalid-format', 'wifi-channel']);
    // A typo'd headroom: the pool rules would run on the default and are skipped; the rest still runs.
    const pool = base.replace('    headroom: 25', '    headrom: 1000\n    pool: 10.9.0.100-10.9.0.101').replace('channel: 6', 'channel: 12');
    expect(codes(pool).map((c) => c[0])).toEqual(['unknown-key', 'wifi-channel']);
    // A missing required part gets a placeholder no message mentions.
    const noSubnet = base.replace('  subnet: 10.9.0.0/24\n', '').replace('channel: 6', 'channel: 13');
    const d = validateSpec(noSubnet, 'spec.yaml').diagnostics;
    expect(d.map((x) => x.code)).toEqual(['missing-key', 'wifi-channel']);
    expect(JSON.stringify(d)).not.toContain('10.0.0.0');
  });

  it('an unknown profile does not hide the rules that do not need it', () => {
    const text = base.replace('profile: zaptec-pro', 'profile: zaptec-pr').replace('  gateway: 10.9.0.1', '  gateway: 10.8.0.1');
    expect(codes(text).map((c) => c[0])).toEqual(['unknown-profile', 'gateway-outside-subnet']);
  });

  it('invalid-format says which rule failed and suggests a fix', () => {
    const msg = (from: string, to: string) => validateSpec(base.replace(from, to), 'spec.yaml').diagnostics.find((d) => d.code === 'invalid-format')?.message ?? '';
    const long = msg('mikrotik: { routeros: 7, wifi: none }', 'iptables: { lanInterface: br-chargers-garage }');
    expect(long).toMatch(/18 characters, over the limit of 15/);
    const space = msg('mikrotik: { routeros: 7, wifi: none }', 'iptables: { wanInterface: "eth0 " }');
    expect(space).toContain('ends with a space');
    expect(space).toContain("Did you mean 'eth0'?");
    const illegal = msg('mikrotik: { routeros: 7, wifi: none }', 'iptables: { lanInterface: "br/chargers" }');
    expect(illegal).toContain("'/' at character 3 is not allowed");
    expect(illegal).toContain("Did you mean 'br-chargers'?");
    const id = msg('id: test-site', 'id: Test_Site');
    expect(id).toContain('lower case only');
    expect(id).toContain("Did you mean 'test-site'?");
    expect(msg('country: SE', 'country: se')).toContain("Did you mean 'SE'?");
    expect(msg('mac: "98:3d:ae:00:00:01"', 'mac: "983dae000001"')).toContain("Did you mean '98:3d:ae:00:00:01'?");
  });

  it('a broken spec of any shape gives diagnostics, never a throw, and no placeholder value in a message', async () => {
    const { parse, stringify } = await import('yaml');
    const full = parse(base.replace('targets:', 'extraEndpoints:\n  - { name: ocpp, protocol: tcp, ports: [443], hosts: [a.example.com] }\nacknowledge: [dns-bypass]\npolicy: { dns: redirect }\ntargets:'));
    const values = [null, 1, -1, 1.5, 'x', '', [], {}, [1], { a: 1 }, true, 'auto', 99999];
    const paths = (o: any, p: (string | number)[] = []): (string | number)[][] =>
      [p, ...(o && typeof o === 'object' ? Object.keys(o).flatMap((k) => paths(o[k], [...p, Array.isArray(o) ? Number(k) : k])) : [])];
    const all = paths(full).filter((p) => p.length);
    let seed = 7;
    const rand = (k: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % k);
    for (let i = 0; i < 1500; i++) {
      const doc = structuredClone(full);
      for (let m = 1 + rand(3); m > 0; m--) {
        const p = all[rand(all.length)];
        const parent = p.slice(0, -1).reduce((o: any, k) => o?.[k], doc);
        if (!parent || typeof parent !== 'object') continue;
        if (rand(4) === 0) delete parent[p.at(-1)!];
        else parent[p.at(-1)!] = structuredClone(values[rand(values.length)]);
      }
      const text = stringify(doc);
      const r = validateSpec(text, 'f.yaml');
      expect(JSON.stringify(r.diagnostics), text).not.toMatch(/placeholder/i);
    }
  });

  it('a UTF-8 BOM does not shift columns', () => {
    const bad = base.replace('channel: 6', 'channel: 13');
    expect(codes('\ufeff' + bad)).toEqual(codes(bad));
    const first = base.replace('version: 1', 'versio: 1');
    expect(codes('\ufeff' + first)).toEqual(codes(first));
    expect(codes(first)).toContainEqual(['unknown-key', 1, 1]);
  });
});

describe('validate (CLI)', () => {
  it('runs the duplicate-site-id check and the target refusals, located at the setting, and ends with a count', () => {
    const dir = tmp();
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, base);
    writeFileSync(b, base.replace('channel: 6', 'channel: 13').replace('targets:\n  mikrotik: { routeros: 7, wifi: none }', 'targets:\n  unifi: {}\npolicy: { dns: allow-fallback }'));
    const r = cli(['validate', a, b]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${b}:3:7: error duplicate-site-id: site id 'test-site' is also used by ${a}`);
    expect(r.stderr).toMatch(/b\.yaml:17:12: error wifi-channel/);
    // The spec is otherwise checked by rules only; the target refusal needs a valid spec, so fix the channel.
    writeFileSync(b, readFileSync(b, 'utf8').replace('channel: 13', 'channel: 6').replace('id: test-site', 'id: other-site'));
    const r2 = cli(['validate', a, b]);
    expect(r2.code).toBe(1);
    // UniFi needs a VLAN: located at network (where network.vlan belongs), not at 1:1 or profile:.
    expect(r2.stderr).toMatch(new RegExp(`${b.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:10:3: error target-unsupported: unifi: .*network\\.vlan`));
    expect(r2.stderr).toMatch(/b\.yaml:\d+:\d+: warning dns-bypass/);
    expect(r2.stderr).toContain(`${a}: ok`);
    expect(r2.stderr.trim().split('\n').at(-1)).toBe('1 error, 1 warning in 1 file (of 2 checked)');
    const ok = cli(['validate', a]);
    expect(ok.code).toBe(0);
    expect(ok.stderr.trim().split('\n').at(-1)).toBe('no problems in 1 file');
    rmSync(dir, { recursive: true });
  });

  it('a target skipped for a spec naming no targets is located at the setting that causes it', async () => {
    const { renderSpec } = await import('../src/pipeline.js');
    const r = renderSpec(base.replace('targets:\n  mikrotik: { routeros: 7, wifi: none }\n', ''), 'spec.yaml', 'default', { withSecrets: false, env: {} });
    // (Every target renders; MikroTik's default virtual AP also says it sets the radio's channel.)
    expect(r.diagnostics.filter((d) => !d.code.startsWith('mikrotik-')).map((d) => [d.code, d.line, d.col, d.path])).toEqual([['target-skipped', 10, 3, 'network.vlan']]);
  });

  it('target names are case-insensitive, with a did-you-mean for a typo', () => {
    const dir = tmp();
    const a = join(dir, 'a.yaml');
    writeFileSync(a, base);
    expect(cli(['validate', a, '-t', 'MikroTik']).code).toBe(0);
    expect(cli(['render', a, '-t', 'MikroTik', '-o', join(dir, 'out')]).code).toBe(0);
    const typo = cli(['render', a, '-t', 'mikrotk', '-o', join(dir, 'out')]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("unknown target 'mikrotk': did you mean 'mikrotik'?");
    rmSync(dir, { recursive: true });
  });
});

describe('warnings reach the terminal; --strict and acknowledge', () => {
  const fallback = base.replace('targets:', 'policy: { dns: allow-fallback }\ntargets:');

  it('render --strict fails on a warning and writes nothing of that site; acknowledge turns that code off for the site', () => {
    const dir = tmp();
    const spec = join(dir, 'site.yaml');
    writeFileSync(spec, fallback);
    const out = join(dir, 'out');
    const plain = cli(['render', spec, '-o', out]);
    expect(plain.code).toBe(0);
    expect(plain.stderr).toMatch(/site\.yaml:19:16: warning dns-bypass: /);
    rmSync(out, { recursive: true });
    const strict = cli(['render', spec, '-o', out, '--strict']);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/site\.yaml:19:16: error dns-bypass: /);
    // The way past --strict for a site that accepts the warning is in the message itself.
    expect(strict.stderr).toContain('(a warning, an error under --strict; if this site accepts it: acknowledge: [dns-bypass] in its spec)');
    // render ends with the count too (as printed: --strict makes the warning an error).
    expect(strict.stderr.trim().split('\n').at(-1)).toBe('1 error, 0 warnings in 1 file (of 1 checked)');
    expect(plain.stderr.trim().split('\n').at(-1)).toBe('0 errors, 1 warning in 1 file (of 1 checked)');
    expect(spawnSync('sh', ['-c', `ls -A ${out} 2>/dev/null`], { encoding: 'utf8' }).stdout).toBe('');
    expect(cli(['validate', spec, '--strict']).code).toBe(1);

    writeFileSync(spec, fallback.replace('version: 1', 'version: 1\nacknowledge: [dns-bypass]   # the site has no local resolver'));
    const acked = cli(['render', spec, '-o', out, '--strict']);
    expect(acked.stderr).not.toContain('dns-bypass');
    expect(acked.code).toBe(0);
    const v = cli(['validate', spec, '--strict']);
    expect(v.code).toBe(0);
    expect(v.stderr).toContain('no problems in 1 file (1 acknowledged warning not shown)');
    // Only that code: another warning still fails --strict.
    writeFileSync(spec, readFileSync(spec, 'utf8').replace('passphrase: { env: CHARGER_WIFI_PSK }', 'passphrase: "a-literal-passphrase"'));
    const other = cli(['validate', spec, '--strict']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/error passphrase-literal/);
    rmSync(dir, { recursive: true });
  });

  it('an unknown code is refused with a did-you-mean; an error cannot be acknowledged', () => {
    const typo = validateSpec(fallback.replace('version: 1', 'version: 1\nacknowledge: [dns-bypas]'), 'spec.yaml');
    expect(typo.ok).toBe(false);
    expect(typo.diagnostics.map((d) => [d.code, d.line, d.col])).toContainEqual(['unknown-acknowledge', 2, 15]);
    expect(typo.diagnostics.find((d) => d.code === 'unknown-acknowledge')!.message).toContain("did you mean 'dns-bypass'?");
    const error = validateSpec(base.replace('version: 1', 'version: 1\nacknowledge: [wifi-channel]').replace('channel: 6', 'channel: 13'), 'spec.yaml');
    expect(error.diagnostics.map((d) => d.code)).toEqual(['wifi-channel']);
    expect(error.ok).toBe(false);
  });

  it("a target's report is printed located, fails --strict, and is turned off by acknowledge", async () => {
    const { targets } = await import('../src/targets/registry.js');
    const { renderSpec } = await import('../src/pipeline.js');
    const target = targets.get('mikrotik')!;
    const original = target.render;
    target.render = (plan, site, options) => {
      options.report?.({ severity: 'warning', code: 'target-skipped', message: 'radio taken over', path: ['targets', 'mikrotik', 'routeros'] });
      return original(plan, site, options);
    };
    try {
      const shown = renderSpec(base, 'spec.yaml', 'default', { withSecrets: false, env: {} });
      expect(shown.diagnostics.map((d) => [d.code, d.line, d.col, d.message])).toEqual([['target-skipped', 20, 25, 'mikrotik: radio taken over']]);
      const acked = renderSpec(base.replace('version: 1', 'version: 1\nacknowledge: [target-skipped]'), 'spec.yaml', 'default', { withSecrets: false, env: {} });
      expect(acked.diagnostics).toEqual([]);
    } finally {
      target.render = original;
    }
  });
});

describe('pfSense: a backup named in the spec, shared by several sites, reproducible in CI', () => {
  // The charger interfaces are VLANs 40 and 50 of em1, declared in Interfaces > VLANs as a real backup has them.
  const firewall = twoVlanPfsenseBackup();
  const spec = pfsenseBackupSpec;
  const git = (cwd: string, ...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const tags = (xml: string) => [...new Set(xml.match(/garage-[ab]/g))].sort();

  function siteFolder(dir: string, extra = '') {
    const sites = join(dir, 'my sites');
    spawnSync('mkdir', ['-p', sites]);
    writeFileSync(join(sites, 'fw1.xml'), firewall);
    writeFileSync(join(sites, 'b.yaml'), spec('garage-b', '10.50.0', 'opt3', extra));
    writeFileSync(join(sites, 'a.yaml'), spec('garage-a', '10.40.0', 'opt2', extra));
    return { a: join('my sites', 'a.yaml'), b: join('my sites', 'b.yaml') };
  }

  it('two sites naming one backup give ONE config.xml holding both (0600), and each STEPS.md says which file to restore', () => {
    const dir = tmp();
    const { a, b } = siteFolder(dir);
    const r = cli(['render', b, a, '-o', 'out'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const merged = join(dir, 'out', 'garage-b', 'pfsense', 'config.xml');
    expect(tags(readFileSync(merged, 'utf8'))).toEqual(['garage-a', 'garage-b']);
    expect(spawnSync('stat', ['-c', '%a', merged], { encoding: 'utf8' }).stdout.trim()).toBe('600');
    expect(spawnSync('ls', [join(dir, 'out', 'garage-a', 'pfsense')], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean)).toEqual(['STEPS.md', 'chargewall.xml']);
    for (const id of ['garage-a', 'garage-b']) {
      expect(readFileSync(join(dir, 'out', id, 'pfsense', 'STEPS.md'), 'utf8')).toContain('**restore `garage-b/pfsense/config.xml`**');
    }
    // The same merge whatever the order of the specs on the command line.
    const again = cli(['render', a, b, '-o', 'out2'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(readFileSync(join(dir, 'out2', 'garage-b', 'pfsense', 'config.xml'), 'utf8')).toBe(readFileSync(merged, 'utf8'));
    expect(cli(['render', b, a, '-o', 'out', '--check'], { cwd: dir }).code).toBe(0);
    // The check's advice is the command that reproduces config.xml (quoted paths), never one that drops it.
    writeFileSync(merged, readFileSync(merged, 'utf8') + '<!-- edited -->\n');
    const stale = cli(['render', b, a, '-o', 'out', '--check'], { cwd: dir });
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain("out of date: run chargewall render 'my sites/b.yaml' 'my sites/a.yaml' -o out to update out");
    // From the CI job or pre-commit hook (`npx chargewall render --check`), the advice pastes into the admin's shell.
    const viaNpx = cli(['render', b, a, '-o', 'out', '--check'], { cwd: dir, env: { npm_command: 'exec' } });
    expect(viaNpx.stderr).toContain("out of date: run npx chargewall render 'my sites/b.yaml' 'my sites/a.yaml' -o out to update out");
    rmSync(dir, { recursive: true });
  });

  it('a spec the index skips does not shift the backups of the specs after it: each site merges into its own backup', () => {
    const dir = tmp();
    siteFolder(dir);
    const sites = join(dir, 'my sites');
    // A second firewall, told apart from the first by its host name.
    writeFileSync(join(sites, 'fw2.xml'), firewall.replace('<hostname>pfSense</hostname>', '<hostname>second</hostname>'));
    writeFileSync(join(sites, 'b.yaml'), spec('garage-b', '10.50.0', 'opt3').replace('backup: fw1.xml', 'backup: fw2.xml'));
    writeFileSync(join(sites, 'x.yaml'), readFileSync(join(root, 'examples', 'small-garage.yaml'), 'utf8'));
    const hostname = (id: string) => /<hostname>([^<]*)<\/hostname>/.exec(readFileSync(join(dir, 'out', id, 'pfsense', 'config.xml'), 'utf8'))?.[1];
    const args = ['render', 'my sites/x.yaml', 'my sites/a.yaml', 'my sites/b.yaml', '-o', 'out'];
    const env = { CHARGER_WIFI_PSK: 'correct-horse-1', CHARGEWALL_INDEX_STATS: '1' };
    const first = cli(args, { cwd: dir, env });
    expect(first.code, first.stderr).toBe(0);
    expect([hostname('garage-a'), hostname('garage-b')]).toEqual(['pfSense', 'second']);
    // Again: x is up to date (the index skips it), a and b merge again, each into its own backup.
    const again = cli(args, { cwd: dir, env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('index: 1 of 3 sites up to date without rendering');
    expect([hostname('garage-a'), hostname('garage-b')]).toEqual(['pfSense', 'second']);
    expect(again.stderr).toMatch(/garage-b: 0 written/);
    rmSync(dir, { recursive: true });
  });

  it('threads: the backups planned across the specs and the pfSense flags reach worker threads (same files, modes and messages as one thread)', async () => {
    const dir = tmp();
    const sites = join(dir, 'sites');
    spawnSync('mkdir', ['-p', sites]);
    const files: string[] = [];
    // Pairs of sites on one firewall (VLAN 40 and 50): each pair merges in turn into one config.xml.
    for (let i = 0; i < 48; i++) {
      if (i % 2 === 0) writeFileSync(join(sites, `fw-${i / 2}.xml`), firewall);
      const site = i % 2 ? spec(`garage-${i}`, '10.50.0', 'opt3') : spec(`garage-${i}`, '10.40.0', 'opt2');
      writeFileSync(join(sites, `s${String(i).padStart(2, '0')}.yaml`), site.replace('backup: fw1.xml', `backup: fw-${Math.floor(i / 2)}.xml`));
      files.push(join('sites', `s${String(i).padStart(2, '0')}.yaml`));
    }
    writeFileSync(join(dir, 'cli.xml'), firewall);
    const flags = ['--pfsense-config', 'cli.xml', '--pfsense-overwrite-edits'];
    const one = cli(['render', ...files, '-o', 'out1', ...flags], { cwd: dir, env: { CHARGEWALL_THREADS: '1' } });
    const three = cli(['render', ...files, '-o', 'out3', ...flags], { cwd: dir, env: { CHARGEWALL_THREADS: '3' } });
    expect(one.code, one.stderr).toBe(0);
    expect(three.code, three.stderr).toBe(0);
    expect(three.stderr).toBe(one.stderr.replaceAll('out1', 'out3'));
    const snapshot = (out: string) => spawnSync('sh', ['-c', `cd ${out} && find . -type f ! -name .chargewall-index.json | sort | xargs stat -c '%n %a %s' && cat $(find . -type f -name config.xml | sort) | sha256sum`], { cwd: dir, encoding: 'utf8' }).stdout;
    expect(snapshot('out3')).toBe(snapshot('out1'));
    // One config.xml per pair, in the folder of the site merged last (0600).
    expect(snapshot('out1')).toContain('./garage-47/pfsense/config.xml 600');
    expect(snapshot('out1')).not.toContain('./garage-46/pfsense/config.xml');
    // Through the module: a worker thread took sites, and each merged its own planned backup.
    const { runBatch } = await import(join(root, 'dist', 'cli', 'batch.js'));
    const { planInputs, targetFlagValues } = await import(join(root, 'dist', 'cli', 'inputs.js'));
    const specs = files.map((f) => join(dir, f));
    const values = { '--pfsense-overwrite-edits': true };
    const planned = planInputs(specs, { read: (f: string) => readFileSync(f, 'utf8'), ids: 'default', flags: values, out: join(dir, 'out1'), check: true });
    expect(targetFlagValues({ pfsenseOverwriteEdits: true })).toEqual(values);
    let result: any;
    for (let attempt = 0; attempt < 3; attempt++) {
      result = await runBatch({ specs, targetIds: 'default', withSecrets: false, out: join(dir, 'out1'), check: true, flags: values, planned }, 2);
      if (new Set(result.outcomes.map((o: { thread: number }) => o.thread)).size === 2) break;
    }
    expect(result.failure).toBeUndefined();
    expect(new Set(result.outcomes.map((o: { thread: number }) => o.thread)).size).toBe(2);
    for (const o of result.outcomes) {
      expect(o.inputs).toEqual(['pfsense']);
      expect(o.drift).toEqual({ stale: [], missing: [], extra: [], refused: [], temps: [] });
    }
    rmSync(dir, { recursive: true });
  });

  it('--check with --pfsense-config advises the same flag', () => {
    const dir = tmp();
    const { a } = siteFolder(dir);
    writeFileSync(join(dir, 'my sites', 'a.yaml'), spec('garage-a', '10.40.0', 'opt2').replace(', backup: fw1.xml', ''));
    expect(cli(['render', a, '-o', 'out', '--pfsense-config', 'my sites/fw1.xml'], { cwd: dir }).code).toBe(0);
    writeFileSync(join(dir, 'out', 'garage-a', 'pfsense', 'config.xml'), 'edited');
    const stale = cli(['render', a, '-o', 'out', '--check', '--pfsense-config', 'my sites/fw1.xml'], { cwd: dir });
    expect(stale.stderr).toContain("run chargewall render 'my sites/a.yaml' -o out --pfsense-config 'my sites/fw1.xml' to update out");
    rmSync(dir, { recursive: true });
  });

  it('a missing backup is an error at the setting; a backup the merge refuses is reported there too', () => {
    const dir = tmp();
    const { a } = siteFolder(dir);
    writeFileSync(join(dir, 'my sites', 'a.yaml'), spec('garage-a', '10.40.0', 'opt2').replace('backup: fw1.xml', 'backup: fw2.xml'));
    const r = cli(['render', a, '-o', 'out'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/my sites\/a\.yaml:11:39: error pfsense-backup-missing: pfsense: cannot read the backup fw2\.xml/);
    writeFileSync(join(dir, 'my sites', 'a.yaml'), spec('garage-a', '10.40.0', 'opt4'));
    const bad = cli(['render', a, '-o', 'out'], { cwd: dir });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/a\.yaml:11:25: error pfsense-config: pfsense: targets\.pfsense\.backup fw1\.xml: the backup has no interface 'opt4'/);
    rmSync(dir, { recursive: true });
  });

  it('safe by default in git: refused unless git ignores config.xml and the backup; a public clone (no backup) checks the rest; a private one (commitMerged) reproduces config.xml without flags', () => {
    const dir = tmp();
    const repo = join(dir, 'repo');
    spawnSync('mkdir', [repo]);
    git(repo, 'init', '-q');
    const { a, b } = siteFolder(repo);
    const refused = cli(['render', a, b, '-o', 'out'], { cwd: repo });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error pfsense-merged-public: .*would commit out\/garage-b\/pfsense\/config\.xml and my sites\/fw1\.xml/);
    expect(spawnSync('ls', [join(repo, 'out')]).status).not.toBe(0);
    // Ignoring the merged file is not enough while the backup would be committed.
    writeFileSync(join(repo, '.gitignore'), '**/pfsense/config.xml\n');
    const half = cli(['render', a, b, '-o', 'out'], { cwd: repo });
    expect(half.code).toBe(1);
    expect(half.stderr).toMatch(/would commit my sites\/fw1\.xml: /);

    // Public repository: the backup and the merged file stay out of git.
    writeFileSync(join(repo, '.gitignore'), '**/pfsense/config.xml\nmy sites/fw1.xml\n');
    expect(cli(['render', a, b, '-o', 'out'], { cwd: repo }).code).toBe(0);
    expect(cli(['render', a, b, '-o', 'out', '--check'], { cwd: repo }).code).toBe(0);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'sites');
    expect(git(repo, 'ls-files')).not.toContain('config.xml');
    const clone = join(dir, 'clone');
    git(dir, 'clone', '-q', repo, clone);
    const ci = cli(['render', a, b, '-o', 'out', '--check'], { cwd: clone });
    expect(ci.code, ci.stderr).toBe(0);
    expect(ci.stderr).toMatch(/warning pfsense-backup-absent/);
    expect(ci.stderr).toContain('up to date');
    // ... and the other outputs are still checked.
    writeFileSync(join(clone, 'out', 'garage-a', 'README.md'), 'edited');
    expect(cli(['render', a, b, '-o', 'out', '--check'], { cwd: clone }).code).toBe(1);

    // Private repository: commitMerged commits backup and config.xml, and CI reproduces config.xml.
    const priv = join(dir, 'private');
    spawnSync('mkdir', [priv]);
    git(priv, 'init', '-q');
    siteFolder(priv, ', commitMerged: true');
    expect(cli(['render', a, b, '-o', 'out'], { cwd: priv }).code).toBe(0);
    git(priv, 'add', '-A');
    git(priv, 'commit', '-qm', 'sites');
    const privClone = join(dir, 'private-clone');
    git(dir, 'clone', '-q', priv, privClone);
    expect(cli(['render', a, b, '-o', 'out', '--check'], { cwd: privClone }).code).toBe(0);
    const strictRun = cli(['validate', a, b, '--strict'], { cwd: privClone });
    expect(strictRun.code, strictRun.stderr).toBe(0);
    // A new backup download changes config.xml: CI sees it without any flag.
    writeFileSync(join(privClone, 'my sites', 'fw1.xml'), firewall.replace('<hostname>pfSense</hostname>', '<hostname>fw1</hostname>'));
    const drift = cli(['render', a, b, '-o', 'out', '--check'], { cwd: privClone });
    expect(drift.code).toBe(1);
    expect(drift.stderr).toContain('stale: out/garage-b/pfsense/config.xml');
    rmSync(dir, { recursive: true });
  });
});

describe('init: router type first, the router facts, a $schema that travels, copy-pasteable hints', () => {
  const targetsOf = (text: string) => validateSpec(text, 'x.yaml').site!.targets;

  it('flags for the per-router facts; the wifi package radio defaults to wifi2 on dual-band, wifi1 single-band, wlan1 for wireless', () => {
    const dual = cli(['init', '--target', 'MikroTik']);
    expect(dual.code, dual.stderr).toBe(0);
    expect(targetsOf(dual.stdout).mikrotik).toEqual({ routeros: 7, interface: 'bridge-chargers', wifi: 'wifi', wifiInterface: 'wifi2' });
    expect(targetsOf(cli(['init', '--target', 'mikrotik', '--dual-band', 'no']).stdout).mikrotik.wifiInterface).toBe('wifi1');
    expect(targetsOf(cli(['init', '--target', 'mikrotik', '--routeros', '6']).stdout).mikrotik).toMatchObject({ routeros: 6, wifi: 'wireless', wifiInterface: 'wlan1' });
    expect(targetsOf(cli(['init', '--target', 'mikrotik', '--routeros', '7.15', '--wifi-package', 'wifiwave2', '--bridge', 'bridge1', '--radio', 'wifi3']).stdout).mikrotik).toEqual({ routeros: 7, interface: 'bridge1', wifi: 'wifiwave2', wifiInterface: 'wifi3' });
    expect(targetsOf(cli(['init', '--target', 'nftables', '--lan-interface', 'br-ev', '--wan-interface', 'enp1s0', '--wifi-interface', 'wlp2s0']).stdout).nftables).toEqual({ lanInterface: 'br-ev', wanInterface: 'enp1s0', wifiInterface: 'wlp2s0' });
    const pf = cli(['init', '--target', 'pfsense', '--pfsense-interface', 'OPT3', '--vlan', '40']);
    const pfSite = validateSpec(pf.stdout, 'x.yaml').site!;
    expect(pfSite.targets.pfsense.interface).toBe('opt3');
    expect(pfSite.network.vlan).toBe(40);
    // UniFi needs a VLAN: the default asks for one, and the spec renders.
    const unifi = cli(['init', '--target', 'unifi']);
    expect(validateSpec(unifi.stdout, 'x.yaml').site!.network.vlan).toBe(30);
    // The setting that keeps the SSID off every AP (else render warns unifi-ssid-on-every-ap) is shown, ready to uncomment.
    const tagged = unifi.stdout.replace('# apDeviceTags: [chargers-ap]', 'apDeviceTags: [chargers-ap]');
    expect(tagged).not.toBe(unifi.stdout);
    expect(validateSpec(tagged, 'x.yaml').site!.targets.unifi.apDeviceTags).toEqual(['chargers-ap']);
    const bad = cli(['init', '--target', 'mikrotk']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("did you mean 'mikrotik'?");
    expect(cli(['init', '--lan-interface', 'br-chargers-garage-east']).code).toBe(2);
    expect(cli(['init', '--target', 'pfsense', '--pfsense-interface', 'CHARGERS']).stderr).toContain('not the description');
    const stray = cli(['init', '--target', 'iptables', '--radio', 'wifi2']);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--radio does not apply to --target iptables');
    expect(cli(['init', '--no-wifi', '--channel', '6']).stderr).toContain('--channel does not apply to --target iptables without Wi-Fi');
  });

  it('-o copies the schema next to the spec ($schema=./site.schema.json works in any clone), and prints quoted commands', () => {
    const dir = tmp();
    const r = cli(['init', '-o', 'my sites/garage.yaml', '--target', 'pfsense', '--backup', 'fw 1.xml'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(join(dir, 'my sites', 'garage.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./site.schema.json');
    expect(readFileSync(join(dir, 'my sites', 'site.schema.json'), 'utf8')).toBe(readFileSync(join(root, 'schemas', 'site.schema.json'), 'utf8'));
    expect(r.stderr).toContain("check it:  chargewall validate 'my sites/garage.yaml'");
    expect(r.stderr).toContain("render it: chargewall render 'my sites/garage.yaml'");
    expect(r.stderr).toContain("as 'my sites/fw 1.xml'");
    // The printed commands work as printed (through a shell).
    const shell = spawnSync('sh', ['-c', `node ${join(root, 'dist/cli/main.js')} validate 'my sites/garage.yaml'`], { cwd: dir, encoding: 'utf8' });
    // The backup is not saved yet (and nothing outside git keeps it out of a repository): the path works, the file is due.
    expect(shell.stderr).toContain('error pfsense-backup-missing: pfsense: the backup fw 1.xml is not here');
    // Through npx (the README's way, chargewall installed in the project and not on PATH) they say npx;
    // a backup that is already there needs no reminder to save it.
    writeFileSync(join(dir, 'my sites', 'fw 1.xml'), '<pfsense></pfsense>\n');
    const viaNpx = cli(['init', '-o', 'my sites/npx.yaml', '--target', 'pfsense', '--backup', 'fw 1.xml'], { cwd: dir, env: { npm_command: 'exec' } });
    expect(viaNpx.code, viaNpx.stderr).toBe(0);
    expect(viaNpx.stderr).toContain("check it:  npx chargewall validate 'my sites/npx.yaml'");
    expect(viaNpx.stderr).toContain("render it: npx chargewall render 'my sites/npx.yaml'");
    expect(viaNpx.stderr).not.toContain('save the pfSense backup');
    expect(cli(['init'], { env: { npm_command: 'exec' } }).stderr).toContain('npx chargewall schema > site.schema.json');
    // Someone else's site.schema.json is left alone.
    writeFileSync(join(dir, 'my sites', 'site.schema.json'), '{"$id":"mine"}');
    expect(cli(['init', '-o', 'my sites/other.yaml'], { cwd: dir }).code).toBe(0);
    expect(readFileSync(join(dir, 'my sites', 'site.schema.json'), 'utf8')).toBe('{"$id":"mine"}');
    expect(readFileSync(join(dir, 'my sites', 'other.yaml'), 'utf8')).not.toContain('$schema=./site.schema.json');
    rmSync(dir, { recursive: true });
  });

  it('init -o in a terminal asks (router type first), and pasted answers are all used', () => {
    const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
    if (!hasScript) {
      if (process.env.CI === 'true') throw new Error('CI=true but `script` (util-linux) is missing');
      return;
    }
    const dir = tmp();
    const answers = ['MikroTik', 'garage-x', '', '12', '', '', 'yes', '6', 'se', '7', 'wifi', 'yes', '', '', ''].join('\n') + '\n';
    const r = spawnSync('script', ['-qec', `node ${join(root, 'dist/cli/main.js')} init -o asked.yaml`, '/dev/null'], { cwd: dir, input: answers, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/Router type \(iptables, nftables, mikrotik, pfsense, unifi\) \[iptables\]:/);
    expect(r.stdout).toContain('2.4 GHz radio interface [wifi2]');
    const v = validateSpec(readFileSync(join(dir, 'asked.yaml'), 'utf8'), 'asked.yaml');
    expect(v.ok).toBe(true);
    expect(v.site!.site.id).toBe('garage-x');
    expect(v.site!.chargers.count).toBe(12);
    expect(v.site!.targets.mikrotik).toEqual({ routeros: 7, interface: 'bridge-chargers', wifi: 'wifi', wifiInterface: 'wifi2' });
    rmSync(dir, { recursive: true });
  });
});

describe('CI helpers: pre-commit hooks and CRLF checkouts', () => {
  it('.pre-commit-hooks.yaml: validate --strict and render --check, each runs as declared and fails on a problem', async () => {
    const { parse } = await import('yaml');
    const hooks = parse(readFileSync(join(root, '.pre-commit-hooks.yaml'), 'utf8')) as any[];
    expect(hooks.map((h) => h.id)).toEqual(['chargewall-validate', 'chargewall-render-check']);
    for (const h of hooks) {
      // The keys the pre-commit framework requires. `language: node` cannot work: pre-commit installs the
      // hook repository with `npm install -g git+...`, and npm runs its `prepare` build without the
      // dependencies (npm/cli#8440). So the hooks run the project's own chargewall through `npx --no`,
      // which never fetches a registry package of that name when none is installed.
      expect(Object.keys(h)).toEqual(expect.arrayContaining(['id', 'name', 'entry', 'language', 'files']));
      expect(h.language).toBe('system');
      expect(h.entry.split(' ').slice(0, 3)).toEqual(['npx', '--no', Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin)[0]]);
      expect(new RegExp(h.files).test('sites/garage.yaml')).toBe(true);
      expect(new RegExp(h.files).test('.pre-commit-config.yaml')).toBe(false);
    }
    const dir = tmp();
    spawnSync('mkdir', [join(dir, 'sites')]);
    writeFileSync(join(dir, 'sites', 'a.yaml'), base);
    // A sites repository that installed chargewall (node_modules/.bin/chargewall, as npm links it).
    writeFileSync(join(dir, 'package.json'), '{}\n');
    spawnSync('mkdir', ['-p', join(dir, 'node_modules', '.bin')]);
    spawnSync('ln', ['-s', join(root, 'dist/cli/main.cjs'), join(dir, 'node_modules', '.bin', 'chargewall')]);
    // pre-commit runs `entry args... files...` (language: system: the entry split into words, no shell).
    const run = (h: any, args: string[]) => {
      const words = h.entry.split(' ');
      const r = spawnSync(words[0], [...words.slice(1), ...args, 'sites/a.yaml'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    expect(run(hooks[0], []).code).toBe(0);
    expect(run(hooks[1], ['--out', 'out']).code).toBe(1); // nothing rendered yet
    expect(cli(['render', 'sites/a.yaml', '--out', 'out'], { cwd: dir }).code).toBe(0);
    expect(run(hooks[1], ['--out', 'out']).code).toBe(0);
    writeFileSync(join(dir, 'sites', 'a.yaml'), base.replace('targets:', 'policy: { dns: allow-fallback }\ntargets:'));
    expect(run(hooks[0], []).code).toBe(1); // a warning fails --strict
    rmSync(dir, { recursive: true });
  });

  it('a CRLF checkout (core.autocrlf=true) of the output is up to date with the recommended .gitattributes, and stale without', () => {
    const dir = tmp();
    const repo = join(dir, 'repo');
    const git = (cwd: string, ...args: string[]) => spawnSync('git', ['-c', 'user.email=ci@example.com', '-c', 'user.name=CI', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
    spawnSync('mkdir', ['-p', join(repo, 'sites')]);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'sites', 'a.yaml'), base);
    expect(cli(['render', 'sites/a.yaml', '-o', 'out'], { cwd: repo }).code).toBe(0);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'without attributes');
    git(dir, '-c', 'core.autocrlf=true', 'clone', '-q', repo, join(dir, 'crlf1'));
    expect(readFileSync(join(dir, 'crlf1', 'out', 'test-site', 'README.md'), 'utf8')).toContain('\r\n');
    expect(cli(['render', 'sites/a.yaml', '-o', 'out', '--check'], { cwd: join(dir, 'crlf1') }).code).toBe(1);
    // The README's recommendation: output files are bytes, never converted.
    writeFileSync(join(repo, '.gitattributes'), readFileSync(join(root, 'README.md'), 'utf8').match(/^out\/\*\* -text$/m)![0] + '\n');
    git(repo, 'add', '-A');
    git(repo, 'commit', '-qm', 'attributes');
    git(dir, '-c', 'core.autocrlf=true', 'clone', '-q', repo, join(dir, 'crlf2'));
    expect(readFileSync(join(dir, 'crlf2', 'sites', 'a.yaml'), 'utf8')).toContain('\r\n');
    const r = cli(['render', 'sites/a.yaml', '-o', 'out', '--check'], { cwd: join(dir, 'crlf2') });
    expect(r.code, r.stderr).toBe(0);
    rmSync(dir, { recursive: true });
  });
});
