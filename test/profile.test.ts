import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateSpec } from '../src/spec/validate.js';
import { renderSpec } from '../src/pipeline.js';
import { buildPlan } from '../src/plan/build.js';
import { uniqueLabels } from '../src/plan/names.js';
import { checkProfile, profileRules } from '../src/profiles/rules.js';
import { rules } from '../src/spec/rules.js';
import builtinProfiles from '../src/generated/profiles.js';
import { targets, targetIds } from '../src/targets/registry.js';
import type { Profile } from '../src/profiles/types.js';
import { requireTools, root, testEnv } from './helpers.js';

/**
 * Issue 17: a custom profile is untrusted input. Every reproducer of the issue, as written there, is
 * refused with an error located in the profile file (file:line:col of the bad value), or renders safely.
 */
const dir = mkdtempSync(join(tmpdir(), 'cw-profile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const profileText = readFileSync(join(root, 'profiles', 'zaptec-pro.yaml'), 'utf8');
const specText = `version: 1
site: { id: garage, name: Garage }
profile: ./custom.yaml
chargers: { count: 4 }
network: { subnet: 10.9.0.0/24, vlan: 9 }
wifi: { ssid: Chargers, passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE }
`;
const specFile = join(dir, 'site.yaml');
const profileFile = join(dir, 'custom.yaml');

function validateWith(profile: string, spec = specText) {
  writeFileSync(profileFile, profile);
  return validateSpec(spec, specFile);
}

/** line:col (1-based) of the first occurrence of `needle` in `text`. */
function position(text: string, needle: string): [number, number] {
  const i = text.indexOf(needle);
  expect(i, `'${needle}' in the text`).toBeGreaterThanOrEqual(0);
  const before = text.slice(0, i).split('\n');
  return [before.length, before[before.length - 1].length + 1];
}

type Case = { name: string; from: string; to: string; code: string; at: string };
/** `at`: the text where the bad value starts in the changed profile (the diagnostic must point there). */
const cases: Case[] = [
  // 1. ntp.host
  { name: '1. ntp.host injecting a dhcp-script directive', from: 'host: no.pool.ntp.org', to: 'host: "no.pool.ntp.org/cw-x\\ndhcp-script=/path/pwn.sh\\n#"', code: 'invalid-format', at: '"no.pool.ntp.org/cw-x' },
  { name: '1. ntp.host with a space and a network (pfSense alias split)', from: 'host: no.pool.ntp.org', to: 'host: "pool.ntp.org 0.0.0.0/0"', code: 'invalid-format', at: '"pool.ntp.org 0.0.0.0/0"' },
  { name: '1. ntp.host 0.0.0.0', from: 'host: no.pool.ntp.org', to: 'host: 0.0.0.0', code: 'invalid-format', at: '0.0.0.0' },
  { name: '1. empty ntp.host', from: 'host: no.pool.ntp.org', to: 'host: ""', code: 'invalid-format', at: '""' },
  { name: '1. ntp.host with a markdown table break', from: 'host: no.pool.ntp.org', to: 'host: "a.b | x |\\n| y"', code: 'invalid-format', at: '"a.b' },
  // 2. lines past ipset's 1024-byte buffer
  { name: '2. a 2000-character endpoint name', from: 'name: MQTT over TLS', to: `name: "MQTT ${'x'.repeat(2000)}"`, code: 'out-of-range', at: '"MQTT x' },
  { name: '2. a 1100-character host name', from: '- api.zaptec.com', to: `- ${'a.'.repeat(550)}com`, code: 'out-of-range', at: 'a.a.a.' },
  { name: '2. a 600-character purpose', from: 'purpose: firmware', to: `purpose: ${'y'.repeat(600)} firmware`, code: 'out-of-range', at: 'yyyy' },
  // 3. UniFi placeholders
  { name: '3. a host that is a UniFi placeholder', from: '- api.zaptec.com', to: '- "$env:UNIFI_API_KEY"', code: 'invalid-format', at: '"$env:UNIFI_API_KEY"' },
  { name: '3. the Wi-Fi passphrase placeholder as ntp.host', from: 'host: no.pool.ntp.org', to: 'host: $env:CHARGER_WIFI_PSK', code: 'invalid-format', at: '$env:CHARGER_WIFI_PSK' },
  { name: '3. a placeholder as endpoint name', from: 'name: HTTPS', to: 'name: "$env:UNIFI_API_KEY"', code: 'invalid-format', at: '"$env:UNIFI_API_KEY"' },
  // 4. group ids
  { name: '4. endpoint id ntp with port 22', from: 'id: mqtt\n    name: MQTT over TLS\n    protocol: tcp\n    ports: [8883]', to: 'id: ntp\n    name: MQTT over TLS\n    protocol: tcp\n    ports: [22]', code: 'reserved-endpoint-id', at: 'ntp\n' },
  { name: '4. endpoint id dns-fallback', from: 'id: mqtt', to: 'id: dns-fallback', code: 'reserved-endpoint-id', at: 'dns-fallback' },
  { name: '4. two groups with one id', from: 'id: mqtt', to: 'id: https', code: 'duplicate-endpoint', at: 'https\n    name: MQTT' },
  { name: "4. an id that is another group's UniFi address policy", from: 'id: mqtt', to: 'id: https-ip', code: 'duplicate-endpoint', at: 'https-ip' },
  // 5. the same host in two groups
  { name: '5. the same host in two groups', from: '- zapcloud.azure-devices.net', to: '- zapcloud.azure-devices.net\n      - api.zaptec.com', code: 'duplicate-host', at: 'api.zaptec.com\n    purpose: "main' },
  { name: '5. the NTP host in an endpoint group', from: '- zapcloud.azure-devices.net', to: '- no.pool.ntp.org', code: 'duplicate-host', at: 'no.pool.ntp.org\n    purpose' },
  { name: '5. a host twice in one group', from: '- api.zaptec.com', to: '- api.zaptec.com\n      - api.zaptec.com', code: 'duplicate-host', at: 'api.zaptec.com\n    purpose' },
  // 6. host names
  { name: '6. a 64-character label', from: '- api.zaptec.com', to: `- ${'a'.repeat(64)}.zaptec.com`, code: 'invalid-format', at: 'aaaa' },
  { name: '6. numeric-looking 192.11010305', from: '- api.zaptec.com', to: '- "192.11010305"', code: 'invalid-format', at: '"192.11010305"' },
  { name: '6. numeric-looking 192.11010305 (a YAML number)', from: '- api.zaptec.com', to: '- 192.11010305', code: 'invalid-type', at: '192.11010305' },
  { name: '6. hex-looking 0x7f.1', from: '- api.zaptec.com', to: '- 0x7f.1', code: 'invalid-format', at: '0x7f.1' },
  { name: '6. hex-looking 0x7f.0x1', from: '- api.zaptec.com', to: '- 0x7f.0x1', code: 'invalid-format', at: '0x7f.0x1' },
  { name: '6. 0.0.0.0 as a host', from: '- api.zaptec.com', to: '- 0.0.0.0', code: 'invalid-format', at: '0.0.0.0' },
  { name: '6. an IP literal where a name is expected', from: '- api.zaptec.com', to: '- 203.0.113.7', code: 'invalid-format', at: '203.0.113.7' },
  { name: '6. a wildcard', from: '- api.zaptec.com', to: '- "*.zaptec.com"', code: 'invalid-format', at: '"*.zaptec.com"' },
  { name: '6. a trailing dot', from: '- api.zaptec.com', to: '- api.zaptec.com.', code: 'invalid-format', at: 'api.zaptec.com.' },
  { name: '6. upper case', from: '- api.zaptec.com', to: '- API.zaptec.com', code: 'invalid-format', at: 'API.zaptec.com' },
  { name: '6. a single label', from: '- api.zaptec.com', to: '- localhost', code: 'invalid-format', at: 'localhost' },
  { name: '6. a resolver in the multicast block', from: 'fallbackResolvers: [8.8.8.8, 1.1.1.1]', to: 'fallbackResolvers: [8.8.8.8, 224.0.0.251]', code: 'invalid-address', at: '224.0.0.251' },
  { name: '6. a resolver on loopback', from: 'fallbackResolvers: [8.8.8.8, 1.1.1.1]', to: 'fallbackResolvers: [127.0.0.53]', code: 'invalid-address', at: '127.0.0.53' },
  // 7. numbers without a range, values that crashed a target
  { name: '7. ntp.host with $ (MikroTik redirect)', from: 'host: no.pool.ntp.org', to: 'host: "no.pool.ntp.org$x"', code: 'invalid-format', at: '"no.pool.ntp.org$x"' },
  { name: '7. minSignalDbm -1e21', from: 'minSignalDbm: -75', to: 'minSignalDbm: -1e21', code: 'out-of-range', at: '-1e21' },
  { name: '7. minSignalDbm 0', from: 'minSignalDbm: -75', to: 'minSignalDbm: 0', code: 'out-of-range', at: '0\n' },
  { name: '7. traffic 1e400 (Infinity)', from: 'perChargerPerDayMB: 3', to: 'perChargerPerDayMB: 1e400', code: 'out-of-range', at: '1e400' },
  { name: '7. traffic .nan', from: 'perChargeCycleMB: 5', to: 'perChargeCycleMB: .nan', code: 'out-of-range', at: '.nan' },
  { name: '7. channel 14', from: 'max: 11', to: 'max: 14', code: 'out-of-range', at: '14' },
  { name: '7. channel range reversed', from: 'min: 1', to: 'min: 12', code: 'channel-range-reversed', at: '12\n    max' },
  { name: '7. port 0', from: 'ports: [443]', to: 'ports: [0]', code: 'out-of-range', at: '0]' },
  { name: '7. a line separator in free text', from: 'purpose: firmware updates from the Zaptec Portal (server certificate and image verified by the charger)', to: 'purpose: "firmware\\u2028updates"', code: 'text-control-character', at: '"firmware\\u2028' },
  { name: '7. a newline in the vendor', from: 'vendor: Zaptec', to: 'vendor: "Zap\\ntec"', code: 'text-control-character', at: '"Zap' },
  { name: '7. an unknown key', from: 'wifi:\n', to: 'wifi:\n  colour: red\n', code: 'unknown-key', at: 'colour' },
  // The vendor's tools (issue 20): free text like the rest, one line, bounded.
  { name: 'a newline in tools.app', from: 'app: Zaptec app', to: 'app: "Zaptec\\napp"', code: 'text-control-character', at: '"Zaptec\\napp' },
  { name: 'a line separator in tools.portal', from: 'portal: Zaptec Portal', to: 'portal: "Zaptec\\u2028Portal"', code: 'text-control-character', at: '"Zaptec\\u2028' },
  { name: 'a 65-character tools.appSignalView', from: 'appSignalView: installation view', to: `appSignalView: ${'v'.repeat(65)}`, code: 'out-of-range', at: 'vvvv' },
  { name: 'an empty tools.app', from: 'app: Zaptec app', to: 'app: ""', code: 'out-of-range', at: '""' },
  { name: 'an unknown key in tools', from: 'portal: Zaptec Portal', to: 'portal: Zaptec Portal\n  homepage: x', code: 'unknown-key', at: 'homepage' },
];

describe('profile reproducers of issue 17: refused in the profile file, at the value', () => {
  it('the built-in profile passes every profile rule', () => {
    for (const [id, p] of Object.entries(builtinProfiles)) {
      const problems: string[] = [];
      checkProfile(p, (code, path, message) => problems.push(`${id} ${path.join('.')} ${code} ${message}`));
      expect(problems).toEqual([]);
    }
    expect(validateWith(profileText).ok).toBe(true);
  });

  for (const c of cases) {
    it(c.name, () => {
      expect(profileText.includes(c.from), `'${c.from}' in the profile`).toBe(true);
      const changed = profileText.replace(c.from, c.to.replace('.zaptec.com.', '.zaptec.com.'));
      const r = validateWith(changed);
      expect(r.ok).toBe(false);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      const [line, col] = position(changed, c.at);
      expect(errors.map((d) => [d.file, d.code, d.line, d.col])).toContainEqual([profileFile, c.code, line, col]);
      // Every error is in the profile file, none at the spec's `profile:` key.
      for (const d of errors) expect(d.file).toBe(profileFile);
      // And the pipeline writes nothing.
      writeFileSync(profileFile, changed);
      expect(renderSpec(specText, specFile, targetIds(), { env: testEnv }).files).toEqual({});
    });
  }

  it('a profile given by absolute path, or from a spec in another folder, is named by that path in its diagnostics', () => {
    writeFileSync(profileFile, profileText.replace('id: mqtt', 'id: ntp'));
    const abs = validateSpec(specText.replace('./custom.yaml', profileFile), 'elsewhere/site.yaml');
    expect(abs.diagnostics.map((d) => d.file)).toEqual([profileFile]);
    const rel = validateSpec(specText.replace('./custom.yaml', '../custom.yaml'), join(dir, 'sub', 'site.yaml'));
    expect(rel.diagnostics.map((d) => d.file)).toEqual([profileFile]);
  });

  it('an edited profile file is read again (no stale result from an earlier render)', () => {
    expect(validateWith(profileText.replace('id: mqtt', 'id: ntp')).ok).toBe(false);
    expect(validateWith(profileText).ok).toBe(true);
  });

  it('a profile path that is not a regular file (a FIFO, a folder, /dev/zero) is refused at once, never read', () => {
    const fifo = join(dir, 'fifo.yaml');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    for (const ref of ['/dev/zero.yaml', './']) {
      const r = validateSpec(specText.replace('./custom.yaml', ref), specFile);
      expect(r.ok).toBe(false);
      expect(r.diagnostics.map((d) => [d.file, d.code, d.line])).toEqual([[specFile, 'unknown-profile', 3]]);
    }
    // A FIFO is opened non-blocking and refused on its type, named in the error (never read, never a hang).
    const r = validateSpec(specText.replace('./custom.yaml', './fifo.yaml'), specFile);
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([['profile-unreadable', 1]]);
    expect(r.diagnostics[0].message).toContain('FIFO');
  });
});

describe("the vendor's wording comes from the profile (issue 20)", () => {
  const render = (profile: string) => {
    writeFileSync(profileFile, profile);
    const r = renderSpec(specText.replace('site: { id: garage, name: Garage }', 'site: { id: garage, name: Garage }\nchargers: { count: 4, units: [{ name: G-1, rssi: -60 }] }').replace('chargers: { count: 4 }\n', ''), specFile, ['mikrotik', 'unifi'], { withSecrets: false, env: testEnv });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return Object.values(r.files).join('\n');
  };
  const other = profileText
    .replace('vendor: Zaptec', 'vendor: Voltia')
    .replace(/^tools:\n(  .*\n)+/m, 'tools:\n  app: Voltia Installer\n  appSignalView: "site survey <tab>"\n  portal: Voltia Cloud [ops]\n')
    .replace(/Zaptec/g, 'Voltia');

  it("another vendor's app and portal reach the README, the UniFi steps and the RouterOS script, escaped; Zaptec's do not", () => {
    expect(other).toContain('Voltia Cloud');
    const all = render(other);
    expect(all).toContain('in the Voltia Installer (site survey \\<tab\\>)');
    expect(all).toContain('online in the Voltia Cloud \\[ops\\] after installation');
    expect(all).toMatch(/acceptance check in the Voltia Installer, not an AP setting|signal in the Voltia Installer is/);
    expect(all).toContain('dBm or better (Voltia Installer).');
    expect(all).not.toMatch(/Zaptec (app|Portal)/);
  });

  it('without tools: "<vendor> app" and "<vendor> portal"', () => {
    const all = render(other.replace(/^tools:\n(  .*\n)+/m, ''));
    expect(all).toMatch(/signal at every charger is -75 dBm or better in the Voltia app;/i);
    expect(all).toContain('online in the Voltia portal after installation');
    expect(all).not.toMatch(/Zaptec (app|Portal)/);
  });
});

describe('2. the longest valid values stay inside ipset and dnsmasq line buffers', () => {
  // 40-character labels and 64 host names of 253 characters a group: every list is far past 1024 bytes.
  const long = (g: number, i: number) => {
    const l = (c: string, n: number) => `${c}${g}x${i}`.padEnd(n, c);
    return `${l('a', 63)}.${l('b', 63)}.${l('c', 63)}.${l('z', 61)}`;
  };
  const groups = [0, 1, 2].map((g) => `  - id: g${g}\n    name: ${`Group ${g} `.padEnd(40, 'W')}\n    protocol: tcp\n    ports: [${443 + g}]\n    hosts: [${Array.from({ length: 64 }, (_, i) => long(g, i)).join(', ')}]\n    purpose: ${'p'.repeat(300)}\n    requirement: ${'r'.repeat(500)}\n`);
  const text = profileText.replace(/^endpoints:\n[\s\S]*?^ntp:/m, `endpoints:\n${groups.join('')}ntp:`);

  it('validates, and no line of any Linux file reaches 1000 bytes', () => {
    expect(validateWith(text).diagnostics).toEqual([]);
    writeFileSync(profileFile, text);
    const r = renderSpec(specText, specFile, ['iptables', 'nftables'], { env: testEnv });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const linux = Object.entries(r.files).filter(([name]) => /^garage\/(iptables|nftables)\//.test(name));
    expect(linux.length).toBeGreaterThan(8);
    for (const [name, t] of linux) for (const line of t.split('\n')) expect(Buffer.byteLength(line), name).toBeLessThan(1000);
    expect(r.files['garage/iptables/ipset.conf'].length).toBeGreaterThan(3 * 64 * 253);
  });

  it('ipset restore in a namespace creates exactly the three sets and leaves the admin\'s sets alone', () => {
    if (!requireTools(['ip', 'ipset', 'iptables-restore'], true).ok) return;
    writeFileSync(profileFile, text);
    const r = renderSpec(specText, specFile, ['iptables'], { env: testEnv });
    const conf = join(dir, 'ipset.conf');
    writeFileSync(conf, r.files['garage/iptables/ipset.conf']);
    writeFileSync(join(dir, 'rules.v4'), r.files['garage/iptables/rules.v4']);
    const ns = `cwpl${process.pid}`;
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    try {
      const sh = (cmd: string) => spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8' });
      const load = sh(`ipset create admin-blocklist hash:ip && ipset add admin-blocklist 192.0.2.66 && ipset create admin-allow hash:ip && ipset -exist restore < ${conf} && iptables-restore --test ${join(dir, 'rules.v4')}`);
      expect(load.status, load.stderr).toBe(0);
      expect(sh('ipset list -n').stdout.trim().split('\n').sort()).toEqual(['admin-allow', 'admin-blocklist', 'cw-garage-g0', 'cw-garage-g1', 'cw-garage-g2', 'cw-garage-ntp'].sort());
      expect(sh('ipset list admin-blocklist').stdout).toMatch(/Members:\n192\.0\.2\.66\n*$/);
      expect(sh('ipset list admin-allow').stdout).toMatch(/Members:\n*$/);
    } finally {
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

describe('spec values that meet the profile (issue 17 items 4-6, 14)', () => {
  const spec = (extra: string) => specText.replace('profile: ./custom.yaml', 'profile: zaptec-pro') + extra;
  const specCases: { name: string; extra: string; code: string; at: string }[] = [
    { name: '5. an extra endpoint repeating a profile host', extra: 'extraEndpoints:\n  - { name: ocpp, protocol: tcp, ports: [22], hosts: [api.zaptec.com] }\n', code: 'duplicate-host', at: 'api.zaptec.com]' },
    { name: '5. an extra endpoint repeating the NTP host', extra: 'extraEndpoints:\n  - { name: ocpp, protocol: tcp, ports: [22], hosts: [no.pool.ntp.org] }\n', code: 'duplicate-host', at: 'no.pool.ntp.org]' },
    { name: '5. two extra endpoints with one host', extra: 'extraEndpoints:\n  - { name: a, protocol: tcp, ports: [1], hosts: [x.example.com] }\n  - { name: b, protocol: udp, ports: [2], hosts: [x.example.com, y.example.com] }\n', code: 'duplicate-host', at: 'x.example.com, y' },
    { name: '4. an extra endpoint named dhcp', extra: 'extraEndpoints:\n  - { name: dhcp, protocol: tcp, ports: [1], hosts: [x.example.com] }\n', code: 'duplicate-endpoint', at: 'dhcp,' },
    { name: '4. an extra endpoint named like a UniFi address policy', extra: 'extraEndpoints:\n  - { name: mqtt-ip, protocol: tcp, ports: [1], hosts: [x.example.com] }\n', code: 'duplicate-endpoint', at: 'mqtt-ip' },
    { name: '6. an extra host 0x7f.1', extra: 'extraEndpoints:\n  - { name: a, protocol: tcp, ports: [1], hosts: [0x7f.1] }\n', code: 'invalid-host', at: '0x7f.1' },
    { name: '6. an extra host 127.0.0.1', extra: 'extraEndpoints:\n  - { name: a, protocol: tcp, ports: [1], hosts: [127.0.0.1] }\n', code: 'invalid-host', at: '127.0.0.1' },
    { name: '6. an extra host 0.0.0.0', extra: 'extraEndpoints:\n  - { name: a, protocol: tcp, ports: [1], hosts: [0.0.0.0] }\n', code: 'invalid-host', at: '0.0.0.0' },
    { name: '6. an extra host 239.1.1.1', extra: 'extraEndpoints:\n  - { name: a, protocol: tcp, ports: [1], hosts: [239.1.1.1] }\n', code: 'invalid-host', at: '239.1.1.1' },
    { name: '7. allow-fallback with a profile without fallback resolvers', extra: 'policy: { dns: allow-fallback }\n', code: 'no-fallback-resolvers', at: 'allow-fallback' },
  ];
  for (const c of specCases) {
    it(c.name, () => {
      const text = spec(c.extra);
      const prof = c.code === 'no-fallback-resolvers' ? profileText.replace('fallbackResolvers: [8.8.8.8, 1.1.1.1]', 'fallbackResolvers: []') : undefined;
      const r = prof ? validateWith(prof, text.replace('profile: zaptec-pro', 'profile: ./custom.yaml')) : validateSpec(text, specFile);
      const shown = prof ? text.replace('profile: zaptec-pro', 'profile: ./custom.yaml') : text;
      const [line, col] = position(shown, c.at);
      expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.file, d.code, d.line, d.col])).toEqual([[specFile, c.code, line, col]]);
    });
  }

  it('6. an extra host with a newline is refused on one diagnostic line', () => {
    const r = validateSpec(spec('extraEndpoints:\n  - { name: a, protocol: tcp, ports: [1], hosts: ["x.example.com\\ndhcp-script=/tmp/pwn.sh"] }\n'), specFile);
    const d = r.diagnostics.filter((x) => x.severity === 'error');
    expect(d.map((x) => x.code)).toEqual(['invalid-host']);
    expect(d[0].message).not.toMatch(/[\n\r]/);
  });

  it('an extra endpoint at a public address, and one with a host of its own, are fine', () => {
    const r = validateSpec(spec('extraEndpoints:\n  - { name: a, protocol: tcp, ports: [1], hosts: [203.0.113.9, csms.example.com] }\n'), specFile);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  for (const subnet of ['0.0.0.0/0', '0.0.0.0/8', '10.0.0.0/7', '127.0.0.0/24', '224.0.0.0/24', '239.255.0.0/16', '169.254.0.0/24', '240.0.0.0/24', '255.255.255.0/24']) {
    it(`14. subnet ${subnet} is refused at network.subnet`, () => {
      const text = spec('').replace('subnet: 10.9.0.0/24', `subnet: ${subnet}`);
      const r = validateSpec(text, specFile);
      const [line, col] = position(text, subnet);
      expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.line, d.col])).toContainEqual(['subnet-special', line, col]);
    });
  }
  it('14. private and other unicast subnets are still fine', () => {
    for (const subnet of ['10.0.0.0/8', '172.16.0.0/12', '192.168.7.0/24', '100.64.0.0/24', '198.51.100.0/24']) {
      const r = validateSpec(spec('').replace('subnet: 10.9.0.0/24', `subnet: ${subnet}`).replace('count: 4', 'count: 2'), specFile);
      expect(r.diagnostics.filter((d) => d.code === 'subnet-special'), subnet).toEqual([]);
    }
  });
});

describe('issue 17 item 14: uniqueLabels is linear', () => {
  /** The first implementation: every colliding label tries -2, -3, ... from the start. */
  const naive = (labels: string[]) => {
    const taken = new Set<string>();
    return labels.map((label) => {
      let out = label;
      for (let n = 2; taken.has(out); n++) out = `${label.slice(0, 63 - `-${n}`.length).replace(/-+$/, '')}-${n}`;
      taken.add(out);
      return out;
    });
  };
  it('gives the same labels as before, including names that look like suffixes and 63-character labels', () => {
    const long = 'x'.repeat(63);
    const labels = ['p', 'p', 'p-2', 'p', 'p-3', 'q', long, long, long, 'p', ...Array.from({ length: 30 }, () => long), 'p-5', 'p'];
    expect(uniqueLabels(labels)).toEqual(naive(labels));
    expect(new Set(uniqueLabels(labels)).size).toBe(labels.length);
  });
  it('40 000 units with one name take well under a second', () => {
    const t0 = performance.now();
    const out = uniqueLabels(Array.from({ length: 40_000 }, () => 'garage'));
    const ms = performance.now() - t0;
    console.log(`[profile] uniqueLabels of 40000 equal names: ${ms.toFixed(0)} ms`);
    expect(new Set(out).size).toBe(40_000);
    expect(ms).toBeLessThan(1000);
  });
});

describe('defence in depth: values that validation refuses are still inert or reported if they reach a target', () => {
  const zaptec = parse(profileText) as Profile;
  const site = validateSpec(specText.replace('./custom.yaml', 'zaptec-pro'), specFile).site!;

  it('3. UniFi writes a $-host in a DOMAIN filter as a literal ($$), never as a placeholder', () => {
    const hostile: Profile = { ...zaptec, endpoints: [{ ...zaptec.endpoints[0], hosts: ['$env:UNIFI_API_KEY', 'api.zaptec.com'] }] };
    const unifi = targets.get('unifi')!;
    const plan = buildPlan(site, hostile, unifi.capabilities(site), 'unifi');
    const api = JSON.parse(unifi.render(plan, site, { env: testEnv })['integration-api.json']);
    const domains = api.requests.flatMap((r: any) => r.body?.destination?.trafficFilter?.domainFilter?.domains ?? []);
    expect(domains).toContain('$$env:UNIFI_API_KEY');
    expect(domains.filter((d: string) => /^\$[^$]/.test(d))).toEqual([]);
  });

  it('7. channel 14 is 2484 MHz, not 2477', () => {
    const p: Profile = { ...zaptec, wifi: { ...zaptec.wifi, channels: { ...zaptec.wifi.channels, max: 14 } } };
    const s14 = { ...site, wifi: { ...site.wifi!, channel: 14 } };
    expect(buildPlan(s14, p, { resolverFilledSets: true, redirect: true, ntpServer: true }).wifi?.frequencyMHz).toBe(2484);
    expect(buildPlan(site, p, { resolverFilledSets: true, redirect: true, ntpServer: true }).wifi?.frequencyMHz).toBe(2437);
  });

  it('7. an internal error in a target becomes a located diagnostic, not a stack trace, and nothing is written', () => {
    const target = targets.get('mikrotik')!;
    const original = target.render;
    (target as any).render = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    };
    try {
      const r = renderSpec(specText.replace('./custom.yaml', 'zaptec-pro'), specFile, ['mikrotik'], { env: testEnv });
      const d = r.diagnostics.filter((x) => x.severity === 'error');
      expect(d.map((x) => [x.code, x.file, x.line, x.col])).toEqual([['internal-error', specFile, 3, 10]]);
      expect(d[0].message).not.toMatch(/\n\s+at /);
      expect(r.files).toEqual({});
    } finally {
      (target as any).render = original;
    }
  });
});

describe('7. a validation rule that throws on a value is a located error, not a stack trace', () => {
  const boom = function boom(): void {
    throw new RangeError('Invalid array length');
  };
  it('a spec rule', () => {
    rules.push(boom);
    try {
      const r = validateSpec(specText.replace('./custom.yaml', 'zaptec-pro'), specFile);
      expect(r.ok).toBe(false);
      expect(r.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['internal-error', specFile, 1]]);
      expect(r.diagnostics[0].message).toContain('boom');
    } finally {
      rules.pop();
    }
  });
  it('a profile rule, located in the profile file', () => {
    profileRules.push(boom);
    try {
      // A text of its own: results are cached per file and text.
      const r = validateWith(`${profileText}# a throwing rule\n`);
      expect(r.ok).toBe(false);
      expect(r.diagnostics.map((d) => [d.code, d.file])).toEqual([['internal-error', profileFile]]);
    } finally {
      profileRules.pop();
    }
  });
});

describe('the CLI with a bad profile', () => {
  it('prints file:line:col in the profile file, no stack, exits 1 and writes nothing', () => {
    const changed = profileText.replace('host: no.pool.ntp.org', 'host: "no.pool.ntp.org/cw-x\\ndhcp-script=/path/pwn.sh\\n#"');
    writeFileSync(profileFile, changed);
    writeFileSync(specFile, specText);
    const out = join(dir, 'out');
    const r = spawnSync('node', [join(root, 'dist/cli/main.cjs'), 'render', specFile, '-o', out], { encoding: 'utf8', env: { ...process.env, ...testEnv } });
    const [line, col] = position(changed, '"no.pool.ntp.org/cw-x');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${profileFile}:${line}:${col}: error invalid-format: ntp.host `);
    expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
    expect(r.stderr).not.toContain('\ndhcp-script');
    expect(existsSync(out) ? readdirSync(out, { recursive: true }).filter((f) => !String(f).startsWith('.')) : []).toEqual([]);
  });
});
