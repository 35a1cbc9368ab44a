import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import IPCIDR from 'ip-cidr';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../src/util/sha256.js';
import { buildPlan, UnsupportedError } from '../src/plan/build.js';
import { RenderError, UnsupportedError as TargetUnsupportedError } from '../src/targets/types.js';
import { renderSpec } from '../src/pipeline.js';
import { objectName } from '../src/plan/names.js';
import { autoPool } from '../src/plan/pool.js';
import { validateSpec } from '../src/spec/validate.js';
import { parseSubnet, ipToInt, intToIp, isIPv4 } from '../src/util/ipv4.js';

const spec = (extra = '', count = 10, subnet = '10.9.0.0/24') => `version: 1
site: { id: plan-test }
profile: zaptec-pro
chargers:
  count: ${count}
network:
  subnet: ${subnet}
${extra}`;

function plan(text: string, caps = { resolverFilledSets: true, redirect: true, ntpServer: true }) {
  const v = validateSpec(text, 't.yaml');
  if (!v.ok) throw new Error(JSON.stringify(v.diagnostics));
  return buildPlan(v.site!, v.profile!, caps, 'test');
}

describe('plan', () => {
  it('opens each port only to its own endpoint group', () => {
    const p = plan(spec());
    const https = p.rules.find((r) => r.id === 'https')!;
    const mqtt = p.rules.find((r) => r.id === 'mqtt')!;
    expect(https).toMatchObject({ protocols: ['tcp'], ports: [443], to: { kind: 'group', group: 'https' } });
    expect(mqtt).toMatchObject({ protocols: ['tcp'], ports: [8883], to: { kind: 'group', group: 'mqtt' } });
    const groups = Object.fromEntries(p.endpoints.map((e) => [e.id, e.hosts]));
    expect(groups.https).toEqual(['zapcloud-api.azurewebsites.net', 'devices.zaptec.com', 'api.zaptec.com']);
    expect(groups.mqtt).toEqual(['zapcloud.azure-devices.net']);
    expect(groups.https).not.toContain('zapcloud.azure-devices.net');
  });

  it('resolves ntp: auto from what the target can do', () => {
    expect(plan(spec()).ntp.strategy).toBe('fqdn');
    expect(plan(spec(), { resolverFilledSets: false, redirect: true, ntpServer: true }).ntp.strategy).toBe('redirect');
    expect(plan(spec(), { resolverFilledSets: false, redirect: false, ntpServer: false }).ntp.strategy).toBe('any');
  });

  it('fqdn NTP adds an NTP set; redirect adds a NAT redirect, a router rule and DHCP option 42', () => {
    const fqdn = plan(spec());
    expect(fqdn.endpoints.map((e) => e.id)).toContain('ntp');
    expect(fqdn.dhcp.ntpServers).toEqual([]);
    const redirect = plan(spec('policy: { ntp: redirect }'));
    expect(redirect.endpoints.map((e) => e.id)).not.toContain('ntp');
    expect(redirect.redirects.map((r) => r.id)).toEqual(['dns', 'ntp']);
    expect(redirect.routerRules.map((r) => r.id)).toEqual(['dhcp', 'dns', 'ntp']);
    expect(redirect.dhcp.ntpServers).toEqual(['10.9.0.1']);
  });

  it('fails closed when a target cannot answer NTP but the spec asks for redirect', () => {
    expect(() => plan(spec('policy: { ntp: redirect }'), { resolverFilledSets: true, redirect: false, ntpServer: false })).toThrow(UnsupportedError);
    try {
      plan(spec('policy: { ntp: redirect }'), { resolverFilledSets: true, redirect: false, ntpServer: false });
    } catch (e) {
      expect((e as UnsupportedError).path).toEqual(['policy', 'ntp']);
    }
  });

  const noNames = (portOnly: boolean) => ({
    resolverFilledSets: false,
    redirect: false,
    ntpServer: false,
    noHostNames: { why: 'this router cannot match host names', setting: ['targets', 'x', 'fqdnFallback'], portOnly, fix: 'upgrade it', cause: ['targets', 'x', 'version'] },
  });
  const extras = `extraEndpoints:
  - { name: ocpp, protocol: tcp, ports: [443], hosts: [csms.example.com], description: OCPP }
  - { name: lit, protocol: tcp, ports: [9000], hosts: [192.0.2.10], description: by address }`;

  it('a target without host-name matching: every host-name group refused in one error, naming the groups and the setting', () => {
    let err: unknown;
    try {
      plan(spec(extras), noNames(false));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnsupportedError);
    expect((err as UnsupportedError).path).toEqual(['targets', 'x', 'version']);
    const message = (err as Error).message;
    expect(message).toMatch(/host-name destinations \(https, mqtt, ocpp\)/);
    expect(message).toContain('targets.x.fqdnFallback: port-only');
    expect(message).toContain('TCP 443, TCP 8883 then open to every address');
    // A group of address literals is matchable: it is not among the refused.
    expect(message).not.toMatch(/\blit\b/);
  });

  it('port-only accepted: the plan widens each host-name rule to any address, says from what, and warns', () => {
    const p = plan(spec(extras), noNames(true));
    const to = Object.fromEntries(p.rules.map((r) => [r.id, r.to]));
    expect(to.https).toEqual({ kind: 'any', widenedFrom: 'https' });
    expect(to.mqtt).toEqual({ kind: 'any', widenedFrom: 'mqtt' });
    expect(to.ocpp).toEqual({ kind: 'any', widenedFrom: 'ocpp' });
    expect(to.lit).toEqual({ kind: 'group', group: 'lit' });
    const widened = p.warnings.filter((w) => w.code === 'host-names-widened');
    expect(widened.map((w) => w.message)).toEqual([
      'HTTPS TCP 443 is open to every address, not only zapcloud-api.azurewebsites.net, devices.zaptec.com, api.zaptec.com (this router cannot match host names; targets.x.fqdnFallback: port-only)',
      'MQTT over TLS TCP 8883 is open to every address, not only zapcloud.azure-devices.net (this router cannot match host names; targets.x.fqdnFallback: port-only)',
      'ocpp TCP 443 is open to every address, not only csms.example.com (this router cannot match host names; targets.x.fqdnFallback: port-only)',
    ]);
    // A target that matches host names is never widened.
    expect(plan(spec(extras)).rules.every((r) => r.to.kind !== 'any' || r.to.widenedFrom === undefined)).toBe(true);
  });

  it('every rule says its kind, service, short name and requirement: nothing parses labels', () => {
    const p = plan(spec('policy: { ntp: redirect, dns: redirect }\n' + extras));
    const facts = (rs: { id: string; kind: string; service: string; name: string; requirement?: string }[]) => rs.map((r) => [r.id, r.kind, r.service, r.name, r.requirement]);
    const v = validateSpec(spec(), 't.yaml');
    const profile = v.profile!;
    expect(facts(p.redirects)).toEqual([
      ['dns', 'redirect', 'dns', 'DNS', profile.dns.requirement],
      ['ntp', 'redirect', 'ntp', 'NTP', profile.ntp.requirement],
    ]);
    expect(facts(p.routerRules)).toEqual([
      ['dhcp', 'router', 'dhcp', 'DHCP', profile.dhcp!.requirement],
      ['dns', 'router', 'dns', 'DNS', profile.dns.requirement],
      ['ntp', 'router', 'ntp', 'NTP', profile.ntp.requirement],
    ]);
    expect(facts(p.rules)).toEqual([
      ['https', 'forward', 'endpoint', 'HTTPS', profile.endpoints[0].requirement],
      ['mqtt', 'forward', 'endpoint', 'MQTT over TLS', profile.endpoints[1].requirement],
      ['ocpp', 'forward', 'endpoint', 'ocpp', 'extraEndpoints in the site spec'],
      ['lit', 'forward', 'endpoint', 'lit', 'extraEndpoints in the site spec'],
    ]);
    const fqdn = plan(spec('policy: { ntp: fqdn, dns: allow-fallback }'));
    expect(facts(fqdn.rules.filter((r) => r.service !== 'endpoint'))).toEqual([
      ['ntp', 'forward', 'ntp', 'NTP', profile.ntp.requirement],
      ['dns-fallback', 'forward', 'dns', 'DNS to fallback resolvers', profile.dns.requirement],
    ]);
    const any = plan(spec('policy: { ntp: any }'));
    expect(facts(any.rules.filter((r) => r.service === 'ntp'))).toEqual([['ntp', 'forward', 'ntp', 'NTP', profile.ntp.requirement]]);
  });

  it('falls back to router-only DNS with a warning when the target cannot redirect', () => {
    const p = plan(spec(), { resolverFilledSets: true, redirect: false, ntpServer: false });
    expect(p.dns.strategy).toBe('router-only');
    expect(p.redirects).toEqual([]);
    expect(p.warnings.map((w) => w.code)).toEqual(['dns-redirect-unavailable']);
  });

  it('allow-fallback allows DNS to exactly the profile fallback resolvers', () => {
    const p = plan(spec('policy: { dns: allow-fallback }'));
    expect(p.rules.find((r) => r.id === 'dns-fallback')).toMatchObject({ protocols: ['udp', 'tcp'], ports: [53], to: { kind: 'addresses', addresses: ['8.8.8.8', '1.1.1.1'] } });
    expect(p.redirects).toEqual([]);
  });

  it('sizes the auto pool as count + headroom, at the top of the subnet', () => {
    const p = plan(spec('', 24));
    expect(p.dhcp).toMatchObject({ first: '10.9.0.225', last: '10.9.0.254', size: 30, needed: 30 });
  });

  it('places the auto pool around reserved addresses', () => {
    const s = parseSubnet('10.9.0.0/28').subnet!;
    const reserved = new Set([ipToInt('10.9.0.1'), ipToInt('10.9.0.12')]);
    const pool = autoPool(s, reserved, 5)!;
    expect([intToIp(pool.first), intToIp(pool.last)]).toEqual(['10.9.0.7', '10.9.0.11']);
    expect(autoPool(s, reserved, 11)).toBeUndefined();
  });

  it('computes network, broadcast and netmask as ip-cidr does, and refuses what it refuses', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), fc.integer({ min: 0, max: 32 }), (o, prefix) => {
        const text = `${o.join('.')}/${prefix}`;
        const parsed = parseSubnet(text);
        const cidr = new IPCIDR(text);
        const network = ipToInt(cidr.start() as string);
        const broadcast = ipToInt(cidr.end() as string);
        if (ipToInt(o.join('.')) !== network) {
          expect(parsed.error).toBe('has host bits set');
          expect(parsed.aligned).toBe(`${intToIp(network)}/${prefix}`);
        } else {
          expect(parsed.subnet).toMatchObject({ cidr: text, network, broadcast, prefix, size: broadcast - network + 1 });
          expect(ipToInt(parsed.subnet!.netmask)).toBe(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
        }
      }),
      { numRuns: 2000, seed: 20261123 },
    );
    for (const bad of ['10.0.0.0/33', '10.0.0/24', '256.0.0.0/8', '10.0.0.0', '01.0.0.0/8']) expect(parseSubnet(bad).error).toMatch(/not an IPv4 network/);
  });

  it('reads dotted quads like the plain definition: four octets 0-255, no leading zeros', () => {
    const plain = (t: string) => /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(t) && t.split('.').every((o) => Number(o) <= 255 && String(Number(o)) === o);
    const text = fc.stringMatching(/^[0-9.a ]{0,16}$/);
    const quad = fc.tuple(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 255 })).map((o) => o.join('.'));
    fc.assert(
      fc.property(fc.oneof(text, quad), (t) => {
        expect(isIPv4(t)).toBe(plain(t));
        if (plain(t)) expect(ipToInt(t)).toBe(t.split('.').reduce((acc, o) => acc * 256 + Number(o), 0));
      }),
      { numRuns: 5000, seed: 20261123 },
    );
    for (const t of ['0.0.0.0', '255.255.255.255', '10.0.0.01', '1.2.3', '1.2.3.4.5', '1..2.3', '1.2.3.256', ' 1.2.3.4']) expect(isIPv4(t)).toBe(plain(t));
  });

  it('hashes UTF-8 text to SHA-256 hex (ids and spec hashes in every output depend on it)', () => {
    // FIPS 180-2 test vectors, a non-ASCII text, and a lone surrogate (encoded as U+FFFD, as Buffer does).
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(sha256Hex('ÅÄÖ')).toBe(createHash('sha256').update(Buffer.from([0xc3, 0x85, 0xc3, 0x84, 0xc3, 0x96])).digest('hex'));
    expect(sha256Hex('\ud800')).toBe(createHash('sha256').update(Buffer.from([0xef, 0xbf, 0xbd])).digest('hex'));
  });

  it('handles 10 000 chargers on a /16', () => {
    const t0 = performance.now();
    const p = plan(spec('', 10000, '10.50.0.0/16'));
    expect(p.dhcp.size).toBe(12500);
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('gives the same hash for the same spec and another for a changed one', () => {
    expect(plan(spec()).specHash).toBe(plan(spec()).specHash);
    expect(plan(spec()).specHash).not.toBe(plan(spec('', 11)).specHash);
  });
});

describe('objectName', () => {
  it('keeps short names and shortens long ones deterministically within the limit', () => {
    expect(objectName('cw', 'site', 'https', 31)).toBe('cw-site-https');
    const long = objectName('cw', 'a-very-long-site-id-here', 'https', 28);
    expect(long.length).toBeLessThanOrEqual(28);
    expect(long).toBe(objectName('cw', 'a-very-long-site-id-here', 'https', 28));
    expect(long).not.toBe(objectName('cw', 'a-very-long-site-id-herf', 'https', 28));
  });
});

describe('target errors carry their spec path (issue 20)', () => {
  const wifiSpec = `${spec('', 4, '10.9.0.0/24')}  vlan: 9
wifi: { ssid: Chargers, passphrase: { env: CW_TEST_PSK_UNSET }, channel: 6, country: SE }
targets:
  iptables: { lanInterface: br-cw, wanInterface: eth0 }
  unifi: { apiVersion: "10" }
`;

  it('a missing passphrase variable points at wifi.passphrase, whatever the target, from the error itself', () => {
    for (const target of ['iptables', 'unifi']) {
      const r = renderSpec(wifiSpec, 't.yaml', [target], { withSecrets: true, env: {} });
      const d = r.diagnostics.find((x) => x.code === 'passphrase-env-missing')!;
      expect(d, target).toBeDefined();
      expect([d.path, d.line]).toEqual(['wifi.passphrase', wifiSpec.split('\n').findIndex((l) => l.startsWith('wifi:')) + 1]);
      expect(Object.keys(r.files)).toEqual([]);
    }
  });

  it("the plan's refusal points at the setting its capability names; UnsupportedError is one class wherever it is imported from", () => {
    expect(UnsupportedError).toBe(TargetUnsupportedError);
    const r = renderSpec(wifiSpec.replace('apiVersion: "10"', 'apiVersion: "9.5"'), 't.yaml', ['unifi'], { withSecrets: false, env: {} });
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path])).toEqual([['target-unsupported', 'targets.unifi.apiVersion']]);
    expect(new RenderError('x', 'c', ['a', 'b']).path).toEqual(['a', 'b']);
    expect(new RenderError('x').path).toBeUndefined();
  });
});
