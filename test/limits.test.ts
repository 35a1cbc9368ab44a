import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderText, requireTools } from './helpers.js';
import { targetIds } from '../src/targets/registry.js';
import { parseScript } from '../src/targets/mikrotik/script.js';
import { parseXml } from '../src/targets/pfsense/xml.js';

/**
 * Large and odd inputs get fast, clear answers (codes asserted, times printed, no tight timing
 * assertions), and device limits the validator does not know about are handled by each target.
 */
const ids = targetIds();
const spec = (o: { count?: number; subnet?: string; units?: string[]; ports?: number[]; id?: string } = {}) => `version: 1
site: { id: ${o.id ?? 'limits'}, name: Limits }
profile: zaptec-pro
chargers:
  count: ${o.count ?? 4}
  units:${o.units === undefined ? '\n    - { name: a, mac: "98:3d:ae:00:00:01", ip: 10.77.0.10 }' : o.units.length ? `\n${o.units.join('\n')}` : ' []'}
network:
  subnet: ${o.subnet ?? '10.77.0.0/24'}
  vlan: 77
wifi:
  ssid: Chargers
  passphrase: { env: CHARGER_WIFI_PSK }
  channel: 6
  country: SE
extraEndpoints:
  - { name: ocpp, description: backend, protocol: tcp, ports: [${(o.ports ?? [443]).join(', ')}], hosts: [csms.example.com, 192.0.2.10] }
`;

const times: string[] = [];
function timed<T>(label: string, f: () => T): T {
  const t0 = performance.now();
  const out = f();
  const ms = performance.now() - t0;
  times.push(`${label}: ${ms.toFixed(0)} ms`);
  return out;
}
const errorCodes = (r: ReturnType<typeof renderText>) => r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path]);

afterAll(() => console.log(`[limits] ${times.join('; ')}`));

describe('large and odd inputs: fast, clear answers', () => {
  it('10 000 chargers on a /16: every target renders, the pool holds them with headroom', () => {
    const r = timed('10000 chargers on a /16, all targets', () => renderText(spec({ count: 10000, subnet: '10.50.0.0/16', units: [] }), ids));
    expect(errorCodes(r)).toEqual([]);
    for (const id of ids) expect(Object.keys(r.files).some((f) => f.startsWith(`limits/${id}/`)), id).toBe(true);
    const plan = r.plans.iptables;
    expect(plan.dhcp.size).toBeGreaterThanOrEqual(12500);
    expect(r.files['limits/iptables/dnsmasq.conf']).toMatch(/^dhcp-range=set:cw-limits,10\.50\.\d+\.\d+,10\.50\.255\.254,255\.255\.0\.0,24h$/m);
  });

  it('10 000 listed units with static leases on a /16: renders, one lease per unit (time printed; YAML parsing dominates)', () => {
    const units = Array.from({ length: 10000 }, (_, i) => {
      const n = i + 10;
      const mac = `98:3d:ae:00:${((i >> 8) & 255).toString(16).padStart(2, '0')}:${(i & 255).toString(16).padStart(2, '0')}`;
      return `    - { name: "Space ${i}", mac: "${mac}", ip: 10.50.${n >> 8}.${n & 255} }`;
    });
    const r = timed('10000 listed units, all targets', () => renderText(spec({ count: 10000, subnet: '10.50.0.0/16', units }), ids));
    expect(errorCodes(r)).toEqual([]);
    expect(r.files['limits/iptables/dnsmasq.conf'].match(/^dhcp-host=/gm)).toHaveLength(10000);
    expect(r.files['limits/mikrotik/chargewall.rsc'].match(/^\/ip dhcp-server lease add /gm)).toHaveLength(10000);
    expect(r.files['limits/pfsense/chargewall.xml'].match(/<staticmap>/g)).toHaveLength(10000);
  });

  it('an empty units list renders with no static leases', () => {
    const r = timed('empty units', () => renderText(spec({ units: [] }), ids));
    expect(errorCodes(r)).toEqual([]);
    expect(r.files['limits/iptables/dnsmasq.conf']).not.toMatch(/^dhcp-host=/m);
    expect(r.files['limits/mikrotik/chargewall.rsc']).not.toMatch(/^\/ip dhcp-server lease add /m);
    expect(r.files['limits/pfsense/chargewall.xml']).not.toContain('<staticmap>');
  });

  it('a /30 cannot hold the pool: pool-no-room at network.subnet, nothing rendered', () => {
    const r = timed('/30', () => renderText(spec({ subnet: '10.77.0.0/30', units: [] }), ids));
    expect(errorCodes(r)).toEqual([['pool-no-room', 'network.subnet']]);
    expect(r.diagnostics.find((d) => d.code === 'pool-no-room')!.line).toBe(8);
    expect(Object.keys(r.files)).toEqual([]);
  });

  it('duplicate MACs in different case: duplicate-mac at the second unit', () => {
    const units = ['    - { name: a, mac: "98:3D:AE:00:00:01", ip: 10.77.0.10 }', '    - { name: b, mac: "98-3d-ae-00-00-01", ip: 10.77.0.11 }'];
    const r = timed('duplicate MACs', () => renderText(spec({ units }), ids));
    expect(errorCodes(r)).toEqual([['duplicate-mac', 'chargers.units.1.mac']]);
    expect(r.diagnostics[0]).toMatchObject({ line: 8, file: 'test.yaml' });
  });
});

describe('device limits the schema does not know', () => {
  let dir = '';
  let ns = '';
  let real = false;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cw-limits-'));
    real = requireTools(['ip', 'ipset', 'iptables-restore']).ok;
    if (real) {
      ns = `cwl${process.pid}`;
      expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
    }
  });
  afterAll(() => {
    if (ns) spawnSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('40 ports on one endpoint: iptables splits multiport at 15 (its limit), comments stay under 255, every port opens once', () => {
    const ports = Array.from({ length: 40 }, (_, i) => 40000 + i * 7);
    const r = renderText(spec({ ports, id: 'a-very-long-site-id-here' }), ids);
    expect(errorCodes(r)).toEqual([]);
    const rules = r.files['a-very-long-site-id-here/iptables/rules.v4'];
    const ocpp = rules.split('\n').filter((l) => l.includes('--match-set') && l.includes('ocpp'));
    expect(ocpp).toHaveLength(3);
    const opened = ocpp.flatMap((l) => /--dports ([\d,]+)/.exec(l)![1].split(',').map(Number));
    expect(opened).toEqual(ports);
    for (const c of rules.matchAll(/--comment "([^"]*)"/g)) expect(c[1].length).toBeLessThanOrEqual(255);
    // The other targets take the whole list (RouterOS port lists, one pfSense rule per port).
    parseScript(r.files['a-very-long-site-id-here/mikrotik/chargewall.rsc']);
    expect(parseXml(r.files['a-very-long-site-id-here/pfsense/chargewall.xml']).name).toBe('pfsense');
    if (!real) return;
    writeFileSync(join(dir, 'ipset.conf'), r.files['a-very-long-site-id-here/iptables/ipset.conf']);
    writeFileSync(join(dir, 'rules.v4'), rules);
    const t = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `ipset -exist restore < ${dir}/ipset.conf && iptables-restore --test ${dir}/rules.v4`], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
  });

  it('60 long host names on one endpoint: dnsmasq and ipset lines stay within their line limits, every host once', () => {
    const hosts = Array.from({ length: 60 }, (_, i) => `backend-number-${i}-of-the-charge-point-operator.csms.example.com`);
    const r = renderText(spec({ units: [] }).replace('hosts: [csms.example.com, 192.0.2.10]', `hosts: [${hosts.join(', ')}, 192.0.2.10]`), ids);
    expect(errorCodes(r)).toEqual([]);
    for (const [name, text] of Object.entries(r.files).filter(([f]) => f.includes('/iptables/'))) {
      expect(Math.max(...text.split('\n').map((l) => l.length)), name).toBeLessThanOrEqual(1024);
    }
    const dnsmasq = r.files['limits/iptables/dnsmasq.conf'];
    const lines = [...dnsmasq.matchAll(/^ipset=\/(.*)\/(cw-limits-ocpp)$/gm)];
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.flatMap((m) => m[1].split('/'))).toEqual(hosts);
    if (!real) return;
    for (const f of ['ipset.conf', 'rules.v4', 'dnsmasq.conf']) writeFileSync(join(dir, f), r.files[`limits/iptables/${f}`]);
    const t = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `ipset -exist restore < ${dir}/ipset.conf && iptables-restore --test ${dir}/rules.v4`], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
    const d = spawnSync('dnsmasq', ['--test', `--conf-file=${join(dir, 'dnsmasq.conf')}`], { encoding: 'utf8' });
    expect(d.status, d.stderr).toBe(0);
  });

  it('unit names that fold to the same host label get unique DHCP host names (dnsmasq, pfSense)', () => {
    const units = [
      '    - { name: "P-01", mac: "98:3d:ae:00:00:01", ip: 10.77.0.10 }',
      '    - { name: "P 01", mac: "98:3d:ae:00:00:02", ip: 10.77.0.11 }',
      '    - { name: "p.01", mac: "98:3d:ae:00:00:03", ip: 10.77.0.12 }',
      '    - { name: "åäö", mac: "98:3d:ae:00:00:04", ip: 10.77.0.13 }',
      '    - { name: "🚗", mac: "98:3d:ae:00:00:05", ip: 10.77.0.14 }',
    ];
    const r = renderText(spec({ units }), ['iptables', 'pfsense']);
    expect(errorCodes(r)).toEqual([]);
    const dnsmasq = [...r.files['limits/iptables/dnsmasq.conf'].matchAll(/^dhcp-host=[^,]+,[^,]+,(.*)$/gm)].map((m) => m[1]);
    expect(dnsmasq).toEqual(['p-01', 'p-01-2', 'p-01-3', 'aao', 'charger-5']);
    const pf = [...r.files['limits/pfsense/chargewall.xml'].matchAll(/<hostname>([^<]*)<\/hostname>/g)].map((m) => m[1]);
    expect(pf).toEqual(dnsmasq);
    if (!requireTools(['dnsmasq'], false).ok) return;
    writeFileSync(join(dir, 'dnsmasq.conf'), r.files['limits/iptables/dnsmasq.conf']);
    const t = spawnSync('dnsmasq', ['--test', `--conf-file=${join(dir, 'dnsmasq.conf')}`], { encoding: 'utf8' });
    expect(t.status, t.stderr).toBe(0);
  });

  it('pfSense: more filter rules than its tracker block holds fails closed, naming the target', () => {
    const ports = Array.from({ length: 120 }, (_, i) => 40000 + i);
    const r = renderText(spec({ ports }), ['pfsense']);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(['target-unsupported']);
    expect(r.diagnostics[0].message).toMatch(/^pfsense: /);
  });
});
