import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateSpec } from '../src/spec/validate.js';
import { root } from './helpers.js';

/** The admin's workflow (issue 18): every problem at once, acknowledgements, pfSense backups named in the spec, init. */

function cli(args: string[], opts: { cwd?: string; env?: Record<string, string>; input?: string } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, CI: 'true', ...opts.env };
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
  mikrotik: { routeros: 7 }
`;

const codes = (text: string) => validateSpec(text, 'spec.yaml').diagnostics.map((d) => [d.code, d.line, d.col]);

describe('every problem at once', () => {
  it('the base spec is valid', () => {
    expect(codes(base)).toEqual([]);
  });

  it('schema errors do not hide the semantic rules: unknown key, routeros 7.15, a bad enum, gateway and channel in one run, sorted', () => {
    const text = base
      .replace('    headroom: 25', '    headrom: 25')
      .replace('routeros: 7 }', 'routeros: 7.15 }')
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
    const long = msg('mikrotik: { routeros: 7 }', 'iptables: { lanInterface: br-chargers-garage }');
    expect(long).toMatch(/18 characters, over the limit of 15/);
    const space = msg('mikrotik: { routeros: 7 }', 'iptables: { wanInterface: "eth0 " }');
    expect(space).toContain('ends with a space');
    expect(space).toContain("Did you mean 'eth0'?");
    const illegal = msg('mikrotik: { routeros: 7 }', 'iptables: { lanInterface: "br/chargers" }');
    expect(illegal).toContain("'/' at character 3 is not allowed");
    expect(illegal).toContain("Did you mean 'br-chargers'?");
    const id = msg('id: test-site', 'id: Test_Site');
    expect(id).toContain('lower case only');
    expect(id).toContain("Did you mean 'test-site'?");
    expect(msg('country: SE', 'country: se')).toContain("Did you mean 'SE'?");
    expect(msg('mac: "98:3d:ae:00:00:01"', 'mac: "983dae000001"')).toContain("Did you mean '98:3d:ae:00:00:01'?");
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
    writeFileSync(b, base.replace('channel: 6', 'channel: 13').replace('targets:\n  mikrotik: { routeros: 7 }', 'targets:\n  unifi: {}\npolicy: { dns: allow-fallback }'));
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
