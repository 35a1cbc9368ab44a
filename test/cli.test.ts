import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync, appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSpec } from '../src/spec/validate.js';
import { targets } from '../src/targets/registry.js';
import { root } from './helpers.js';

/** Runs the built CLI (npm test builds first) the way a user or CI does. */
function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, ...opts.env };
  const r = spawnSync('node', [join(root, 'dist/cli/main.js'), ...args], { cwd: opts.cwd ?? root, encoding: 'utf8', env, input: opts.input ?? '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const tmp = () => mkdtempSync(join(tmpdir(), 'chargewall-cli-'));
const example = join(root, 'examples', 'small-garage.yaml');

describe('exit codes', () => {
  it('0 for a valid spec, 1 for an invalid one, 2 for usage errors', () => {
    expect(cli(['validate', example]).code).toBe(0);
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), readFileSync(example, 'utf8').replace('channel: 1', 'channel: 13'));
    const bad = cli(['validate', join(dir, 'bad.yaml')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad\.yaml:\d+:\d+: error wifi-channel: /);
    expect(cli(['validate', join(dir, 'missing.yaml')]).code).toBe(2);
    expect(cli(['render', example, '-t', 'nosuch', '-o', dir]).code).toBe(2);
    expect(cli(['render', example, '--frobnicate']).code).toBe(2);
    expect(cli(['nosuchcommand']).code).toBe(2);
    expect(cli(['explain', join(dir, 'bad.yaml')]).code).toBe(1);
    expect(cli(['explain', join(dir, 'missing.yaml')]).code).toBe(2);
    expect(cli(['--version']).code).toBe(0);
    rmSync(dir, { recursive: true });
  });
});

describe('render --check', () => {
  it('passes on a fresh render and reports edited, missing and extra files (writing nothing)', () => {
    const dir = tmp();
    const out = join(dir, 'out');
    // Rendered once with a second target the spec does not name: its files are chargewall's, recorded in the manifest.
    const other = [...targets.keys()].find((t) => t !== 'iptables' && t !== 'unifi')!;
    expect(cli(['render', example, '-o', out, '-t', `iptables,${other}`]).code).toBe(0);
    const site = join(out, 'verkstad-lund');
    expect(existsSync(join(site, 'README.md'))).toBe(true);
    const fresh = cli(['render', example, '-o', out, '-t', `iptables,${other}`, '--check']);
    expect(fresh.code, fresh.stderr).toBe(0);
    expect(fresh.stderr).toBe('up to date; 1 site checked\n');

    appendFileSync(join(site, 'README.md'), 'edited by hand\n');
    unlinkSync(join(site, 'iptables', 'apply.sh'));
    // The admin's own file in a target folder is not chargewall's: never reported, never removed.
    writeFileSync(join(site, 'iptables', 'leftover.conf'), 'old\n');
    const before = readFileSync(join(site, 'README.md'), 'utf8');
    // Without -t the spec's targets are rendered: the other target's files would be removed.
    const drift = cli(['render', example, '-o', out, '--check']);
    expect(drift.code).toBe(1);
    expect(drift.stderr).toContain(`stale: ${out}/verkstad-lund/README.md`);
    expect(drift.stderr).toContain(`missing: ${out}/verkstad-lund/iptables/apply.sh`);
    expect(drift.stderr).toMatch(new RegExp(`extra: ${out}/verkstad-lund/${other}/\\S+`));
    expect(drift.stderr).not.toContain('leftover.conf');
    expect(drift.stderr).toMatch(/out of date: run chargewall render \S+ -o \S+ to update \S+; 1 site checked\n$/);
    // --check never writes.
    expect(readFileSync(join(site, 'README.md'), 'utf8')).toBe(before);
    expect(existsSync(join(site, 'iptables', 'apply.sh'))).toBe(false);

    // A render brings it back in line; files the user keeps stay, in the site folder and in a target folder.
    writeFileSync(join(site, 'NOTES.md'), 'mine\n');
    const r = cli(['render', example, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`note: ${out}/verkstad-lund/${other}: not among this render's targets`);
    expect(existsSync(join(site, other))).toBe(false);
    expect(cli(['render', example, '-o', out, '--check']).code).toBe(0);
    expect(readFileSync(join(site, 'NOTES.md'), 'utf8')).toBe('mine\n');
    expect(readFileSync(join(site, 'iptables', 'leftover.conf'), 'utf8')).toBe('old\n');
    rmSync(dir, { recursive: true });
  });

  it('reports a never-rendered site as missing', () => {
    const dir = tmp();
    const r = cli(['render', example, '-o', join(dir, 'out'), '--check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('missing: ');
    expect(r.stderr).toContain('verkstad-lund/README.md');
    expect(existsSync(join(dir, 'out'))).toBe(false);
    rmSync(dir, { recursive: true });
  });
});

describe('schema', () => {
  const file = readFileSync(join(root, 'schemas', 'site.schema.json'), 'utf8');

  it('`chargewall schema` prints schemas/site.schema.json byte for byte', () => {
    const r = cli(['schema']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(file);
  });

  it('describes every property', () => {
    const missing: string[] = [];
    const walk = (node: any, path: string) => {
      if (!node || typeof node !== 'object') return;
      if (node.properties) {
        for (const [k, v] of Object.entries<any>(node.properties)) {
          if (typeof v.description !== 'string' || v.description.trim().length < 3) missing.push(`${path}.${k}`);
          walk(v, `${path}.${k}`);
        }
      }
      if (node.items) walk(node.items, `${path}[]`);
      for (const alt of [...(node.oneOf ?? []), ...(node.anyOf ?? [])]) walk(alt, path);
    };
    walk(JSON.parse(file), '');
    expect(missing).toEqual([]);
  });

  it('examples carry the yaml-language-server $schema line', () => {
    for (const f of ['housing-association.yaml', 'no-wifi-4g.yaml', 'small-garage.yaml']) {
      expect(readFileSync(join(root, 'examples', f), 'utf8').split('\n')[0]).toBe('# yaml-language-server: $schema=../schemas/site.schema.json');
    }
  });
});

describe('init', () => {
  it('writes a starter spec that validates as written, from defaults and from flags', () => {
    const dir = tmp();
    const plain = cli(['init']);
    expect(plain.code).toBe(0);
    expect(validateSpec(plain.stdout, 'stdout.yaml').ok).toBe(true);
    expect(plain.stdout).toMatch(/^# yaml-language-server: \$schema=\S+site\.schema\.json\n/);

    const file = join(dir, 'garage.yaml');
    const r = cli(['init', '-o', file, '--site-id', 'garage-b', '--chargers', '30', '--subnet', '10.9.0.0/25', '--no-wifi', '--name', 'Garage "B" # east']);
    expect(r.code).toBe(0);
    const text = readFileSync(file, 'utf8');
    const v = validateSpec(text, file);
    expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(v.site!.site).toEqual({ id: 'garage-b', name: 'Garage "B" # east' });
    expect(v.site!.chargers.count).toBe(30);
    expect(v.site!.network.subnet).toBe('10.9.0.0/25');
    expect(v.site!.wifi).toBeUndefined();
    expect(v.site!.targetKeys).toEqual(['iptables']);
    // The $schema path resolves from the spec's folder to the shipped schema.
    const ref = /\$schema=(\S+)/.exec(text)![1];
    expect(readFileSync(join(dir, ref), 'utf8')).toBe(readFileSync(join(root, 'schemas/site.schema.json'), 'utf8'));
    // The written spec renders and validates with the CLI too.
    expect(cli(['validate', file]).code).toBe(0);
    expect(cli(['render', file, '-o', join(dir, 'out')]).code).toBe(0);

    const wifi = cli(['init', '--channel', '11', '--country', 'no', '--chargers', '3']);
    const w = validateSpec(wifi.stdout, 'w.yaml');
    expect(w.ok).toBe(true);
    expect(w.site!.wifi).toMatchObject({ channel: 11, country: 'NO', passphrase: { kind: 'env', name: 'CHARGER_WIFI_PSK' } });
    rmSync(dir, { recursive: true });
  });

  it('every target gets a starter spec that validates', () => {
    for (const t of targets.keys()) {
      const r = cli(['init', '--target', t]);
      expect(r.code, t).toBe(0);
      expect(validateSpec(r.stdout, `${t}.yaml`).ok, t).toBe(true);
    }
  });

  it('refuses to overwrite unless --force, and rejects bad answers with exit 2', () => {
    const dir = tmp();
    const file = join(dir, 'site.yaml');
    writeFileSync(file, 'mine\n');
    const r = cli(['init', '-o', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--force');
    expect(readFileSync(file, 'utf8')).toBe('mine\n');
    expect(cli(['init', '-o', file, '--force']).code).toBe(0);
    expect(validateSpec(readFileSync(file, 'utf8'), file).ok).toBe(true);

    expect(cli(['init', '--subnet', '10.1.2.3/24']).stderr).toContain('did you mean 10.1.2.0/24');
    expect(cli(['init', '--subnet', '10.1.2.3/24']).code).toBe(2);
    expect(cli(['init', '--site-id', 'Bad Id']).code).toBe(2);
    expect(cli(['init', '--chargers', 'six']).code).toBe(2);
    expect(cli(['init', '--channel', '13']).code).toBe(2);
    expect(cli(['init', '--target', 'nosuch']).code).toBe(2);
    const tooMany = cli(['init', '--chargers', '300', '--subnet', '10.0.0.0/24']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toContain('pool-no-room');
    rmSync(dir, { recursive: true });
  });
});

describe('targets', () => {
  it('lists every target with its description and files', () => {
    const r = cli(['targets']);
    expect(r.code).toBe(0);
    for (const t of targets.values()) {
      expect(r.stdout).toMatch(new RegExp(`^${t.id} +${t.description.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
      expect(r.stdout).toContain(`files: ${t.files.join(', ')}`);
    }
  });
});

describe('diagnostics', () => {
  const bad = `version: 1
site: { id: diag-test }
profile: zaptec-pro
chargers: { count: 4 }
network:
  subnet: 10.5.0.0/24
  dhcpp: { pool: auto }
wifi:
  ssid: X
  passphrase: "hunter2-literal-secret"
  channel: 6
  country: SE
policy: { dns: redirekt }
`;

  it('point at file:line:col with "did you mean" for unknown keys and the allowed values for enums', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), bad);
    const r = cli(['validate', 'bad.yaml'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^bad\.yaml:7:3: error unknown-key: unknown key 'dhcpp' in network: did you mean 'dhcp'\?/m);
    expect(r.stderr).toMatch(/^bad\.yaml:13:16: error invalid-value: policy\.dns must be one of "redirect", "allow-fallback", "router-only": did you mean 'redirect'\?/m);
    rmSync(dir, { recursive: true });
  });

  it('--format json gives the same diagnostics as data, and never the literal passphrase', () => {
    const dir = tmp();
    writeFileSync(join(dir, 'bad.yaml'), bad);
    const text = cli(['validate', 'bad.yaml'], { cwd: dir });
    const json = cli(['validate', 'bad.yaml', '--format', 'json'], { cwd: dir });
    expect(json.code).toBe(1);
    const data = JSON.parse(json.stdout);
    expect(data.ok).toBe(false);
    const asLines = data.diagnostics.map((d: any) => `${d.file}:${d.line}:${d.col}: ${d.severity} ${d.code}: ${d.message}`);
    // The text run ends with the count (issue 18); every line before it is a diagnostic as in the JSON.
    expect(asLines.join('\n') + '\n2 errors, 1 warning in 1 file (of 1 checked)\n').toBe(text.stderr);
    for (const d of data.diagnostics) expect(Object.keys(d).sort()).toEqual(['code', 'col', 'file', 'line', 'message', 'path', 'severity']);

    // A valid spec with a literal passphrase: warned about, never echoed anywhere.
    const good = bad.replace('  dhcpp: { pool: auto }\n', '').replace('redirekt', 'redirect');
    writeFileSync(join(dir, 'good.yaml'), good);
    const short = good.replace('hunter2-literal-secret', 'hunter2');
    writeFileSync(join(dir, 'short.yaml'), short);
    const runs = [
      cli(['validate', 'good.yaml', '--format', 'json'], { cwd: dir }),
      cli(['validate', 'good.yaml'], { cwd: dir }),
      cli(['validate', 'short.yaml', '--format', 'json'], { cwd: dir }),
      cli(['validate', 'short.yaml'], { cwd: dir }),
      cli(['explain', 'good.yaml'], { cwd: dir }),
      cli(['render', 'good.yaml', '-o', 'out'], { cwd: dir }),
    ];
    // validate also reports what render would (issue 18): here UniFi skipped for a spec without a VLAN.
    // (MikroTik's default virtual AP also reports that it sets the radio's channel.)
    expect(JSON.parse(runs[0].stdout).diagnostics.map((d: any) => d.code)).toEqual(['mikrotik-radio-channel-set', 'target-skipped', 'passphrase-literal']);
    expect(JSON.parse(runs[2].stdout).diagnostics.map((d: any) => d.code)).toContain('passphrase-invalid');
    for (const r of runs) {
      expect(r.stdout + r.stderr).not.toContain('hunter2');
    }
    expect(runs[4].code).toBe(0);
    for (const f of ['README.md', 'iptables/hostapd.conf', 'iptables/apply.sh', 'iptables/dnsmasq.conf']) {
      expect(readFileSync(join(dir, 'out', 'diag-test', f), 'utf8')).not.toContain('hunter2');
    }
    rmSync(dir, { recursive: true });
  });
});

describe('terminal output', () => {
  const hasScript = spawnSync('sh', ['-c', 'command -v script']).status === 0;
  const dir = tmp();
  writeFileSync(join(dir, 'bad.yaml'), readFileSync(example, 'utf8').replace('channel: 1', 'channel: 13'));

  it('no colour and no progress when stderr is not a terminal (pipes, CI logs)', () => {
    const r = cli(['validate', 'bad.yaml'], { cwd: dir });
    expect(r.stderr).not.toContain('\x1b[');
    const many = cli(['render', example, join(root, 'examples', 'no-wifi-4g.yaml'), '-o', join(dir, 'out')]);
    expect(many.stderr).not.toMatch(/\r|\x1b\[/);
  });

  // `script` gives the CLI a pseudo-terminal, as a person at a terminal has.
  it.skipIf(!hasScript)('colour on a terminal, none with NO_COLOR; progress on a terminal unless CI', () => {
    const inTty = (cmd: string, env: Record<string, string | undefined>) =>
      spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...process.env, TERM: 'xterm', ...env } }).stdout;
    const main = join(root, 'dist/cli/main.js');
    const noCi = { CI: '', NO_COLOR: '' };
    expect(inTty(`node ${main} validate bad.yaml`, noCi)).toContain('\x1b[1;31merror\x1b[0m wifi-channel');
    expect(inTty(`node ${main} validate bad.yaml`, { ...noCi, NO_COLOR: '1' })).not.toContain('\x1b[');
    const specs = `${example} ${join(root, 'examples', 'no-wifi-4g.yaml')}`;
    expect(inTty(`node ${main} render ${specs} -o out2`, noCi)).toContain('[2/2]');
    expect(inTty(`node ${main} render ${specs} -o out3`, { ...noCi, CI: 'true' })).not.toContain('[2/2]');
  });
});

describe('init questions', () => {
  it('asks the essentials, re-asks a wrong answer, and the answers give a valid spec', async () => {
    const { askAnswers, starterSpec } = await import('../src/cli/init.js');
    // Router type first (issue 18), then the site, then the router's own facts (here the Linux interfaces).
    const script = ['iptables', 'garage-c', 'Garage C', 'twelve', '12', '10.7.7.7/24', '10.7.7.0/24', '', 'no', 'br0', 'eth1'];
    const asked: string[] = [];
    const said: string[] = [];
    const answers = await askAnswers(
      async (q) => {
        asked.push(q);
        return script.shift()!;
      },
      [...targets.keys()],
      (s) => said.push(s),
    );
    expect(script).toEqual([]);
    expect(answers).toMatchObject({ siteId: 'garage-c', name: 'Garage C', chargers: 12, subnet: '10.7.7.0/24', wifi: false, target: 'iptables', lanInterface: 'br0', wanInterface: 'eth1' });
    // No Wi-Fi: no channel or country question.
    expect(asked.some((q) => /channel|Country/.test(q))).toBe(false);
    expect(said.join('')).toMatch(/not a charger count[\s\S]*did you mean 10\.7\.7\.0\/24/);
    const v = validateSpec(starterSpec(answers, 'site.schema.json'), 'c.yaml');
    expect(v.ok).toBe(true);
    expect(v.site!.wifi).toBeUndefined();
  });

  it('empty answers take the defaults', async () => {
    const { askAnswers, initDefaults } = await import('../src/cli/init.js');
    const answers = await askAnswers(async () => '', [...targets.keys()], () => {});
    expect(answers).toEqual({ ...initDefaults, target: targets.has(initDefaults.target) ? initDefaults.target : [...targets.keys()][0] });
  });
});

describe('start-up', () => {
  it('the launcher runs the bundle with the code cache made at build time (same V8 flags when made and used)', () => {
    const r = spawnSync(process.execPath, [join(root, 'dist/cli/main.js'), 'targets'], { encoding: 'utf8', env: { ...process.env, CHARGEWALL_DEBUG_CODE_CACHE: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('code cache: used');
  });

  it('worker threads run the bundle with the same code cache (no V8 flag is set after the launcher)', () => {
    // Flags are process-wide: one set when a batch starts made every worker reject the cache.
    const dir = tmp();
    const text = readFileSync(example, 'utf8');
    for (let i = 0; i < 80; i++) writeFileSync(join(dir, `s${i}.yaml`), text.replace('id: verkstad-lund', `id: site-${i}`));
    const r = spawnSync(process.execPath, [join(root, 'dist/cli/main.cjs'), 'render', dir, '-t', 'iptables', '-o', join(dir, 'out')], {
      encoding: 'utf8',
      env: { ...process.env, CHARGEWALL_THREADS: '2', CHARGEWALL_DEBUG_CODE_CACHE: '1' },
    });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr.match(/code cache: \w+/g)).toEqual(['code cache: used', 'code cache: used']);
  });

  it("Node's own modules that a render loads keep their code cache (loaded before the launcher sets its V8 flag)", () => {
    // V8 rejects a code cache made under other flags; Node prints which built-in it compiled without one.
    const out = mkdtempSync(join(tmpdir(), 'chargewall-cc-'));
    const r = spawnSync(process.execPath, [join(root, 'dist/cli/main.cjs'), 'render', join(root, 'examples', 'housing-association.yaml'), '-t', 'all', '-o', out], {
      encoding: 'utf8',
      env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
    });
    rmSync(out, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Code cache of \S+ \(\w+\) is accepted/); // the debug output is there to read
    const rejected = [...r.stderr.matchAll(/Code cache of (\S+) \(\w+\) is rejected/g)].map((m) => m[1]);
    // fs.rmSync loads internal/fs/rimraf, which a program cannot load ahead: the one left.
    expect(rejected.filter((m) => m !== 'internal/fs/rimraf')).toEqual([]);
  });
});
