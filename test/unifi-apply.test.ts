import { createServer, type IncomingMessage, type Server } from 'node:http';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderText, root } from './helpers.js';
import { formatErrors, loadUnifiApi } from './unifi-openapi.js';

/**
 * scripts/unifi-apply.mjs against a fake Integration API on 127.0.0.1 (never a real controller):
 * it must resolve $lookup/$ref/$env, send the requests in file order with the API key, and stop
 * at the first error.
 */
const script = join(root, 'scripts', 'unifi-apply.mjs');
const SITE = '11111111-1111-4111-8111-111111111111';
const ZONES = [
  { id: '22222222-2222-4222-8222-222222222222', name: 'Internal', networkIds: [], metadata: { origin: 'SYSTEM_DEFINED' } },
  { id: '33333333-3333-4333-8333-333333333333', name: 'External', networkIds: [], metadata: { origin: 'SYSTEM_DEFINED' } },
  { id: '44444444-4444-4444-8444-444444444444', name: 'Gateway', networkIds: [], metadata: { origin: 'SYSTEM_DEFINED' } },
];
const KEY = 'test-api-key';
const base = '/proxy/network/integration';

interface Seen { method: string; url: string; key?: string; body?: any }
let server: Server;
let url = '';
let seen: Seen[] = [];
let failOn: ((s: Seen) => boolean) | undefined;
let counter = 0;
let files = 0;
const written: string[] = [];

const page = (data: unknown[]) => ({ offset: 0, limit: 200, count: data.length, totalCount: data.length, data });
const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const text = await readBody(req);
    const s: Seen = { method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string | undefined, body: text ? JSON.parse(text) : undefined };
    seen.push(s);
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (s.key !== KEY) return reply(401, { statusCode: 401, message: 'bad key' });
    if (failOn?.(s)) return reply(400, { statusCode: 400, code: 'api.request.invalid', message: 'rejected by the fake' });
    const path = new URL(s.url, 'http://x').pathname;
    if (s.method === 'GET' && path === `${base}/v1/sites`) return reply(200, page([{ id: SITE, name: 'Default', internalReference: 'default' }]));
    if (s.method === 'GET' && path === `${base}/v1/sites/${SITE}/firewall/zones`) return reply(200, page(ZONES));
    if (s.method === 'POST' && path.startsWith(`${base}/v1/sites/${SITE}/`)) {
      counter++;
      return reply(201, { id: `aaaaaaaa-aaaa-4aaa-8aaa-${String(counter).padStart(12, '0')}`, ...s.body });
    }
    if (s.method === 'PUT' && path === `${base}/v1/sites/${SITE}/firewall/policies/ordering`) return reply(200, s.body);
    reply(404, { statusCode: 404, message: `no route ${s.method} ${path}` });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
});
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

function renderToFile(change: (s: any) => void = () => {}): { file: string; doc: any } {
  const s = parse(readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8'));
  change(s);
  const r = renderText(JSON.stringify(s), ['unifi']);
  const text = r.files['brf-solgarden/unifi/integration-api.json'];
  const file = join(process.env.TMPDIR ?? '/tmp', `chargewall-unifi-${process.pid}-${files++}.json`);
  writeFileSync(file, text);
  written.push(file);
  return { file, doc: JSON.parse(text) };
}

describe('scripts/unifi-apply.mjs against a fake controller on 127.0.0.1', () => {
  it('sends every request in order, resolved, with the API key; bodies still validate', async () => {
    seen = [];
    failOn = undefined;
    const { file, doc } = renderToFile((s) => (s.wifi.ssid = '$env:HOME'));
    counter = 0;
    const r = await run(file, { UNIFI_API_KEY: KEY, CHARGER_WIFI_PSK: 'a secret passphrase', HOME: '/should/not/leak' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(seen.every((s) => s.key === KEY)).toBe(true);
    const writes = seen.filter((s) => s.method !== 'GET');
    expect(writes.map((s) => s.method)).toEqual(doc.requests.map((q: any) => q.method));
    const api = loadUnifiApi();
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
    seen = [];
    failOn = (s) => s.method === 'POST' && s.url.endsWith('/wifi/broadcasts');
    const { file } = renderToFile();
    const r = await run(file, { UNIFI_API_KEY: KEY, CHARGER_WIFI_PSK: 'a secret passphrase' });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/wifi: POST .* failed with HTTP 400/);
    expect(r.stderr).toMatch(/already applied: network \(\S+\), zone \(\S+\)/);
    expect(seen.filter((s) => s.method !== 'GET').map((s) => new URL(s.url, 'http://x').pathname.split('/').slice(-1)[0])).toEqual(['networks', 'zones', 'broadcasts']);
  });

  it('sends nothing when the passphrase variable or the API key is missing', async () => {
    seen = [];
    failOn = undefined;
    const { file } = renderToFile();
    const noPsk = await run(file, { UNIFI_API_KEY: KEY });
    expect(noPsk.code).toBe(1);
    expect(noPsk.stderr).toMatch(/CHARGER_WIFI_PSK/);
    const noKey = await run(file, { CHARGER_WIFI_PSK: 'a secret passphrase' });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/UNIFI_API_KEY/);
    expect(seen).toEqual([]);
  });
});
