import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import IPCIDR from 'ip-cidr';
import { createHash } from 'node:crypto';
import { sha256Hex } from '../src/util/sha256.js';
import { buildPlan, UnsupportedError } from '../src/plan/build.js';
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
