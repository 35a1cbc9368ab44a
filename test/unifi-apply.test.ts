import { createServer, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderText, root } from './helpers.js';
import { formatErrors, loadUnifiApi } from './unifi-openapi.js';
import { BASE, FakeController, KEY, NET_ONLY_KEY, SITE_PATH, ZONE, type Probe } from './unifi-controller.js';
// @ts-expect-error plain ES module without types
import { apply, mergeOrdering, sameAs } from '../scripts/unifi-apply.mjs';

/**
 * scripts/unifi-apply.mjs against the test controller of test/unifi-controller.ts (127.0.0.1 only,
 * never a real controller). The controller models the behaviour of real 10.x controllers that
 * other API clients recorded (each cited there); these tests check that the script and the file
 * together never leave the charger SSID on the air on a network that reaches more than the allow-list.
 */
const script = join(root, 'scripts', 'unifi-apply.mjs');
const ENV = { UNIFI_API_KEY: KEY, CHARGER_WIFI_PSK: 'a secret passphrase' };
const TAG = 'Laddare garage';
const api = loadUnifiApi();
const fake = new FakeController();
let files = 0;
const written: string[] = [];

beforeAll(() => fake.listen());
beforeEach(() => {
  fake.reset();
  fake.seedTag(TAG);
});
afterAll(async () => {
  for (const f of written) rmSync(f, { force: true });
  await fake.close();
});

function run(file: string, env: Record<string, string>, extra: string[] = [], url = fake.url) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [script, file, '--url', url, ...extra], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** In-process apply (the property tests run it dozens of times). */
async function applyIn(doc: any, env: Record<string, string> = ENV) {
  const lines: string[] = [];
  fake.seen = [];
  fake.writes = 0;
  try {
    await apply(structuredClone(doc), { url: fake.url, insecure: false, dryRun: false, allowHttp: false, timeoutMs: 5000 }, env, (l: string) => lines.push(l));
    return { ok: true, out: lines.join('\n'), error: '' };
  } catch (e: any) {
    return { ok: false, out: lines.join('\n'), error: String(e.message) };
  }
}

/** The housing-association example, changed, rendered for unifi and written to a temp file. */
function renderToFile(change: (s: any) => void = () => {}): { file: string; doc: any } {
  const s = parse(readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8'));
  s.targets.unifi.apDeviceTags = [TAG];
  change(s);
  const r = renderText(JSON.stringify(s), ['unifi']);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => d.message).join('\n'));
  const text = r.files[`${s.site.id}/unifi/integration-api.json`];
  const file = join(process.env.TMPDIR ?? '/tmp', `chargewall-unifi-${process.pid}-${files++}.json`);
  writeFileSync(file, text);
  written.push(file);
  return { file, doc: JSON.parse(text) };
}

const writesIn = (list = fake.seen) => list.filter((s) => s.method !== 'GET');
const pathOf = (s: { url: string }) => new URL(s.url, 'http://x').pathname;
const chargerNet = () => fake.named('networks', 'cw-brf-solgarden-chargers')[0];
const chargerZone = () => fake.named('firewall/zones', 'cw-brf-solgarden')[0];
const policyId = (suffix: string) => fake.named('firewall/policies', `cw-brf-solgarden-${suffix}`)[0]?.id;

/** Traffic the allow-list does not cover: each must be blocked whenever chargers can be on the network. */
const OUTSIDE: [('External' | 'Gateway'), Probe][] = [
  ['External', { proto: 'tcp', port: 80, host: 'example.net' }],
  ['External', { proto: 'tcp', port: 443, host: 'example.net' }],
  ['External', { proto: 'tcp', port: 8883, host: 'api.zaptec.com' }], // an allowed host, on another group's port
  ['External', { proto: 'udp', port: 53, host: '8.8.8.8' }],
  ['Gateway', { proto: 'tcp', port: 22, host: '10.40.0.1' }],
  ['Gateway', { proto: 'tcp', port: 443, host: '10.40.0.1' }],
];
const INSIDE: [('External' | 'Gateway'), Probe][] = [
  ['External', { proto: 'tcp', port: 443, host: 'api.zaptec.com' }],
  ['External', { proto: 'tcp', port: 8883, host: 'zapcloud.azure-devices.net' }],
  ['External', { proto: 'udp', port: 123, host: 'no.pool.ntp.org' }],
  ['Gateway', { proto: 'udp', port: 53, host: '10.40.0.1' }],
  ['Gateway', { proto: 'udp', port: 67, host: '10.40.0.1' }],
];

/**
 * The fail-closed property, on the controller's state: when the charger SSID is enabled (or the
 * charger network exists at all), nothing outside the allow-list is allowed from it.
 */
function leaks(): string[] {
  const net = chargerNet();
  if (!net) return [];
  const ssidOn = fake.wifi.some((w) => w.enabled && w.network?.networkId === net.id);
  const out: string[] = [];
  for (const [to, p] of OUTSIDE) {
    if (fake.verdict(net.id, to, p) === 'ALLOW') out.push(`${ssidOn ? 'SSID ON' : 'network only'}: ${to} ${p.proto}/${p.port} ${p.host}`);
  }
  return out;
}

describe('the test controller behaves as the cited controllers do (so the tests below can fail)', () => {
  const send = (method: string, path: string, body?: unknown, key = KEY) => fake.answer({ method, url: `${SITE_PATH}/${path}`, key, body });

  it('lower-case protocol names, networks without zoneId, partial orderings and derived ids are refused', () => {
    const { doc } = renderToFile();
    const body = (id: string) => structuredClone(doc.requests.find((r: any) => r.id === id).body);
    const zone = send('POST', 'firewall/zones', { name: 'z', networkIds: [] })[1] as any;
    const fix = (b: any, ids: Record<string, string>) => JSON.parse(JSON.stringify(b).replace(/"\$(ref|lookup):([^"]+)"/g, (_, k, v) => JSON.stringify(ids[v])));
    const ids = { zone: zone.id, 'zone:External': ZONE.External, 'zone:Gateway': ZONE.Gateway } as Record<string, string>;
    const net = body('network');
    delete net.zoneId;
    expect(send('POST', 'networks', fix(net, ids))[0]).toBe(400); // go-unifi#195
    const created = send('POST', 'networks', fix(body('network'), ids));
    expect(created[0]).toBe(201);
    ids.network = (created[1] as any).id;
    const mqtt = fix(body('allow-mqtt'), ids);
    expect(mqtt.ipProtocolScope.protocolFilter.protocol.name).toBe('TCP');
    const lower = structuredClone(mqtt);
    lower.ipProtocolScope.protocolFilter.protocol.name = 'tcp';
    const refused = send('POST', 'firewall/policies', lower);
    expect(refused).toEqual([400, expect.objectContaining({ code: 'api.request.unknown-type-id' })]);
    const a = send('POST', 'firewall/policies', mqtt)[1] as any;
    const b = send('POST', 'firewall/policies', fix(body('block-external'), ids))[1] as any;
    // The allow got a derived (Return) policy in the reverse pair; it is never in an ordering list.
    const derived = fake.policies.find((p) => p.name === `${mqtt.name} (Return)`)!;
    expect(derived.metadata.origin).toBe('DERIVED');
    const q = `firewall/policies/ordering?sourceFirewallZoneId=${zone.id}&destinationFirewallZoneId=${ZONE.External}`;
    expect((send('GET', q)[1] as any).orderedFirewallPolicyIds.beforeSystemDefined).toEqual([a.id, b.id]); // creation order
    const order = (before: string[]) => ({ orderedFirewallPolicyIds: { beforeSystemDefined: before, afterSystemDefined: [] } });
    expect(send('PUT', q, order([a.id]))).toEqual([400, expect.objectContaining({ code: 'api.firewall.policy.ordering.not-all-firewall-policies-specified' })]);
    expect(send('PUT', q, order([a.id, b.id, derived.id]))[0]).toBe(400);
    expect(send('PUT', q, order([b.id, a.id]))[0]).toBe(200);
    // Block first: the allowed MQTT host is blocked; new zone without policies reaches everything.
    expect(fake.verdict(ids.network, 'External', { proto: 'tcp', port: 8883, host: 'zapcloud.azure-devices.net' })).toBe('BLOCK');
    expect(send('PUT', q, order([a.id, b.id]))[0]).toBe(200);
    expect(fake.verdict(ids.network, 'External', { proto: 'tcp', port: 8883, host: 'zapcloud.azure-devices.net' })).toBe('ALLOW');
    expect(fake.verdict(ids.network, 'Gateway', { proto: 'tcp', port: 22, host: '10.40.0.1' })).toBe('ALLOW'); // default allow to Gateway
    expect(send('POST', 'firewall/policies', mqtt, NET_ONLY_KEY)[0]).toBe(403);
  });
});

describe('scripts/unifi-apply.mjs against the test controller', () => {
  it('first apply: fail-closed order, resolved bodies that validate, chargers reach exactly the allow-list', async () => {
    const { file, doc } = renderToFile((s) => (s.wifi.ssid = '$env:HOME'));
    const r = await run(file, { ...ENV, HOME: '/should/not/leak' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fake.invalid).toEqual([]);
    expect(fake.seen.every((s) => s.key === KEY)).toBe(true);
    const writes = writesIn();
    // One no-op ordering PUT (the write check), then the file's requests in the file's order.
    expect(pathOf(writes[0])).toBe(`${SITE_PATH}/firewall/policies/ordering`);
    const kinds = writes.slice(1).map((s) => `${s.method} ${pathOf(s).slice(SITE_PATH.length + 1)}`);
    expect(kinds).toEqual(doc.requests.map((q: any) => `${q.method} ${q.path.replace('/v1/sites/{siteId}/', '')}`));
    expect(doc.requests.map((q: any) => q.id)).toEqual([
      'zone', 'block-external', 'block-gateway', 'network', 'allow-https', 'allow-mqtt', 'allow-ntp', 'allow-ocpp',
      'gateway-dhcp', 'gateway-dns', 'order-external', 'order-gateway', 'wifi',
    ]);
    // Reads (lookups, version) come before the first write.
    expect(fake.seen.slice(0, fake.seen.indexOf(writes[0])).some((s) => pathOf(s) === `${BASE}/v1/info`)).toBe(true);
    for (const [i, q] of doc.requests.entries()) {
      const s = writes[i + 1];
      if (q.id !== 'wifi') expect(JSON.stringify(s.body)).not.toMatch(/"\$(ref|lookup|env):/);
      const validate = api.bodyValidator(q.method, q.path)!;
      expect(validate(s.body), `${q.id}: ${formatErrors(validate.errors)}`).toBe(true);
    }
    const body = (id: string) => writes[1 + doc.requests.findIndex((q: any) => q.id === id)].body;
    expect(body('zone').networkIds).toEqual([]);
    expect(body('network').zoneId).toBe(chargerZone().id);
    expect(body('wifi').network.networkId).toBe(chargerNet().id);
    expect(body('wifi').securityConfiguration.passphrase).toBe('a secret passphrase');
    expect(body('wifi').name).toBe('$env:HOME'); // a literal, not the variable
    expect(body('wifi').broadcastingDeviceFilter).toEqual({ type: 'DEVICE_TAGS', deviceTagIds: [fake.tags[0].id] });
    expect(body('allow-mqtt').ipProtocolScope.protocolFilter.protocol.name).toBe('TCP');
    expect(body('block-external').source).toEqual({ zoneId: chargerZone().id });

    const net = chargerNet().id;
    for (const [to, p] of INSIDE) expect(fake.verdict(net, to, p), `${to} ${p.proto}/${p.port} ${p.host}`).toBe('ALLOW');
    expect(leaks()).toEqual([]);
    // Established sessions are not cut by the blocks (empty domain sets after a gateway reboot).
    expect(fake.verdict(net, 'External', { proto: 'tcp', port: 8883, host: '203.0.113.9', state: 'ESTABLISHED' })).toBe('ALLOW');
    const ext = fake.orderings.get(`${chargerZone().id}>${ZONE.External}`)!;
    expect(ext.before).toEqual(['allow-https', 'allow-mqtt', 'allow-ntp', 'allow-ocpp', 'block-external'].map(policyId));
  });

  it('fail-closed property: the controller fails each write of a first apply in turn; the SSID is never on an open network', async () => {
    const { doc } = renderToFile();
    const start = fake.snapshot();
    await applyIn(doc);
    const total = fake.writes;
    expect(total).toBe(doc.requests.length + 1);
    for (let k = 1; k <= total; k++) {
      fake.restore(start);
      fake.failAt = k;
      const r = await applyIn(doc);
      expect(fake.invalid).toEqual([]);
      expect(leaks(), `after a failure at write ${k}`).toEqual([]);
      if (k === 1) {
        // The write check (a no-op PUT) failing for another reason than permission: noted, not fatal.
        expect(r.out).toMatch(/write check: inconclusive \(HTTP 500/);
        expect(r.ok).toBe(true);
        continue;
      }
      expect(r.ok, `write ${k}`).toBe(false);
      expect(r.error).toMatch(/SITE STATE: /);
      expect(r.error).toMatch(/NOT on the air/);
      expect(r.error).not.toMatch(/NOT firewalled/);
      expect(fake.wifi).toHaveLength(0);
    }
  });

  it('fail-closed property without Wi-Fi (chargers on a cable): the network never exists without its blocks', async () => {
    const { doc } = renderToFile((s) => {
      delete s.wifi;
      s.chargers.units = [];
    });
    expect(doc.requests.map((q: any) => q.id)).not.toContain('wifi');
    const start = fake.snapshot();
    await applyIn(doc);
    const total = fake.writes;
    for (let k = 2; k <= total; k++) {
      fake.restore(start);
      fake.failAt = k;
      const r = await applyIn(doc);
      expect(r.ok, `write ${k}`).toBe(false);
      expect(leaks(), `after a failure at write ${k}`).toEqual([]);
      expect(r.error).toMatch(/SITE STATE: the charger network (exists behind its blocks|does not exist yet)/);
    }
  });

  it('fail-closed property on a re-run after a spec change (SSID already on the air): each write fails in turn', async () => {
    const { doc } = renderToFile();
    await applyIn(doc);
    const { doc: changed } = renderToFile((s) => {
      s.extraEndpoints = [{ name: 'csms2', hosts: ['csms2.example.com'], ports: [8443], protocol: 'tcp', description: 'second backend' }];
      s.network.dhcp.leaseTime = '12h';
    });
    const live = fake.snapshot();
    await applyIn(changed);
    const total = fake.writes;
    expect(total).toBeGreaterThan(3);
    for (let k = 1; k <= total; k++) {
      fake.restore(live);
      fake.failAt = k;
      const r = await applyIn(changed);
      expect(leaks(), `after a failure at write ${k}`).toEqual([]);
      if (k === 1) continue; // the write check, see above
      expect(r.ok, `write ${k}`).toBe(false);
      expect(r.error).toMatch(/SITE STATE: the SSID "BRF Solgården Laddare" is on the air and its network is firewalled/);
    }
  });

  it('on the terminal: the failed request, what was applied, and the state of the site in plain words', async () => {
    fake.failOn = (s) => s.method === 'POST' && s.url.endsWith('/wifi/broadcasts');
    const { file } = renderToFile();
    const r = await run(file, ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^unifi-apply: wifi: POST .*\/wifi\/broadcasts failed with HTTP 400/);
    expect(r.stderr).toMatch(/\nalready applied: zone \(created \S+\), block-external \(created \S+\), block-gateway \(created \S+\), network \(created \S+\), allow-https/);
    expect(r.stderr).toMatch(/\nSITE STATE: the charger SSID "BRF Solgården Laddare" is NOT on the air .*the charger network exists behind its blocks\. Nothing is open\./);
    expect(leaks()).toEqual([]);
    // A site someone changed by hand: the SSID is on the air but a block is gone. The message says to switch it off.
    fake.failOn = undefined;
    expect((await run(file, ENV)).code).toBe(0);
    const blockId = policyId('block-external');
    fake.answer({ method: 'DELETE', url: `${SITE_PATH}/firewall/policies/${blockId}`, key: KEY });
    fake.failOn = (s) => s.method === 'POST' && s.url.endsWith('/firewall/policies');
    const again = await run(file, ENV);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/SITE STATE: charger network NOT firewalled: the SSID "BRF Solgården Laddare" is on the air .*Disable the SSID "BRF Solgården Laddare" now/);
  });

  it('a key that may write networks but not policies is refused before the first write', async () => {
    const { file, doc } = renderToFile();
    const r = await run(file, { ...ENV, UNIFI_API_KEY: NET_ONLY_KEY });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/may not write firewall policies .*HTTP 403.*Nothing was changed/);
    expect(writesIn().filter((s) => s.status! < 300)).toEqual([]);
    expect(fake.zones.filter((z) => z.metadata.origin === 'USER_DEFINED')).toEqual([]);
    // Even past the check (a controller that lets the no-op through), the order keeps it closed.
    fake.failOn = undefined;
    const start = fake.snapshot();
    const orig = fake.answer.bind(fake);
    let first = true;
    fake.answer = (s) => {
      if (first && s.method === 'PUT' && s.url.includes('ordering')) {
        first = false;
        return [200, s.body];
      }
      return orig(s);
    };
    try {
      fake.restore(start);
      const past = await applyIn(doc, { ...ENV, UNIFI_API_KEY: NET_ONLY_KEY });
      expect(past.ok).toBe(false);
      expect(past.error).toMatch(/block-external: POST .* failed with HTTP 403/);
      expect(past.error).toMatch(/the charger network does not exist yet/);
      expect(chargerNet()).toBeUndefined();
      expect(leaks()).toEqual([]);
    } finally {
      fake.answer = orig;
    }
  });

  it('a foreign policy in the charger zone pair: the apply converges, keeps it in its place, and a third run writes nothing', async () => {
    const { doc } = renderToFile();
    expect((await applyIn(doc)).ok).toBe(true);
    const zone = chargerZone().id;
    // The admin adds two policies in charger → External: one at the top, one at the end.
    const top = fake.seed('firewall/policies', { name: 'admin monitoring', enabled: true, action: { type: 'ALLOW', allowReturnTraffic: false }, source: { zoneId: zone }, destination: { zoneId: ZONE.External, trafficFilter: { type: 'IP_ADDRESS', ipAddressFilter: { type: 'IP_ADDRESSES', matchOpposite: false, items: [{ type: 'IP_ADDRESS', value: '198.51.100.20' }] } } }, ipProtocolScope: { ipVersion: 'IPV4' }, loggingEnabled: false });
    const pair = fake.orderings.get(`${zone}>${ZONE.External}`)!;
    pair.before = [top, ...pair.before.filter((x) => x !== top)];
    const end = fake.seed('firewall/policies', { name: 'admin extra', enabled: true, action: { type: 'BLOCK' }, source: { zoneId: zone }, destination: { zoneId: ZONE.External }, ipProtocolScope: { ipVersion: 'IPV4' }, loggingEnabled: false });
    // A spec change adds an endpoint: its new allow must land above the block, the foreign ones stay.
    const { doc: changed } = renderToFile((s) => s.extraEndpoints.push({ name: 'csms2', hosts: ['csms2.example.com'], ports: [8443], protocol: 'tcp' }));
    const second = await applyIn(changed);
    expect(second.error).toBe('');
    expect(second.out).toMatch(/2 policy\(ies\) in this zone pair .* were not made by this file/);
    const ours = ['allow-https', 'allow-mqtt', 'allow-ntp', 'allow-ocpp', 'allow-csms2', 'block-external'].map(policyId);
    expect(fake.orderings.get(`${zone}>${ZONE.External}`)!.before).toEqual([top, ...ours, end]);
    expect(fake.policies.map((p) => p.id)).toEqual(expect.arrayContaining([top, end]));
    expect(leaks()).toEqual([]);
    expect(fake.verdict(chargerNet().id, 'External', { proto: 'tcp', port: 8443, host: 'csms2.example.com' })).toBe('ALLOW');

    const third = await applyIn(changed);
    expect(third.error).toBe('');
    // Only the write check's PUT of the unchanged ordering: every object is compared, none differs.
    expect(writesIn().map((s) => `${s.method} ${pathOf(s)}`)).toEqual([`PUT ${SITE_PATH}/firewall/policies/ordering`]);
    expect(third.out.match(/: unchanged/g)).toHaveLength(changed.requests.length);
  });

  it('a re-run after a spec change PUTs only what differs, deletes the dropped allow, and nothing else', async () => {
    const { doc } = renderToFile();
    await applyIn(doc);
    const ocpp = policyId('allow-ocpp');
    const { doc: changed } = renderToFile((s) => {
      delete s.extraEndpoints;
      s.network.dhcp.leaseTime = '12h';
    });
    const r = await applyIn(changed);
    expect(r.error).toBe('');
    const writes = writesIn().slice(1);
    expect(writes.map((s) => `${s.method} ${pathOf(s).slice(SITE_PATH.length + 1)}`)).toEqual([
      `PUT networks/${chargerNet().id}`,
      `DELETE firewall/policies/${ocpp}`,
    ]);
    expect(fake.policies.some((p) => p.id === ocpp)).toBe(false);
    expect(fake.policies.some((p) => p.name === 'cw-brf-solgarden-allow-ocpp (Return)')).toBe(false);
    expect(chargerNet().ipv4Configuration.dhcpConfiguration.leaseTimeSeconds).toBe(12 * 3600);
    expect(chargerNet().zoneId).toBe(chargerZone().id); // the network stayed in its zone
    expect(leaks()).toEqual([]);
  });

  it("updates only user-defined objects of its own zone: another zone's policy of the same name and derived ones stay", async () => {
    const { doc } = renderToFile();
    await applyIn(doc);
    const zone = chargerZone().id;
    const otherZone = fake.seed('firewall/policies', { name: 'cw-brf-solgarden-allow-https', enabled: true, action: { type: 'BLOCK' }, source: { zoneId: ZONE.Internal }, destination: { zoneId: ZONE.External }, ipProtocolScope: { ipVersion: 'IPV4' }, loggingEnabled: false });
    const otherSite = fake.seed('firewall/policies', { name: 'cw-brf-other', enabled: true, action: { type: 'BLOCK' }, source: { zoneId: zone }, destination: { zoneId: ZONE.External }, ipProtocolScope: { ipVersion: 'IPV4' }, loggingEnabled: false });
    const leftover = fake.seed('firewall/policies', { name: 'cw-brf-solgarden-old', enabled: true, action: { type: 'ALLOW' }, source: { zoneId: zone }, destination: { zoneId: ZONE.External }, ipProtocolScope: { ipVersion: 'IPV4' }, loggingEnabled: false });
    const r = await applyIn(doc);
    expect(r.error).toBe('');
    expect(writesIn().filter((s) => s.method === 'DELETE').map(pathOf)).toEqual([`${SITE_PATH}/firewall/policies/${leftover}`]);
    const ids = fake.policies.map((p) => p.id);
    expect(ids).toContain(otherZone);
    expect(ids).toContain(otherSite);
    expect(fake.policies.find((p) => p.id === otherZone)!.action.type).toBe('BLOCK'); // not taken over
    expect(fake.named('firewall/policies', 'cw-brf-solgarden-allow-https')).toHaveLength(2);
    expect(leaks()).toEqual([]);
  });

  it('refuses, writing nothing: a version the file is not for, a missing device tag, plain http to a remote host', async () => {
    const { file, doc } = renderToFile();
    for (const v of ['10.1.78', '10.0.140', '9.5.21', '11.0.3']) {
      fake.reset();
      fake.seedTag(TAG);
      fake.version = v;
      const r = await applyIn(doc);
      expect(r.error, v).toMatch(new RegExp(`UniFi Network ${v.replace(/\./g, '\\.')}: this file is for 10\\.2 up to 10\\.x.*Nothing was changed`));
      expect(writesIn()).toEqual([]);
    }
    for (const v of ['10.2.97', '10.4.57', '10.6.106']) {
      fake.reset();
      fake.seedTag(TAG);
      fake.version = v;
      expect((await applyIn(doc)).error, v).toBe('');
    }
    fake.reset();
    const noTag = await applyIn(doc);
    expect(noTag.error).toMatch(/device tag "Laddare garage" \(targets\.unifi\.apDeviceTags\): 0 found.*Nothing was changed/);
    expect(writesIn()).toEqual([]);
    const remote = await run(file, ENV, [], 'http://192.0.2.1:9');
    expect(remote.code).toBe(1);
    expect(remote.stderr).toMatch(/plain http: the API key would cross the network unencrypted.*Nothing was sent/);
  });

  it('a console that stops answering ends the run after --timeout, saying so', async () => {
    const silent: Server = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as any).port;
    try {
      const { file } = renderToFile();
      const t0 = Date.now();
      const r = await run(file, ENV, ['--timeout', '1'], `http://127.0.0.1:${port}`);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/GET \/v1\/info: no answer within 1 s \(--timeout\)/);
      expect(Date.now() - t0).toBeLessThan(10000);
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  });

  it('sends nothing when the passphrase variable or the API key is missing', async () => {
    const { file } = renderToFile();
    const noPsk = await run(file, { UNIFI_API_KEY: KEY });
    expect(noPsk.code).toBe(1);
    expect(noPsk.stderr).toMatch(/CHARGER_WIFI_PSK/);
    const noKey = await run(file, { CHARGER_WIFI_PSK: 'a secret passphrase' });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/UNIFI_API_KEY/);
    expect(fake.seen).toEqual([]);
  });

  it('refuses, writing nothing, when a Wi-Fi broadcast with the SSID is on another network', async () => {
    const guest = fake.seed('networks', { management: 'GATEWAY', name: 'Guest', enabled: true, vlanId: 50, default: false, zoneId: ZONE.Hotspot });
    const foreign = fake.seed('wifi/broadcasts', { type: 'STANDARD', name: 'BRF Solgården Laddare', enabled: true, network: { type: 'SPECIFIC', networkId: guest } });
    const { file, doc } = renderToFile();
    const r = await run(file, ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`a Wi-Fi broadcast named "BRF Solgården Laddare" already exists (id ${foreign}) on network "Guest" (id ${guest})`);
    expect(r.stderr).toContain(`not on this file's network "cw-brf-solgarden-chargers" (not created yet)`);
    expect(writesIn()).toEqual([]);
    fake.store.set('wifi/broadcasts', []);
    expect((await applyIn(doc)).error).toBe('');
    fake.wifi[0].network.networkId = guest;
    fake.seen = [];
    const moved = await applyIn(doc);
    expect(moved.error).toContain(`on network "Guest" (id ${guest}), not on this file's network "cw-brf-solgarden-chargers" (id ${chargerNet().id})`);
    expect(writesIn()).toEqual([]);
  });

  it("refuses, writing nothing, when two networks have the file's name, or its zone holds another network", async () => {
    const a = fake.seed('networks', { management: 'GATEWAY', name: 'cw-brf-solgarden-chargers', enabled: true, vlanId: 40, default: false, zoneId: ZONE.Internal });
    const b = fake.seed('networks', { management: 'GATEWAY', name: 'cw-brf-solgarden-chargers', enabled: true, vlanId: 41, default: false, zoneId: ZONE.Internal });
    const { doc } = renderToFile();
    const r = await applyIn(doc);
    expect(r.error).toContain(`network: 2 networks are named "cw-brf-solgarden-chargers" (ids ${a}, ${b})`);
    expect(writesIn()).toEqual([]);
    fake.reset();
    fake.seedTag(TAG);
    await applyIn(doc);
    const office = fake.seed('networks', { management: 'GATEWAY', name: 'Office', enabled: true, vlanId: 10, zoneId: chargerZone().id });
    fake.seen = [];
    const mixed = await applyIn(doc);
    expect(mixed.error).toContain(`also holds network(s) ${office} that this file does not manage`);
    expect(writesIn()).toEqual([]);
  });

  it('--dry-run needs no controller and says what is decided at apply time', async () => {
    const { file } = renderToFile();
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [script, file, '--dry-run'], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout) => resolve({ code: err ? 1 : 0, stdout })),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('GET /v1/info: refuse unless UniFi Network 10.2 up to 10.x\nwrite check: PUT the unchanged ordering');
    expect(r.stdout).toContain('network: POST /v1/sites/<site>/networks, or PUT /v1/sites/<site>/networks/<id> if one named "cw-brf-solgarden-chargers" exists and differs');
    expect(r.stdout).toMatch(/gateway-dns: .*\nstale policies: DELETE .*cw-brf-solgarden-\*.*\norder-external: PUT .*merged into the pair's current ordering/);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^wifi: POST /);
    expect(fake.seen).toEqual([]);
  });

  it('mergeOrdering and sameAs (the pieces the convergence rests on)', () => {
    expect(mergeOrdering({ beforeSystemDefined: ['f1', 'a', 'f2', 'b'], afterSystemDefined: ['f3'] }, ['a', 'n', 'b'])).toEqual({ beforeSystemDefined: ['f1', 'a', 'n', 'b', 'f2'], afterSystemDefined: ['f3'] });
    expect(mergeOrdering({ beforeSystemDefined: ['f1'], afterSystemDefined: ['a'] }, ['a', 'b'])).toEqual({ beforeSystemDefined: ['f1', 'a', 'b'], afterSystemDefined: [] });
    expect(sameAs({ a: 1, b: { c: [1, 2] } }, { a: 1, id: 'x', b: { c: [1, 2], d: 3 } })).toBe(true);
    expect(sameAs({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [2, 1] } })).toBe(false);
    expect(sameAs({ d: { zoneId: 'z' } }, { d: { zoneId: 'z', trafficFilter: { type: 'PORT' } } }, [['d', 'trafficFilter']])).toBe(false);
  });
});
