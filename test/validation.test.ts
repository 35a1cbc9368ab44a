import { describe, expect, it } from 'vitest';
import { validateSpec } from '../src/spec/validate.js';

/**
 * The validation table: each broken spec → the codes, lines and columns expected (not message text).
 * Specs are built from one valid base so each case changes one thing.
 */
const base = `version: 1
site:
  id: test-site
  name: Test garage
profile: zaptec-pro
chargers:
  count: 10
  units:
    - { name: a, mac: "98:3d:ae:00:00:01", ip: 10.9.0.11, rssi: -60 }
network:
  subnet: 10.9.0.0/24
  gateway: 10.9.0.1
  dhcp:
    pool: 10.9.0.100-10.9.0.149
    headroom: 25
    leaseTime: 24h
wifi:
  ssid: Chargers
  passphrase: { env: CHARGER_WIFI_PSK }
  channel: 6
  country: SE
`;

type Expect = [code: string, line: number, col: number];

function codes(text: string, severity: 'error' | 'warning' = 'error'): Expect[] {
  return validateSpec(text, 'spec.yaml')
    .diagnostics.filter((d) => d.severity === severity)
    .map((d) => [d.code, d.line, d.col]);
}

const cases: { name: string; from: string; to: string; expect: Expect[] }[] = [
  { name: 'unknown top-level key', from: 'profile: zaptec-pro', to: 'profile: zaptec-pro\nprofle: x', expect: [['unknown-key', 6, 1]] },
  { name: 'unknown nested key', from: '    headroom: 25', to: '    headroom: 25\n    leasetime: 1h', expect: [['unknown-key', 16, 5]] },
  { name: 'wrong type', from: 'count: 10', to: 'count: ten', expect: [['invalid-type', 7, 10]] },
  { name: 'missing required key', from: 'profile: zaptec-pro\n', to: '', expect: [['missing-key', 1, 1]] },
  { name: 'bad site id', from: 'id: test-site', to: 'id: Test_Site', expect: [['invalid-format', 3, 7]] },
  { name: 'bad enum', from: 'wifi:', to: 'policy:\n  dns: redirct\nwifi:', expect: [['invalid-value', 18, 8]] },
  { name: 'unknown profile', from: 'profile: zaptec-pro', to: 'profile: zaptec-go', expect: [['unknown-profile', 5, 10]] },
  { name: 'subnet with host bits', from: 'subnet: 10.9.0.0/24', to: 'subnet: 10.9.0.5/24', expect: [['subnet-invalid', 11, 11]] },
  { name: 'subnet too small', from: 'subnet: 10.9.0.0/24', to: 'subnet: 10.9.0.0/31', expect: [['lease-outside-subnet', 9, 48], ['subnet-too-small', 11, 11]] },
  { name: 'gateway outside subnet', from: 'gateway: 10.9.0.1', to: 'gateway: 10.8.0.1', expect: [['gateway-outside-subnet', 12, 12]] },
  { name: 'gateway is broadcast', from: 'gateway: 10.9.0.1', to: 'gateway: 10.9.0.255', expect: [['gateway-reserved-address', 12, 12]] },
  { name: 'pool too small', from: 'pool: 10.9.0.100-10.9.0.149', to: 'pool: 10.9.0.100-10.9.0.105', expect: [['pool-too-small', 14, 11]] },
  { name: 'pool outside subnet', from: 'pool: 10.9.0.100-10.9.0.149', to: 'pool: 10.9.0.200-10.9.1.10', expect: [['pool-outside-subnet', 14, 11]] },
  { name: 'pool reversed', from: 'pool: 10.9.0.100-10.9.0.149', to: 'pool: 10.9.0.149-10.9.0.100', expect: [['pool-reversed', 14, 11]] },
  { name: 'pool covers the gateway', from: 'pool: 10.9.0.100-10.9.0.149', to: 'pool: 10.9.0.1-10.9.0.50', expect: [['pool-overlaps-reserved', 14, 11]] },
  { name: 'pool not a range', from: 'pool: 10.9.0.100-10.9.0.149', to: 'pool: lots', expect: [['pool-invalid', 14, 11]] },
  { name: 'auto pool cannot fit', from: 'subnet: 10.9.0.0/24\n  gateway: 10.9.0.1\n  dhcp:\n    pool: 10.9.0.100-10.9.0.149', to: 'subnet: 10.9.0.0/28\n  gateway: 10.9.0.1\n  dhcp:\n    pool: auto', expect: [['pool-no-room', 11, 11]] },
  { name: 'lease outside subnet', from: 'ip: 10.9.0.11', to: 'ip: 10.9.1.11', expect: [['lease-outside-subnet', 9, 48]] },
  { name: 'lease on the gateway', from: 'ip: 10.9.0.11', to: 'ip: 10.9.0.1', expect: [['lease-is-gateway', 9, 48]] },
  { name: 'lease inside the pool', from: 'ip: 10.9.0.11', to: 'ip: 10.9.0.120', expect: [['pool-overlaps-reserved', 14, 11]] },
  {
    name: 'duplicate MAC in other case and duplicate IP',
    from: '    - { name: a, mac: "98:3d:ae:00:00:01", ip: 10.9.0.11, rssi: -60 }',
    to: '    - { name: a, mac: "98:3d:ae:00:00:01", ip: 10.9.0.11, rssi: -60 }\n    - { name: b, mac: "98:3D:AE:00:00:01", ip: 10.9.0.11 }',
    expect: [['duplicate-mac', 10, 23], ['duplicate-ip', 10, 48]],
  },
  { name: 'ip without mac', from: '{ name: a, mac: "98:3d:ae:00:00:01", ip: 10.9.0.11, rssi: -60 }', to: '{ name: a, ip: 10.9.0.11 }', expect: [['lease-needs-mac', 9, 22]] },
  { name: 'weak survey reading', from: 'rssi: -60', to: 'rssi: -80', expect: [['weak-signal', 9, 65]] },
  { name: 'channel 13', from: 'channel: 6', to: 'channel: 13', expect: [['wifi-channel', 20, 12]] },
  { name: '5 GHz channel', from: 'channel: 6', to: 'channel: 36', expect: [['wifi-channel', 20, 12]] },
  { name: 'SSID with a newline', from: 'ssid: Chargers', to: 'ssid: "Char\\ngers"', expect: [['ssid-control-character', 18, 9]] },
  { name: 'SSID with a line separator', from: 'ssid: Chargers', to: 'ssid: "Char\\u2028gers"', expect: [['ssid-control-character', 18, 9]] },
  { name: 'site name with a newline', from: 'name: Test garage', to: 'name: "Test\\ngarage"', expect: [['text-control-character', 4, 9]] },
  { name: 'unit name with a NUL', from: '{ name: a,', to: '{ name: "a\\0b",', expect: [['text-control-character', 9, 15]] },
  { name: 'endpoint description with a tab', from: 'wifi:', to: 'extraEndpoints:\n  - { name: ocpp, description: "a\\tb", protocol: tcp, ports: [443], hosts: [csms.example.com] }\nwifi:', expect: [['text-control-character', 18, 32]] },
  { name: 'SSID over 32 bytes', from: 'ssid: Chargers', to: 'ssid: Laddplatser för hela föreningen åäö', expect: [['ssid-too-long', 18, 9]] },
  { name: 'short literal passphrase', from: 'passphrase: { env: CHARGER_WIFI_PSK }', to: 'passphrase: short', expect: [['passphrase-invalid', 19, 15]] },
  { name: 'passphrase of the wrong shape', from: 'passphrase: { env: CHARGER_WIFI_PSK }', to: 'passphrase: { file: x }', expect: [['invalid-type', 19, 15]] },
  { name: 'lease time too short', from: 'leaseTime: 24h', to: 'leaseTime: 30s', expect: [['lease-time-too-short', 16, 16]] },
  { name: 'YAML syntax error', from: 'count: 10', to: 'count: [10', expect: [['yaml-syntax', 8, 3]] },
  { name: 'alias without an anchor', from: 'profile: zaptec-pro', to: 'profile: *zaptec', expect: [['yaml-syntax', 5, 10]] },
  {
    name: 'alias bomb (more than 100 expansions)',
    from: 'profile: zaptec-pro',
    to: 'profile: zaptec-pro\nx: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    expect: [['yaml-syntax', 7, 8]],
  },
  {
    name: 'several problems at once, sorted by position',
    from: 'count: 10',
    to: 'count: 10\n  colour: red',
    expect: [['unknown-key', 8, 3]],
  },
  { name: 'extra endpoint with a bad host', from: 'wifi:', to: 'extraEndpoints:\n  - { name: ocpp, protocol: tcp, ports: [443], hosts: ["not a host"] }\nwifi:', expect: [['invalid-host', 18, 56]] },
  { name: 'extra endpoint reusing a profile group id', from: 'wifi:', to: 'extraEndpoints:\n  - { name: https, protocol: tcp, ports: [443], hosts: [a.example.com] }\nwifi:', expect: [['duplicate-endpoint', 18, 13]] },
  { name: 'unknown target option', from: 'wifi:', to: 'targets:\n  iptables: { lanIface: br0 }\nwifi:', expect: [['unknown-key', 18, 15]] },
  { name: 'RouterOS 6 with the wifi package', from: 'wifi:', to: 'targets:\n  mikrotik: { routeros: 6, wifi: wifi }\nwifi:', expect: [['mikrotik-wifi-version', 18, 34]] },
  { name: 'Linux uplink is the charger segment', from: 'wifi:', to: 'targets:\n  nftables: { lanInterface: eth1, wanInterface: eth1 }\nwifi:', expect: [['interface-clash', 18, 49]] },
  { name: 'Linux radio is the charger bridge', from: 'wifi:', to: 'targets:\n  iptables: { lanInterface: br0, wifiInterface: br0 }\nwifi:', expect: [['interface-clash', 18, 49]] },
];

describe('validation table', () => {
  it('the base spec is valid with no warnings', () => {
    const result = validateSpec(base, 'spec.yaml');
    expect(result.diagnostics).toEqual([]);
    expect(result.ok).toBe(true);
  });

  for (const c of cases) {
    it(c.name, () => {
      expect(base.includes(c.from), `case source '${c.from}' must be in the base`).toBe(true);
      expect(codes(base.replace(c.from, c.to))).toEqual(c.expect);
    });
  }

  it('reports every problem of a pass at once, sorted by line', () => {
    const text = base.replace('channel: 6', 'channel: 13').replace('rssi: -60', 'rssi: -90').replace('pool: 10.9.0.100-10.9.0.149', 'pool: 10.9.0.100-10.9.0.101');
    expect(codes(text).map((c) => c[0])).toEqual(['weak-signal', 'pool-too-small', 'wifi-channel']);
  });

  it('suggests the key that was meant', () => {
    const d = validateSpec(base.replace('    headroom: 25', '    headrom: 25'), 'spec.yaml').diagnostics[0];
    expect(d.message).toContain("did you mean 'headroom'");
  });

  it('warns about a literal passphrase without echoing it', () => {
    const text = base.replace('passphrase: { env: CHARGER_WIFI_PSK }', 'passphrase: "s3cret-Passw0rd"');
    const result = validateSpec(text, 'spec.yaml');
    expect(result.ok).toBe(true);
    expect(result.diagnostics.map((d) => d.code)).toEqual(['passphrase-literal']);
    expect(JSON.stringify(result.diagnostics)).not.toContain('s3cret');
    const bad = validateSpec(text.replace('s3cret-Passw0rd', 'tiny'), 'spec.yaml');
    expect(JSON.stringify(bad.diagnostics)).not.toContain('tiny');
  });

  it('warns that allow-fallback DNS can bypass the allow-sets', () => {
    expect(codes(base.replace('wifi:', 'policy:\n  dns: allow-fallback\nwifi:'), 'warning')).toEqual([['dns-bypass', 18, 8]]);
  });

  it('accepts a profile given as a path', () => {
    const result = validateSpec(base.replace('profile: zaptec-pro', 'profile: ../profiles/zaptec-pro.yaml'), 'examples/spec.yaml');
    expect(result.ok).toBe(true);
    expect(result.profile?.id).toBe('zaptec-pro');
  });
});
