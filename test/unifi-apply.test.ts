import { createServer, type IncomingMessage, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderText, root } from './helpers.js';
import { formatErrors, loadUnifiApi } from './unifi-openapi.js';

/**
 * scripts/unifi-apply.mjs against a fake Integration API on 127.0.0.1 (never a real controller):
 * it must resolve $lookup/$ref/$env, send the requests in file order with the API key, stop at the
 * first error, and on a re-run update what it made before instead of making it twice.
 *
 * The fake is a small in-memory controller: one collection per path, list pages of at most
 * PAGE_MAX objects (so the script has to page), POST/PUT/DELETE by id and the policy ordering.
 * Every POST/PUT body is checked against the OpenAPI document; a body it rejects gets a 400 and is
 * recorded in `invalid`.
 */
const script = join(root, 'scripts', 'unifi-apply.mjs');
const SITE = '11111111-1111-4111-8111-111111111111';
const ZONES = [
  { id: '22222222-2222-4222-8222-222222222222', name: 'Internal', networkIds: [], metadata: { origin: 'SYSTEM_DEFINED' } },
  { id: '33333333-3333-4333-8333-333333333333', name: 'External', networkIds: [], metadata: { origin: 'SYSTEM_DEFINED' } },
  { id: '44444444-4444-4444-8444-444444444444', name: 'Gateway', networkIds: [], metadata: { origin: 'SYSTEM_DEFINED' } },
];
const KEY = 'test-api-key';
const ENV = { UNIFI_API_KEY: KEY, CHARGER_WIFI_PSK: 'a secret passphrase' };
const base = '/proxy/network/integration';
const sitePath = `${base}/v1/sites/${SITE}`;
const PAGE_MAX = 2;
/** Collection (under the site) -> the OpenAPI name of its item id. */
const COLLECTIONS: Record<string, string> = {
  networks: 'networkId',
  'firewall/zones': 'firewallZoneId',
  'wifi/broadcasts': 'wifiBroadcastId',
  'firewall/policies': 'firewallPolicyId',
};
const ORDERING = 'firewall/policies/ordering';
const api = loadUnifiApi();

interface Seen { method: string; url: string; key?: string; body?: any }
let server: Server;
let url = '';
let seen: Seen[] = [];
let failOn: ((s: Seen) => boolean) | undefined;
let counter = 0;
let seeds = 0;
let files = 0;
const written: string[] = [];
/** The controller's state: objects per collection, and the ordering per `source>destination` zone pair. */
let store = new Map<string, any[]>();
let orderings = new Map<string, any>();
let invalid: string[] = [];

function resetController() {
  store = new Map(Object.keys(COLLECTIONS).map((c) => [c, []]));
  store.get('firewall/zones')!.push(...structuredClone(ZONES));
  store.get('networks')!.push({ id: '55555555-5555-4555-8555-555555555555', management: 'GATEWAY', name: 'Default', enabled: true, vlanId: 1, default: true, metadata: { origin: 'SYSTEM_DEFINED' } });
  orderings = new Map();
  invalid = [];
  seen = [];
  failOn = undefined;
  counter = 0;
}

/** Puts an object into the controller as if someone had made it before the test. */
function seed(collection: string, object: any): string {
  const id = `bbbbbbbb-bbbb-4bbb-8bbb-${String(++seeds).padStart(12, '0')}`;
  store.get(collection)!.push({ ...object, id, metadata: { origin: 'USER_DEFINED' } });
  return id;
}
const seedPolicy = (name: string, zoneId: string) =>
  seed('firewall/policies', { name, enabled: true, action: { type: 'ALLOW' }, source: { zoneId }, destination: { zoneId: ZONES[1].id } });
const named = (collection: string, name: string) => store.get(collection)!.filter((o) => o.name === name);
const pathOf = (s: Seen) => new URL(s.url, 'http://x').pathname;
const writesIn = (list: Seen[]) => list.filter((s) => s.method !== 'GET');

const listPage = (all: unknown[], q: URLSearchParams) => {
  const offset = Number(q.get('offset') ?? 0);
  const limit = Math.min(Number(q.get('limit') ?? 25), PAGE_MAX);
  const data = all.slice(offset, offset + limit);
  return { offset, limit, count: data.length, totalCount: all.length, data };
};
const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

/** The fake's answer to one request: [status, body]. */
function handle(s: Seen): [number, unknown] {
  const u = new URL(s.url, 'http://x');
  if (s.method === 'GET' && u.pathname === `${base}/v1/sites`) return [200, listPage([{ id: SITE, name: 'Default', internalReference: 'default' }], u.searchParams)];
  if (!u.pathname.startsWith(`${sitePath}/`)) return [404, { statusCode: 404, message: `no route ${s.method} ${u.pathname}` }];
  const rest = u.pathname.slice(sitePath.length + 1);
  const valid = (template: string) => {
    const validate = api.bodyValidator(s.method, `/v1/sites/{siteId}/${template}`)!;
    if (validate(s.body)) return true;
    invalid.push(`${s.method} ${template}: ${formatErrors(validate.errors)}`);
    return false;
  };
  const bad = [400, { statusCode: 400, code: 'api.request.invalid', message: 'invalid body' }] as [number, unknown];

  if (rest === ORDERING && s.method === 'PUT') {
    if (!valid(ORDERING)) return bad;
    const src = u.searchParams.get('sourceFirewallZoneId');
    const dst = u.searchParams.get('destinationFirewallZoneId');
    const zones = store.get('firewall/zones')!;
    const ids: string[] = s.body.orderedFirewallPolicyIds.beforeSystemDefined;
    const pairOk = zones.some((z) => z.id === src) && zones.some((z) => z.id === dst);
    const policiesOk = ids.every((id) => store.get('firewall/policies')!.some((p) => p.id === id && p.source.zoneId === src && p.destination.zoneId === dst));
    if (!pairOk || !policiesOk) return [400, { statusCode: 400, message: 'ordering names an unknown zone or a policy of another zone pair' }];
    orderings.set(`${src}>${dst}`, structuredClone(s.body.orderedFirewallPolicyIds));
    return [200, s.body];
  }
  for (const [collection, idName] of Object.entries(COLLECTIONS)) {
    const objects = store.get(collection)!;
    if (rest === collection) {
      if (s.method === 'GET') return [200, listPage(objects, u.searchParams)];
      if (s.method === 'POST') {
        if (!valid(collection)) return bad;
        const object = { ...s.body, id: `aaaaaaaa-aaaa-4aaa-8aaa-${String(++counter).padStart(12, '0')}`, metadata: { origin: 'USER_DEFINED' } };
        objects.push(object);
        return [201, object];
      }
    }
    if (rest.startsWith(`${collection}/`) && !rest.slice(collection.length + 1).includes('/')) {
      const id = decodeURIComponent(rest.slice(collection.length + 1));
      const i = objects.findIndex((o) => o.id === id);
      if (i < 0) return [404, { statusCode: 404, message: `no ${collection} ${id}` }];
      if (s.method === 'GET') return [200, objects[i]];
      if (s.method === 'PUT') {
        if (!valid(`${collection}/{${idName}}`)) return bad;
        objects[i] = { ...s.body, id, metadata: objects[i].metadata };
        return [200, objects[i]];
      }
      if (s.method === 'DELETE') {
        objects.splice(i, 1);
        return [200, undefined];
      }
    }
  }
  return [404, { statusCode: 404, message: `no route ${s.method} ${u.pathname}` }];
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await readBody(req);
    const s: Seen = { method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string | undefined, body: text ? JSON.parse(text) : undefined };
    seen.push(s);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    if (s.key !== KEY) return reply(401, { statusCode: 401, message: 'bad key' });
    if (failOn?.(s)) return reply(400, { statusCode: 400, code: 'api.request.invalid', message: 'rejected by the fake' });
    reply(...handle(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
beforeEach(resetController);
afterAll(async () => {
  for (const f of written) rmSync(f, { force: true });
  await new Promise<void>((r) => server.close(() => r()));
});

function run(file: string, env: Record<string, string>, extra: string[] = []) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [script, file, '--url', url, ...extra], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as any).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The housing-association example, changed, rendered for unifi and written to a temp file. */
function renderToFile(change: (s: any) => void = () => {}): { file: string; doc: any } {
  const s = parse(readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8'));
  change(s);
  const r = renderText(JSON.stringify(s), ['unifi']);
  const text = r.files[`${s.site.id}/unifi/integration-api.json`];
  const file = join(process.env.TMPDIR ?? '/tmp', `chargewall-unifi-${process.pid}-${files++}.json`);
  writeFileSync(file, text);
  written.push(file);
  return { file, doc: JSON.parse(text) };
}

/** Applies a file that must succeed; returns the requests it sent. */
async function applyOk(file: string) {
  seen = [];
  const r = await run(file, ENV);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(invalid).toEqual([]);
  return { ...r, sent: seen };
}

/** The store's collection for a request's POST path (`/v1/sites/{siteId}/networks` -> `networks`). */
const collectionOf = (q: any) => q.path.replace('/v1/sites/{siteId}/', '');

describe('scripts/unifi-apply.mjs against a fake controller on 127.0.0.1', () => {
  it('sends every request in order, resolved, with the API key; bodies still validate', async () => {
    const { file, doc } = renderToFile((s) => (s.wifi.ssid = '$env:HOME'));
    const r = await run(file, { ...ENV, HOME: '/should/not/leak' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(invalid).toEqual([]);
    expect(seen.every((s) => s.key === KEY)).toBe(true);
    // A fresh site: every named object is created, and all reads come before the first write.
    const writes = writesIn(seen);
    expect(writes.map((s) => s.method)).toEqual(doc.requests.map((q: any) => q.method));
    expect(seen.slice(seen.indexOf(writes[0])).filter((s) => s.method === 'GET')).toEqual([]);
    expect(r.stdout.match(/: created id /g)).toHaveLength(doc.requests.filter((q: any) => q.method === 'POST').length);
    const ids = new Map<string, string>();
    let n = 0;
    for (const [i, q] of doc.requests.entries()) {
      const s = writes[i];
      const u = new URL(s.url, 'http://x');
      expect(u.pathname).toBe(`${base}${q.path.replace('{siteId}', SITE)}`);
      // (the wifi name is the literal '$env:HOME', checked below)
      if (q.id !== 'wifi') expect(JSON.stringify(s.body)).not.toMatch(/"\$(ref|lookup|env):/);
      const validate = api.bodyValidator(q.method, q.path)!;
      expect(validate(s.body), `${q.id}: ${formatErrors(validate.errors)}`).toBe(true);
      if (q.method === 'POST') ids.set(q.id, `aaaaaaaa-aaaa-4aaa-8aaa-${String(++n).padStart(12, '0')}`);
      if (q.query) {
        expect(u.searchParams.get('sourceFirewallZoneId')).toBe(ids.get('zone'));
        expect([ZONES[1].id, ZONES[2].id]).toContain(u.searchParams.get('destinationFirewallZoneId'));
        expect(s.body.orderedFirewallPolicyIds.beforeSystemDefined).toEqual(q.body.orderedFirewallPolicyIds.beforeSystemDefined.map((x: string) => ids.get(x.slice(5))));
      }
    }
    const byId = (id: string) => writes[doc.requests.findIndex((q: any) => q.id === id)].body;
    expect(byId('zone').networkIds).toEqual([ids.get('network')]);
    expect(byId('wifi').network.networkId).toBe(ids.get('network'));
    expect(byId('wifi').securityConfiguration.passphrase).toBe('a secret passphrase');
    expect(byId('wifi').name).toBe('$env:HOME'); // a literal, not the variable
    expect(byId('allow-https').destination.zoneId).toBe(ZONES[1].id);
    expect(byId('gateway-dns').destination.zoneId).toBe(ZONES[2].id);
    expect(byId('allow-https').source.zoneId).toBe(ids.get('zone'));
  });

  it('stops at the first error and lists what it already created', async () => {
    failOn = (s) => s.method === 'POST' && s.url.endsWith('/wifi/broadcasts');
    const { file } = renderToFile();
    const r = await run(file, ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wifi: POST .* failed with HTTP 400/);
    expect(r.stderr).toMatch(/already applied: network \(created \S+\), zone \(created \S+\)\n/);
    expect(writesIn(seen).map((s) => new URL(s.url, 'http://x').pathname.split('/').slice(-1)[0])).toEqual(['networks', 'zones', 'broadcasts']);
  });

  it('sends nothing when the passphrase variable or the API key is missing', async () => {
    const { file } = renderToFile();
    const noPsk = await run(file, { UNIFI_API_KEY: KEY });
    expect(noPsk.code).toBe(1);
    expect(noPsk.stderr).toMatch(/CHARGER_WIFI_PSK/);
    const noKey = await run(file, { CHARGER_WIFI_PSK: 'a secret passphrase' });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/UNIFI_API_KEY/);
    expect(seen).toEqual([]);
  });

  it('a second run updates every named object in place: no POST, the same ids, the same ordering', async () => {
    const { file, doc } = renderToFile();
    await applyOk(file);
    const afterFirst = structuredClone([...store]);
    const orderFirst = structuredClone([...orderings]);
    const idOf = (q: any) => named(collectionOf(q), q.body.name)[0].id;
    const expected = doc.requests.map((q: any) =>
      q.method === 'POST' ? `PUT ${sitePath}/${collectionOf(q)}/${idOf(q)}` : `${q.method} ${sitePath}/${collectionOf(q)}`,
    );

    const second = await applyOk(file);
    expect(writesIn(second.sent).map((s) => `${s.method} ${pathOf(s)}`)).toEqual(expected);
    expect(second.stdout).not.toMatch(/created|deleted/);
    expect(second.stdout.match(/: updated id /g)).toHaveLength(doc.requests.filter((q: any) => q.method === 'POST').length);
    // Exactly one of each object, with the ids (and content) of the first run.
    for (const q of doc.requests.filter((q: any) => q.method === 'POST')) expect(named(collectionOf(q), q.body.name)).toHaveLength(1);
    expect([...store]).toEqual(afterFirst);
    expect([...orderings]).toEqual(orderFirst);
    const zone = named('firewall/zones', 'cw-brf-solgarden')[0].id;
    const policyId = (suffix: string) => named('firewall/policies', `cw-brf-solgarden-${suffix}`)[0].id;
    expect(orderings.get(`${zone}>${ZONES[1].id}`).beforeSystemDefined).toEqual(['allow-https', 'allow-mqtt', 'allow-ntp', 'allow-ocpp', 'block-external'].map(policyId));
  });

  it('after a spec change drops an endpoint, a re-run deletes that allow policy and nothing else', async () => {
    const { file } = renderToFile();
    await applyOk(file);
    const before = structuredClone(store.get('firewall/policies')!);
    const ocpp = before.find((p) => p.name === 'cw-brf-solgarden-allow-ocpp')!;
    const { file: changed } = renderToFile((s) => delete s.extraEndpoints);

    const second = await applyOk(changed);
    const writes = writesIn(second.sent);
    expect(writes.filter((s) => s.method === 'DELETE').map(pathOf)).toEqual([`${sitePath}/firewall/policies/${ocpp.id}`]);
    expect(writes.filter((s) => s.method === 'POST')).toEqual([]);
    expect(second.stdout).toContain(`cw-brf-solgarden-allow-ocpp: deleted id ${ocpp.id}`);
    // After the last policy upsert, before the ordering: the ordering can then list exactly the file's policies.
    const at = writes.findIndex((s) => s.method === 'DELETE');
    expect(pathOf(writes[at - 1])).toMatch(/\/firewall\/policies\/[^/]+$/);
    expect(pathOf(writes[at + 1])).toMatch(/\/firewall\/policies\/ordering$/);
    expect(store.get('firewall/policies')!.map((p) => p.id)).toEqual(before.filter((p) => p !== ocpp).map((p) => p.id));
    const zone = named('firewall/zones', 'cw-brf-solgarden')[0].id;
    const external = store.get('firewall/policies')!.filter((p) => p.source.zoneId === zone && p.destination.zoneId === ZONES[1].id);
    expect(orderings.get(`${zone}>${ZONES[1].id}`).beforeSystemDefined).toEqual(external.map((p) => p.id));
  });

  it("deletes only stale policies of its own zone with its own prefix: another zone's and another site's stay", async () => {
    const { file } = renderToFile();
    await applyOk(file);
    const zone = named('firewall/zones', 'cw-brf-solgarden')[0].id;
    const otherZone = seedPolicy('cw-brf-solgarden-legacy', ZONES[0].id); // own prefix, another zone
    const otherSite = seedPolicy('cw-brf-other', zone); // own zone, not this site's prefix
    const leftover = seedPolicy('cw-brf-solgarden-old', zone); // own zone, own prefix: stale

    // Site `brf` (prefix cw-brf-, which every policy above starts with) has a zone of its own: it
    // deletes nothing, also on its second run, when its zone exists and the search really runs.
    const { file: brf } = renderToFile((s) => {
      s.site.id = 'brf';
      s.wifi.ssid = 'BRF Laddare';
      s.network.vlan = 41;
    });
    for (let i = 0; i < 2; i++) expect(writesIn((await applyOk(brf)).sent).filter((s) => s.method === 'DELETE')).toEqual([]);

    const again = await applyOk(file);
    expect(writesIn(again.sent).filter((s) => s.method === 'DELETE').map(pathOf)).toEqual([`${sitePath}/firewall/policies/${leftover}`]);
    const ids = store.get('firewall/policies')!.map((p) => p.id);
    expect(ids).toContain(otherZone);
    expect(ids).toContain(otherSite);
    expect(ids).not.toContain(leftover);
    expect(named('firewall/policies', 'cw-brf-allow-https')).toHaveLength(1);
  });

  it('refuses, writing nothing, when a Wi-Fi broadcast with the SSID is on another network', async () => {
    const guest = seed('networks', { management: 'GATEWAY', name: 'Guest', enabled: true, vlanId: 50, default: false });
    const foreign = seed('wifi/broadcasts', { type: 'STANDARD', name: 'BRF Solgården Laddare', enabled: true, network: { type: 'SPECIFIC', networkId: guest } });
    const { file } = renderToFile();
    const r = await run(file, ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`a Wi-Fi broadcast named "BRF Solgården Laddare" already exists (id ${foreign}) on network "Guest" (id ${guest})`);
    expect(r.stderr).toContain(`not on this file's network "cw-brf-solgarden-chargers" (not created yet)`);
    expect(r.stderr).toMatch(/rename the SSID in the spec \(wifi\.ssid\).*or rename the existing broadcast/);
    expect(writesIn(seen)).toEqual([]);

    // Also once the file's network exists: its broadcast moved to another network is no longer its own.
    store.set('wifi/broadcasts', []);
    await applyOk(file);
    const ours = named('networks', 'cw-brf-solgarden-chargers')[0].id;
    const broadcast = named('wifi/broadcasts', 'BRF Solgården Laddare')[0];
    broadcast.network.networkId = guest;
    seen = [];
    const moved = await run(file, ENV);
    expect(moved.code).toBe(1);
    expect(moved.stderr).toContain(`on network "Guest" (id ${guest}), not on this file's network "cw-brf-solgarden-chargers" (id ${ours})`);
    expect(writesIn(seen)).toEqual([]);
  });

  it("refuses, writing nothing, when two networks (or two policies) have the name of the file's", async () => {
    const a = seed('networks', { management: 'GATEWAY', name: 'cw-brf-solgarden-chargers', enabled: true, vlanId: 40, default: false });
    const b = seed('networks', { management: 'GATEWAY', name: 'cw-brf-solgarden-chargers', enabled: true, vlanId: 41, default: false });
    const { file } = renderToFile();
    const r = await run(file, ENV);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`network: 2 networks are named "cw-brf-solgarden-chargers" (ids ${a}, ${b})`);
    expect(writesIn(seen)).toEqual([]);
    expect(store.get('networks')!.map((n) => n.id)).toEqual(['55555555-5555-4555-8555-555555555555', a, b]); // b is on the second page

    // The same for the file's last named object: refused before the network (the first request) is written.
    store.set('networks', store.get('networks')!.slice(0, 1));
    const p1 = seedPolicy('cw-brf-solgarden-block-gateway', ZONES[0].id);
    const p2 = seedPolicy('cw-brf-solgarden-block-gateway', ZONES[0].id);
    seen = [];
    const late = await run(file, ENV);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain(`block-gateway: 2 firewall policies are named "cw-brf-solgarden-block-gateway" (ids ${p1}, ${p2})`);
    expect(writesIn(seen)).toEqual([]);
  });

  it('--dry-run needs no controller and says that POST or PUT is decided at apply time', async () => {
    const { file } = renderToFile();
    const r = await new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(process.execPath, [script, file, '--dry-run'], { env: { PATH: process.env.PATH ?? '' } }, (err, stdout) => resolve({ code: err ? 1 : 0, stdout })),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('network: POST /v1/sites/<site>/networks, or PUT /v1/sites/<site>/networks/<id> if one named "cw-brf-solgarden-chargers" exists (decided at apply time)');
    expect(r.stdout).toMatch(/block-gateway: .*\nstale policies: DELETE .*cw-brf-solgarden-\*.*\norder-external: PUT /);
    expect(seen).toEqual([]);
  });
});
