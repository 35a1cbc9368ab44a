import { createServer, type IncomingMessage, type Server } from 'node:http';
import { formatErrors, loadUnifiApi } from './unifi-openapi.js';

/**
 * A UniFi Network Integration API controller in memory, served on 127.0.0.1 only, for
 * scripts/unifi-apply.mjs. It models what real 10.x controllers were seen to do, each behaviour
 * with its source:
 *
 * - Request bodies are checked against the 10.4.57 OpenAPI document with the discriminator
 *   mapping keys as the wire format (test/unifi-openapi.ts). A named protocol in lower case gets
 *   400 `api.request.unknown-type-id`; `TCP`/`UDP` pass with IPV4 (filipowm/go-unifi#195, 10.6.106).
 * - A network needs `zoneId` and `dhcpConfiguration.pingConflictDetectionEnabled`
 *   (filipowm/go-unifi#195: "Network create returns 400 until both ... are set").
 * - A new custom zone may reach External and Gateway: the system-defined policies of those pairs
 *   allow (UniFi help "Zone-Based Firewalls in UniFi"; liambeeton/unifig recordings). A network
 *   without a custom zone is in Internal, which reaches External too.
 * - New user-defined policies are evaluated in creation order, after the existing ones of the
 *   pair (liambeeton/unifig#51: "creation-order precedence"), before the system-defined ones.
 * - `PUT /firewall/policies/ordering` must list exactly the user-defined policies of the pair:
 *   a subset answers 400 `api.firewall.policy.ordering.not-all-firewall-policies-specified`
 *   (ubiquiti-community/go-unifi#80; sirkirby/unifi-mcp PR #301 rejects dropped ids too).
 * - An ALLOW with `allowReturnTraffic` gets a derived `<name> (Return)` policy in the reverse pair,
 *   origin DERIVED, never in an ordering list (ubiquiti-community/go-unifi#80; unifig#54).
 * - Lists are paged (`offset`, `limit`, `totalCount`), here at most PAGE_MAX per page.
 * - PUT replaces the whole object: a field left out is gone (OpenAPI: same schema as the POST).
 * - List GETs of Wi-Fi broadcasts leave out the passphrase (overview); the item GET has it.
 * - `GET /v1/info` answers `applicationVersion`.
 * - A key can be limited (here: `net-only`, which may write networks, zones and Wi-Fi but gets
 *   403 for firewall policies and their ordering).
 */
export const SITE = '11111111-1111-4111-8111-111111111111';
export const ZONE = {
  Internal: '22222222-2222-4222-8222-222222222222',
  External: '33333333-3333-4333-8333-333333333333',
  Gateway: '44444444-4444-4444-8444-444444444444',
  Vpn: '66666666-6666-4666-8666-666666666666',
  Hotspot: '77777777-7777-4777-8777-777777777777',
};
export const DEFAULT_NETWORK = '55555555-5555-4555-8555-555555555555';
export const KEY = 'test-api-key';
export const NET_ONLY_KEY = 'net-only-key';
export const BASE = '/proxy/network/integration';
export const SITE_PATH = `${BASE}/v1/sites/${SITE}`;
const PAGE_MAX = 2;
const COLLECTIONS: Record<string, string> = {
  networks: 'networkId',
  'firewall/zones': 'firewallZoneId',
  'wifi/broadcasts': 'wifiBroadcastId',
  'firewall/policies': 'firewallPolicyId',
};
const ORDERING = 'firewall/policies/ordering';
const api = loadUnifiApi();

export interface Seen { method: string; url: string; key?: string; body?: any; status?: number }
interface Pair { before: string[]; after: string[] }
export interface Probe { proto: 'tcp' | 'udp'; port: number; host: string; state?: 'NEW' | 'ESTABLISHED' }

export class FakeController {
  version = '10.4.57';
  store = new Map<string, any[]>();
  orderings = new Map<string, Pair>();
  tags: any[] = [];
  invalid: string[] = [];
  seen: Seen[] = [];
  /** Fail the n-th write (1-based) with HTTP 500, as a controller that dies half-way would. */
  failAt?: number;
  /** Fail every request this returns true for (HTTP 400). */
  failOn?: (s: Seen) => boolean;
  writes = 0;
  private counter = 0;
  private seeds = 0;
  server?: Server;
  url = '';

  constructor() {
    this.reset();
  }

  reset() {
    this.store = new Map(Object.keys(COLLECTIONS).map((c) => [c, []]));
    for (const [name, id] of Object.entries(ZONE)) this.zones.push({ id, name: name === 'Vpn' ? 'VPN' : name, metadata: { origin: 'SYSTEM_DEFINED' } });
    this.networks.push({ id: DEFAULT_NETWORK, management: 'GATEWAY', name: 'Default', enabled: true, vlanId: 1, default: true, zoneId: ZONE.Internal, metadata: { origin: 'SYSTEM_DEFINED' } });
    this.orderings = new Map();
    this.tags = [];
    this.invalid = [];
    this.seen = [];
    this.failAt = undefined;
    this.failOn = undefined;
    this.writes = 0;
    this.version = '10.4.57';
  }

  get networks() { return this.store.get('networks')!; }
  get zones() { return this.store.get('firewall/zones')!; }
  get wifi() { return this.store.get('wifi/broadcasts')!; }
  get policies() { return this.store.get('firewall/policies')!; }
  named(collection: string, name: string) { return this.store.get(collection)!.filter((o) => o.name === name); }
  pair(src: string, dst: string): Pair {
    const k = `${src}>${dst}`;
    if (!this.orderings.has(k)) this.orderings.set(k, { before: [], after: [] });
    return this.orderings.get(k)!;
  }

  /** The whole state, to restore it (a test runs many applies from the same starting point). */
  snapshot() { return structuredClone({ store: [...this.store], orderings: [...this.orderings], tags: this.tags, counter: this.counter }); }
  restore(s: ReturnType<FakeController['snapshot']>) {
    const c = structuredClone(s);
    this.store = new Map(c.store);
    this.orderings = new Map(c.orderings);
    this.tags = c.tags;
    this.counter = c.counter;
    this.invalid = [];
    this.seen = [];
    this.writes = 0;
  }

  /** Puts an object into the controller as if someone had made it before the test. */
  seed(collection: string, object: any, origin = 'USER_DEFINED'): string {
    const id = `bbbbbbbb-bbbb-4bbb-8bbb-${String(++this.seeds).padStart(12, '0')}`;
    const o = { ...object, id, metadata: { origin } };
    this.store.get(collection)!.push(o);
    if (collection === 'firewall/policies' && origin === 'USER_DEFINED') this.pair(o.source.zoneId, o.destination.zoneId).before.push(id);
    return id;
  }
  seedTag(name: string) {
    const id = `cccccccc-cccc-4ccc-8ccc-${String(++this.seeds).padStart(12, '0')}`;
    this.tags.push({ id, name, deviceIds: [`dddddddd-dddd-4ddd-8ddd-${String(this.seeds).padStart(12, '0')}`], metadata: { origin: 'USER_DEFINED' } });
    return id;
  }

  zoneOf(networkId: string): string | undefined {
    return this.networks.find((n) => n.id === networkId)?.zoneId;
  }

  /**
   * What the gateway does with a packet from a network to a built-in zone: the pair's user-defined
   * policies before the system-defined ones, in ordering order (then creation order), first match.
   */
  verdict(networkId: string, to: 'External' | 'Gateway', p: Probe): 'ALLOW' | 'BLOCK' {
    const src = this.zoneOf(networkId) ?? ZONE.Internal;
    const dst = ZONE[to];
    const o = this.orderings.get(`${src}>${dst}`) ?? { before: [], after: [] };
    const ids = [...o.before, 'SYSTEM', ...o.after];
    for (const id of ids) {
      // System-defined policies of a custom (or Internal) zone toward External and Gateway allow.
      if (id === 'SYSTEM') return 'ALLOW';
      const pol = this.policies.find((x) => x.id === id);
      if (pol?.enabled && matches(pol, networkId, src, dst, p)) return pol.action.type === 'ALLOW' ? 'ALLOW' : 'BLOCK';
    }
    return 'ALLOW';
  }

  async listen() {
    this.server = createServer(async (req, res) => {
      const text = await readBody(req);
      let body: any;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      const s: Seen = { method: req.method!, url: req.url!, key: req.headers['x-api-key'] as string | undefined, body };
      this.seen.push(s);
      const [status, out] = this.answer(s);
      s.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(out === undefined ? '' : JSON.stringify(out));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  }
  close() {
    return new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  answer(s: Seen): [number, unknown] {
    if (s.key !== KEY && s.key !== NET_ONLY_KEY) return [401, { statusCode: 401, message: 'bad key' }];
    if (s.method !== 'GET') {
      this.writes++;
      if (this.failAt === this.writes) return [500, { statusCode: 500, code: 'api.internal', message: `write ${this.writes} fails (test)` }];
    }
    if (this.failOn?.(s)) return [400, { statusCode: 400, code: 'api.request.invalid', message: 'rejected by the fake' }];
    const u = new URL(s.url, 'http://x');
    if (s.key === NET_ONLY_KEY && s.method !== 'GET' && u.pathname.includes('/firewall/policies')) {
      return [403, { statusCode: 403, code: 'api.authorization.forbidden', message: 'this key may not change firewall policies' }];
    }
    return this.handle(s, u);
  }

  private handle(s: Seen, u: URL): [number, unknown] {
    if (s.method === 'GET' && u.pathname === `${BASE}/v1/info`) return [200, { applicationVersion: this.version }];
    if (s.method === 'GET' && u.pathname === `${BASE}/v1/sites`) return [200, listPage([{ id: SITE, name: 'Default', internalReference: 'default' }], u.searchParams)];
    if (!u.pathname.startsWith(`${SITE_PATH}/`)) return notFound(s, u);
    const rest = u.pathname.slice(SITE_PATH.length + 1);
    const valid = (template: string) => {
      const validate = api.bodyValidator(s.method, `/v1/sites/{siteId}/${template}`)!;
      if (validate(s.body)) return true;
      this.invalid.push(`${s.method} ${template}: ${formatErrors(validate.errors)}`);
      return false;
    };
    const bad = (message: string, code = 'api.request.invalid'): [number, unknown] => [400, { statusCode: 400, code, message }];

    if (rest === 'device-tags' && s.method === 'GET') return [200, listPage(this.tags, u.searchParams)];
    if (rest === ORDERING) {
      const src = u.searchParams.get('sourceFirewallZoneId')!;
      const dst = u.searchParams.get('destinationFirewallZoneId')!;
      if (!this.zones.some((z) => z.id === src) || !this.zones.some((z) => z.id === dst)) return bad('unknown zone');
      const pair = this.pair(src, dst);
      if (s.method === 'GET') return [200, { orderedFirewallPolicyIds: { beforeSystemDefined: pair.before, afterSystemDefined: pair.after } }];
      if (s.method === 'PUT') {
        if (!valid(ORDERING)) return bad('invalid body');
        const { beforeSystemDefined: b, afterSystemDefined: a } = s.body.orderedFirewallPolicyIds;
        const listed = [...b, ...a];
        const expected = this.policies.filter((p) => p.metadata.origin === 'USER_DEFINED' && p.source.zoneId === src && p.destination.zoneId === dst).map((p) => p.id);
        if (new Set(listed).size !== listed.length || listed.length !== expected.length || !expected.every((id) => listed.includes(id))) {
          return bad('every user-defined firewall policy of the zone pair must be listed, once', 'api.firewall.policy.ordering.not-all-firewall-policies-specified');
        }
        this.orderings.set(`${src}>${dst}`, { before: [...b], after: [...a] });
        return [200, s.body];
      }
    }
    for (const [collection, idName] of Object.entries(COLLECTIONS)) {
      const objects = this.store.get(collection)!;
      if (rest === collection) {
        if (s.method === 'GET') return [200, listPage(objects.map((o) => this.view(collection, o, true)), u.searchParams)];
        if (s.method === 'POST') {
          const problem = this.check(collection, s.body) ?? (valid(collection) ? undefined : bad('invalid body'));
          if (problem) return problem;
          const object = { ...structuredClone(s.body), id: `aaaaaaaa-aaaa-4aaa-8aaa-${String(++this.counter).padStart(12, '0')}`, metadata: { origin: 'USER_DEFINED' } };
          objects.push(object);
          this.created(collection, object);
          return [201, this.view(collection, object, false)];
        }
      }
      if (rest.startsWith(`${collection}/`) && !rest.slice(collection.length + 1).includes('/')) {
        const id = decodeURIComponent(rest.slice(collection.length + 1));
        const i = objects.findIndex((o) => o.id === id);
        if (i < 0) return [404, { statusCode: 404, message: `no ${collection} ${id}` }];
        if (s.method === 'GET') return [200, this.view(collection, objects[i], false)];
        if (objects[i].metadata.origin !== 'USER_DEFINED' && s.method !== 'GET') return bad(`${objects[i].metadata.origin} objects cannot be changed`);
        if (s.method === 'PUT') {
          const problem = this.check(collection, s.body, id) ?? (valid(`${collection}/{${idName}}`) ? undefined : bad('invalid body'));
          if (problem) return problem;
          const before = objects[i];
          // PUT replaces the whole object.
          objects[i] = { ...structuredClone(s.body), id, metadata: before.metadata };
          this.updated(collection, before, objects[i]);
          return [200, this.view(collection, objects[i], false)];
        }
        if (s.method === 'DELETE') {
          this.removed(collection, objects[i]);
          objects.splice(objects.indexOf(objects[i]), 1);
          return [200, undefined];
        }
      }
    }
    return notFound(s, u);
  }

  /** What a GET shows: zones list their networks; Wi-Fi lists leave the passphrase out. */
  private view(collection: string, o: any, list: boolean) {
    if (collection === 'firewall/zones') return { ...o, networkIds: this.networks.filter((n) => n.zoneId === o.id && o.metadata.origin !== 'SYSTEM_DEFINED').map((n) => n.id) };
    if (collection === 'wifi/broadcasts' && list) {
      const { passphrase: _p, ...security } = o.securityConfiguration ?? {};
      return { ...o, securityConfiguration: security };
    }
    return o;
  }

  /** The controller's own checks beyond the document (see the class comment for each source). */
  private check(collection: string, body: any, id?: string): [number, unknown] | undefined {
    const bad = (message: string, code = 'api.request.invalid'): [number, unknown] => [400, { statusCode: 400, code, message }];
    if (collection === 'networks') {
      if (body?.management === 'GATEWAY' && body.vlanId !== 1 && !body.zoneId) return bad('zoneId is required');
      if (body?.zoneId && !this.zones.some((z) => z.id === body.zoneId)) return bad('unknown zoneId');
      if (body?.ipv4Configuration?.dhcpConfiguration && body.ipv4Configuration.dhcpConfiguration.pingConflictDetectionEnabled === undefined) return bad('pingConflictDetectionEnabled is required');
    }
    if (collection === 'firewall/policies') {
      const f = body?.ipProtocolScope?.protocolFilter;
      if (f?.type === 'NAMED_PROTOCOL' && typeof f.protocol?.name === 'string' && f.protocol.name !== f.protocol.name.toUpperCase()) {
        return bad(`unknown type id ${f.protocol.name}`, 'api.request.unknown-type-id');
      }
      for (const side of ['source', 'destination']) if (!this.zones.some((z) => z.id === body?.[side]?.zoneId)) return bad(`unknown ${side} zone`);
      const nets = body?.source?.trafficFilter?.networkFilter?.networkIds ?? [];
      if (!nets.every((n: string) => this.networks.some((x) => x.id === n))) return bad('unknown network');
    }
    if (collection === 'wifi/broadcasts') {
      if (body?.network?.type === 'SPECIFIC' && !this.networks.some((n) => n.id === body.network.networkId)) return bad('unknown network');
      const tags = body?.broadcastingDeviceFilter?.deviceTagIds ?? [];
      if (!tags.every((t: string) => this.tags.some((x) => x.id === t))) return bad('unknown device tag');
    }
    if (collection === 'firewall/zones' && (body?.networkIds ?? []).some((n: string) => !this.networks.some((x) => x.id === n))) return bad('unknown network');
    void id;
    return undefined;
  }

  private created(collection: string, o: any) {
    if (collection === 'firewall/zones') for (const n of o.networkIds) this.networks.find((x) => x.id === n)!.zoneId = o.id;
    if (collection === 'firewall/policies') {
      this.pair(o.source.zoneId, o.destination.zoneId).before.push(o.id);
      this.derive(o);
    }
  }
  private updated(collection: string, before: any, after: any) {
    if (collection === 'firewall/zones') {
      for (const n of this.networks) if (n.zoneId === after.id && !after.networkIds.includes(n.id)) n.zoneId = ZONE.Internal;
      for (const n of after.networkIds) this.networks.find((x) => x.id === n)!.zoneId = after.id;
    }
    if (collection === 'firewall/policies') {
      if (before.source.zoneId !== after.source.zoneId || before.destination.zoneId !== after.destination.zoneId) {
        this.unorder(before);
        this.pair(after.source.zoneId, after.destination.zoneId).before.push(after.id);
      }
      this.underive(before);
      this.derive(after);
    }
  }
  private removed(collection: string, o: any) {
    if (collection === 'firewall/policies') {
      this.unorder(o);
      this.underive(o);
    }
    if (collection === 'networks') for (const w of this.wifi) if (w.network?.networkId === o.id) w.network = { type: 'NATIVE' };
  }
  private unorder(o: any) {
    const p = this.pair(o.source.zoneId, o.destination.zoneId);
    p.before = p.before.filter((x) => x !== o.id);
    p.after = p.after.filter((x) => x !== o.id);
  }
  private derive(o: any) {
    if (o.action?.type !== 'ALLOW' || !o.action.allowReturnTraffic) return;
    this.policies.push({
      id: `eeeeeeee-eeee-4eee-8eee-${o.id.slice(-12)}`,
      name: `${o.name} (Return)`,
      enabled: true,
      action: { type: 'ALLOW' },
      source: { zoneId: o.destination.zoneId },
      destination: { zoneId: o.source.zoneId },
      ipProtocolScope: { ipVersion: 'IPV4' },
      connectionStateFilter: ['ESTABLISHED', 'RELATED'],
      loggingEnabled: false,
      metadata: { origin: 'DERIVED', derivedFrom: o.id },
    });
  }
  private underive(o: any) {
    const i = this.policies.findIndex((p) => p.metadata.origin === 'DERIVED' && p.metadata.derivedFrom === o.id);
    if (i >= 0) this.policies.splice(i, 1);
  }
}

function matches(pol: any, networkId: string, src: string, dst: string, p: Probe): boolean {
  if (pol.source.zoneId !== src || pol.destination.zoneId !== dst) return false;
  const nf = pol.source.trafficFilter;
  if (nf?.type === 'NETWORK' && !nf.networkFilter.networkIds.includes(networkId)) return false;
  const state = p.state ?? 'NEW';
  if (pol.connectionStateFilter && !pol.connectionStateFilter.includes(state)) return false;
  const pf = pol.ipProtocolScope?.protocolFilter;
  if (pf?.type === 'NAMED_PROTOCOL' && pf.protocol.name !== p.proto.toUpperCase()) return false;
  if (pf?.type === 'PRESET' && pf.preset.name !== 'TCP_UDP') return false;
  const tf = pol.destination.trafficFilter;
  const portOk = (f: any) => !f || f.items.some((i: any) => i.value === p.port);
  if (!tf) return true;
  if (tf.type === 'PORT') return portOk(tf.portFilter);
  // A domain also matches its subdomains (dnsmasq ipset=/domain/ semantics).
  if (tf.type === 'DOMAIN') return tf.domainFilter.domains.some((d: string) => p.host === d || p.host.endsWith(`.${d}`)) && portOk(tf.portFilter);
  if (tf.type === 'IP_ADDRESS') return tf.ipAddressFilter.items.some((i: any) => i.value === p.host) && portOk(tf.portFilter);
  return false;
}

function listPage(all: unknown[], q: URLSearchParams) {
  const offset = Number(q.get('offset') ?? 0);
  const limit = Math.min(Number(q.get('limit') ?? 25), PAGE_MAX);
  const data = all.slice(offset, offset + limit);
  return { offset, limit, count: data.length, totalCount: all.length, data };
}
const notFound = (s: Seen, u: URL): [number, unknown] => [404, { statusCode: 404, message: `no route ${s.method} ${u.pathname}` }];
const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
