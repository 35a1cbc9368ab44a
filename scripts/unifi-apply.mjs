#!/usr/bin/env node
// Applies a chargewall integration-api.json to a UniFi Network controller (Integration API, Network 10.x).
//
//   UNIFI_API_KEY=... [CHARGER_WIFI_PSK=...] node scripts/unifi-apply.mjs integration-api.json \
//       --url https://192.168.1.1 [--site <name|id>] [--base-path /proxy/network/integration] [--insecure]
//       [--timeout <seconds>] [--allow-http] [--dry-run]
//
// Placeholders (only in a request's params, query and body; a string that starts with `$`):
//   $lookup:site              the site: --site (its id, name or internal reference), else the only site
//   $lookup:zone:<Name>       a firewall zone of that site by exact name (External, Gateway)
//   $lookup:device-tag:<Name> a device tag of that site by exact name (the APs that broadcast the SSID)
//   $ref:<id>                 the id of the object the earlier request <id> created, updated or found unchanged
//   $env:<NAME>               the environment variable NAME (the Wi-Fi passphrase), which must be set
//   $$...                     a literal string starting with `$` (the first `$` is dropped)
// Any other `$` string is an error.
//
// Before the first write (GETs only, plus one no-op write check) it refuses, having changed nothing:
// - a controller version the file is not for (`GET /v1/info` against the file's `controller`);
// - an API key sent over plain http:// to a host that is not loopback (unless --allow-http);
// - a key that may not write firewall policies (the unchanged ordering of one zone pair is PUT back);
// - two user-defined objects with one of the file's names, a Wi-Fi broadcast with the file's SSID on
//   another network, a charger zone that holds networks the file does not manage.
//
// Running it again converges (installers re-apply after a spec change):
// - Only user-defined objects are the file's: a network, zone or Wi-Fi broadcast of its name, and a
//   firewall policy of its name from the file's own zone. One found: it is read, compared with the
//   file's body, and PUT (a full replace) only when they differ; its id answers later `$ref:`s.
// - After the last policy request it deletes the user-defined policies of the file's zone whose name
//   starts with `cw-<site.id>-` but which the file no longer has.
// - An ordering request (`keepForeign`) is merged into the pair's current ordering: every policy
//   someone else made in the pair keeps its place; the file's allows, then its block, take the place
//   of the file's first policy in the list (the end for new ones).
// The file's order is fail-closed (zone, blocks, network, allows, ordering, Wi-Fi last): the first
// error stops the run, which then says what state the site is in and what to do.
import { readFileSync, realpathSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pathToFileURL } from 'node:url';

export class ApplyError extends Error {}

/** What the file is written for when it does not say (files rendered before `controller` existed). */
const DEFAULT_CONTROLLER = { min: '10.2', maxMajor: 10 };

export function parseArgs(argv) {
  const opts = { file: undefined, url: undefined, site: undefined, basePath: undefined, insecure: false, dryRun: false, allowHttp: false, timeoutMs: 30000 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new ApplyError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--url') opts.url = value();
    else if (a === '--site') opts.site = value();
    else if (a === '--base-path') opts.basePath = value();
    else if (a === '--insecure') opts.insecure = true;
    else if (a === '--dry-run') opts.dryRun = true;
    else if (a === '--allow-http') opts.allowHttp = true;
    else if (a === '--timeout') {
      const t = Number(value());
      if (!Number.isFinite(t) || t <= 0 || t > 600) throw new ApplyError('--timeout takes seconds, 1 to 600');
      opts.timeoutMs = t * 1000;
    } else if (a.startsWith('-')) throw new ApplyError(`unknown option ${a}`);
    else if (!opts.file) opts.file = a;
    else throw new ApplyError(`unexpected argument ${a}`);
  }
  if (!opts.file) throw new ApplyError('usage: unifi-apply.mjs <integration-api.json> --url <controller> [--site <name|id>] [--insecure] [--timeout <s>] [--allow-http] [--dry-run]');
  if (!opts.url && !opts.dryRun) throw new ApplyError('--url is required (e.g. https://192.168.1.1)');
  return opts;
}

const isLoopback = (host) => host === 'localhost' || host === '[::1]' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/** The controller URL, checked: http(s) only, and the API key never in clear text over a network. */
function controllerUrl(opts) {
  let url;
  try {
    url = new URL(opts.url);
  } catch {
    throw new ApplyError(`--url is not a URL: ${opts.url}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new ApplyError(`--url must be http(s): ${opts.url}`);
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !opts.allowHttp) {
    throw new ApplyError(`--url ${opts.url} is plain http: the API key would cross the network unencrypted. Use https:// (with --insecure for the console's self-signed certificate), or --allow-http if you really mean it. Nothing was sent.`);
  }
  return url;
}

/** One HTTP request with the API key; resolves { status, body } (body parsed when JSON). */
function send(opts, apiKey, method, path, body) {
  const url = new URL(opts.url.replace(/\/+$/, '') + opts.basePath + path);
  const lib = url.protocol === 'https:' ? https : http;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = lib.request(
      url,
      {
        method,
        headers: {
          'X-API-Key': apiKey,
          Accept: 'application/json',
          ...(payload !== undefined && { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }),
        },
        ...(url.protocol === 'https:' && { rejectUnauthorized: !opts.insecure }),
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', reject);
      },
    );
    // A console that stops answering must not hang the run (or leave the installer guessing).
    req.setTimeout(opts.timeoutMs, () => req.destroy(new ApplyError(`${method} ${path}: no answer within ${opts.timeoutMs / 1000} s (--timeout)`)));
    req.on('error', (e) => reject(e instanceof ApplyError ? e : new ApplyError(`${method} ${path}: ${e.message}`)));
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Every object of a list endpoint, page by page (`totalCount` says when to stop; a page may be shorter than asked). */
async function getAll(controller, path) {
  const all = [];
  for (;;) {
    const r = await controller.send('GET', `${path}${path.includes('?') ? '&' : '?'}offset=${all.length}&limit=200`);
    if (r.status !== 200 || !Array.isArray(r.body?.data)) throw new ApplyError(`GET ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
    all.push(...r.body.data);
    // An empty page also ends it, so a wrong totalCount cannot loop forever.
    if (r.body.data.length === 0 || all.length >= (r.body.totalCount ?? 0)) return all;
  }
}

/** Resolves every placeholder in value; `lookup(kind, arg)` and `refs` supply the ids. */
export async function resolveValue(value, ctx) {
  if (typeof value === 'string') {
    if (value.startsWith('$$')) return value.slice(1);
    if (!value.startsWith('$')) return value;
    const m = /^\$(ref|lookup|env):(.+)$/.exec(value);
    if (!m) throw new ApplyError(`unknown placeholder ${value}`);
    const [, kind, arg] = m;
    if (kind === 'ref') {
      if (!ctx.refs.has(arg)) throw new ApplyError(`$ref:${arg} refers to a request that has not run`);
      return ctx.refs.get(arg);
    }
    if (kind === 'env') {
      if (ctx.dryRun) return `<${arg}>`;
      const v = ctx.env[arg];
      if (v === undefined || v === '') throw new ApplyError(`environment variable ${arg} is not set (needed for ${value})`);
      return v;
    }
    return ctx.lookup(arg);
  }
  if (Array.isArray(value)) {
    const out = [];
    for (const v of value) out.push(await resolveValue(v, ctx));
    return out;
  }
  if (value && typeof value === 'object') {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = await resolveValue(v, ctx);
    return out;
  }
  return value;
}

// The collections a re-run upserts by name: for these four the OpenAPI document (10.4.57) takes the
// same request schema for POST <collection> and PUT <collection>/<id>, so the body can be re-sent as is.
const NETWORKS = '/v1/sites/{siteId}/networks';
const ZONES = '/v1/sites/{siteId}/firewall/zones';
const WIFI = '/v1/sites/{siteId}/wifi/broadcasts';
const POLICIES = '/v1/sites/{siteId}/firewall/policies';
const ORDERING = '/v1/sites/{siteId}/firewall/policies/ordering';
const UPSERT_COLLECTIONS = new Map([
  [NETWORKS, 'networks'],
  [ZONES, 'firewall zones'],
  [WIFI, 'Wi-Fi broadcasts'],
  [POLICIES, 'firewall policies'],
]);
/**
 * Optional parts of a body the file decides: when the file leaves one out but the controller's
 * object has it, they differ (e.g. a device filter or a destination filter the spec no longer has).
 * Anything else the controller adds to an object (ids, metadata, defaults) does not count.
 */
const MANAGED_OPTIONAL = new Map([
  [NETWORKS, [['zoneId'], ['ipv4Configuration', 'dhcpConfiguration', 'ntpServerIpAddresses'], ['ipv4Configuration', 'dhcpConfiguration', 'gatewayIpAddressOverride']]],
  [WIFI, [['broadcastingDeviceFilter']]],
  [POLICIES, [['connectionStateFilter'], ['destination', 'trafficFilter'], ['source', 'trafficFilter'], ['ipProtocolScope', 'protocolFilter']]],
  [ZONES, []],
]);

/** A collection template filled in for one site. */
const atSite = (template, siteId) => template.replace('{siteId}', encodeURIComponent(siteId));

/** A POST that creates a named object in one of those collections: a re-run updates it instead. */
const isUpsert = (r) => r.method === 'POST' && UPSERT_COLLECTIONS.has(r.path) && typeof r.body?.name === 'string';
const userDefined = (o) => o?.metadata?.origin === 'USER_DEFINED';

/** Every string in a request's params, query and body (the only places placeholders are resolved). */
function* stringsIn(value) {
  if (typeof value === 'string') yield value;
  else if (value && typeof value === 'object') for (const v of Object.values(value)) yield* stringsIn(v);
}

/** The request's path (its `{...}` filled from params) and query string, with placeholders resolved. */
async function resolveRequest(r, ctx) {
  const params = await resolveValue(r.params ?? {}, ctx);
  const path = r.path.replace(/\{([^}]+)\}/g, (_, name) => {
    if (params[name] === undefined) throw new ApplyError(`${r.id}: no value for {${name}}`);
    return encodeURIComponent(params[name]);
  });
  const query = await resolveValue(r.query ?? {}, ctx);
  const qs = new URLSearchParams(query).toString();
  return { path, qs: qs ? `?${qs}` : '', params, query };
}

/** `want` (the file's body) is already what `have` (the controller's object) holds. */
export function sameAs(want, have, managed = []) {
  if (Array.isArray(want)) return Array.isArray(have) && want.length === have.length && want.every((w, i) => sameAs(w, have[i]));
  if (want && typeof want === 'object') {
    if (!have || typeof have !== 'object' || Array.isArray(have)) return false;
    if (!Object.entries(want).every(([k, v]) => sameAs(v, have[k]))) return false;
    // A managed optional part the file leaves out must be absent from the object too.
    return managed.every((path) => {
      let [w, h] = [want, have];
      for (const k of path.slice(0, -1)) [w, h] = [w?.[k], h?.[k]];
      const last = path.at(-1);
      return !(w && typeof w === 'object' && !(last in w) && h && typeof h === 'object' && h[last] !== undefined && h[last] !== null);
    });
  }
  return want === have;
}

/** Numeric compare of dotted versions ("10.4.57" vs "10.2"). */
function compareVersions(a, b) {
  const [pa, pb] = [a, b].map((v) => v.split('.').map(Number));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

export async function apply(doc, opts, env, log = console.log) {
  if (doc?.api !== 'UniFi Network Integration API' || !Array.isArray(doc.requests)) throw new ApplyError('not a chargewall integration-api.json');
  if (typeof doc.site?.id !== 'string' || !doc.site.id) throw new ApplyError('the file has no site.id (render it again with chargewall)');
  opts = { timeoutMs: 30000, ...opts, basePath: opts.basePath ?? doc.basePath ?? '/proxy/network/integration' };
  const apiKey = env.UNIFI_API_KEY;
  if (!apiKey && !opts.dryRun) throw new ApplyError('set UNIFI_API_KEY (UniFi Network: Settings > Control Plane > Integrations)');
  // Every $env: value must be there before anything is sent: never leave a half-applied site for a missing variable.
  const missing = [...new Set(JSON.stringify(doc.requests).match(/"\$env:[^"]+"/g) ?? [])]
    .map((p) => p.slice(6, -1))
    .filter((name) => env[name] === undefined || env[name] === '');
  if (missing.length && !opts.dryRun) throw new ApplyError(`set ${missing.join(', ')} first (the file refers to it as $env:)`);
  if (opts.dryRun) return dryRun(doc, env, log);
  controllerUrl(opts);

  const lists = new Map();
  const controller = {
    send: (method, path, body) => send(opts, apiKey, method, path, body),
    // Read once, before the first write: the plan is made from this snapshot.
    list: async (path) => {
      if (!lists.has(path)) lists.set(path, await getAll(controller, path));
      return lists.get(path);
    },
  };
  await checkVersion(doc, controller, log);
  const ids = new Map();
  const lookup = async (what) => {
    if (!ids.has(what)) ids.set(what, await lookupId(what, opts, controller, lookup));
    return ids.get(what);
  };
  const ctx = { refs: new Map(), env, lookup, dryRun: false };
  const plan = await makePlan(doc, controller, ctx);
  await checkWriteAccess(doc, plan, controller, ctx, log);
  return execute(doc, plan, controller, ctx, log);
}

/** `GET /v1/info` against the versions the file is for: refuse, having written nothing, on any other. */
async function checkVersion(doc, controller, log) {
  const want = doc.controller ?? DEFAULT_CONTROLLER;
  const r = await controller.send('GET', '/v1/info');
  const version = r.body?.applicationVersion;
  if (r.status !== 200 || typeof version !== 'string' || !/^\d+(\.\d+)*$/.test(version)) {
    throw new ApplyError(`GET /v1/info: HTTP ${r.status} ${JSON.stringify(r.body)}: cannot tell the UniFi Network version (is --url the console and --base-path right?). Nothing was changed.`);
  }
  const major = Number(version.split('.')[0]);
  if (compareVersions(version, want.min) < 0 || major > want.maxMajor) {
    throw new ApplyError(
      `UniFi Network ${version}: this file is for ${want.min} up to ${want.maxMajor}.x ` +
        (major > want.maxMajor
          ? `(written against the ${doc.version ?? '10.4.57'} API document; a newer major version is not checked): update chargewall, render again, or apply STEPS.md section 2 by hand.`
          : '(the firewall policy endpoints arrived in 10.1, and 10.1 spells the zone field differently): update UniFi Network, or apply STEPS.md section 2 by hand.') +
        ' Nothing was changed.',
    );
  }
  log(`controller: UniFi Network ${version}`);
}

/** The id behind `$lookup:<what>`. */
async function lookupId(what, opts, controller, lookup) {
  if (what === 'site') {
    const sites = await controller.list('/v1/sites');
    const match = opts.site ? sites.filter((s) => [s.id, s.name, s.internalReference].includes(opts.site)) : sites;
    if (match.length !== 1) {
      throw new ApplyError(`${opts.site ? `--site ${opts.site} matches ${match.length} sites` : `${sites.length} sites: choose one with --site`} (${sites.map((s) => s.name).join(', ')})`);
    }
    return match[0].id;
  }
  if (what.startsWith('zone:')) {
    const name = what.slice('zone:'.length);
    const zones = await controller.list(atSite(ZONES, await lookup('site')));
    const match = zones.filter((z) => z.name === name);
    if (match.length !== 1) throw new ApplyError(`zone ${name}: ${match.length} found (${zones.map((z) => z.name).join(', ')})`);
    return match[0].id;
  }
  if (what.startsWith('device-tag:')) {
    const name = what.slice('device-tag:'.length);
    const tags = await controller.list(`/v1/sites/${encodeURIComponent(await lookup('site'))}/device-tags`);
    const match = tags.filter((t) => t.name === name);
    if (match.length !== 1) {
      throw new ApplyError(
        `device tag "${name}" (targets.unifi.apDeviceTags): ${match.length} found${tags.length ? ` (tags: ${tags.map((t) => t.name).join(', ')})` : ''}. ` +
          'Tag the access points that serve the chargers in UniFi Devices with exactly that name, then run again. Nothing was changed.',
      );
    }
    return match[0].id;
  }
  throw new ApplyError(`unknown lookup $lookup:${what}`);
}

/**
 * Reads the site (GETs only) and decides what each request will do: `existing` maps a named request
 * to the object it updates (absent: it creates one), `stale` lists the policies to delete. Every
 * refusal happens here, so a refused run has written nothing.
 */
async function makePlan(doc, controller, ctx) {
  for (const s of new Set(stringsIn(doc.requests.map((r) => [r.params, r.query, r.body])))) {
    if (s.startsWith('$lookup:')) await ctx.lookup(s.slice('$lookup:'.length));
  }
  const targets = new Map(); // request id -> { r, path, params, name, same }
  const upserts = doc.requests.filter(isUpsert);
  // Zones, networks and Wi-Fi first: a policy is the file's only if it is from the file's zone.
  const byKind = [...upserts.filter((r) => r.path !== POLICIES), ...upserts.filter((r) => r.path === POLICIES)];
  let ourZone;
  for (const r of byKind) {
    const { path, params } = await resolveRequest(r, ctx);
    const name = await resolveValue(r.body.name, ctx);
    const candidates = (await controller.list(path)).filter((o) => o.name === name && userDefined(o));
    const same = r.path === POLICIES ? candidates.filter((o) => ourZone !== undefined && o.source?.zoneId === ourZone.id) : candidates;
    if (same.length > 1) {
      throw new ApplyError(
        `${r.id}: ${same.length} ${UPSERT_COLLECTIONS.get(r.path)} are named "${name}" (ids ${same.map((o) => o.id).join(', ')}); ` +
          'the file cannot tell which one it manages: delete or rename all but one in UniFi Network, then run again. Nothing was changed.',
      );
    }
    if (r.path === ZONES && same.length) ourZone = same[0];
    targets.set(r.id, { r, path, params, name, same });
  }
  const existing = new Map([...targets].filter(([, t]) => t.same.length).map(([id, t]) => [id, t.same[0].id]));
  for (const t of targets.values()) if (t.r.path === WIFI) await checkWifiIsOurs(t, targets, existing, controller);
  if (ourZone) checkZoneNetworks(ourZone, targets, existing);
  // The objects as they are (detail GETs: a list may leave fields out), to PUT only what differs.
  const current = new Map();
  for (const [id, t] of targets) {
    if (!t.same.length) continue;
    const r = await controller.send('GET', `${t.path}/${encodeURIComponent(t.same[0].id)}`);
    if (r.status !== 200 || !r.body || typeof r.body !== 'object') throw new ApplyError(`GET ${t.path}/${t.same[0].id}: HTTP ${r.status} ${JSON.stringify(r.body)}. Nothing was changed.`);
    current.set(id, r.body);
  }
  const wifiLiveBefore = [...targets.values()].some((t) => t.r.path === WIFI && t.same.length && t.same[0].enabled !== false);
  return { existing, current, ourZone, wifiLiveBefore, stale: await stalePolicies(doc, targets, ourZone, controller) };
}

/**
 * A Wi-Fi name is free text (the SSID), not one of chargewall's `cw-` names: a broadcast with that
 * name is the file's only if it is on the network the file manages. Anything else belongs to
 * someone else and is never overwritten.
 */
async function checkWifiIsOurs(t, targets, existing, controller) {
  if (!t.same.length) return;
  const found = t.same[0];
  const ref = /^\$ref:(.+)$/.exec(t.r.body.network?.networkId ?? '');
  const ourNetwork = ref ? targets.get(ref[1]) : undefined;
  const ourId = ref ? existing.get(ref[1]) : t.r.body.network?.networkId;
  const theirId = found.network?.type === 'SPECIFIC' ? found.network.networkId : undefined;
  if (ourId !== undefined && theirId === ourId) return;
  const networks = await controller.list(atSite(NETWORKS, t.params.siteId));
  const theirs = theirId === undefined ? `the ${found.network?.type === 'NATIVE' ? 'native (default)' : 'unknown'} network` : `network "${networks.find((n) => n.id === theirId)?.name ?? '?'}" (id ${theirId})`;
  const ours = ourNetwork ? `this file's network "${ourNetwork.name}" (${ourId ? `id ${ourId}` : 'not created yet'})` : "this file's network";
  throw new ApplyError(
    `${t.r.id}: a Wi-Fi broadcast named "${t.name}" already exists (id ${found.id}) on ${theirs}, not on ${ours}. ` +
      'It is not this file\'s to change: rename the SSID in the spec (wifi.ssid) and render again, or rename the existing broadcast in UniFi Network, then run again. Nothing was changed.',
  );
}

/**
 * The file's zone holds the file's network only: its blocks match the whole zone, and the zone's
 * members are set through the network's `zoneId`. A zone that also holds another network is refused.
 */
function checkZoneNetworks(zone, targets, existing) {
  const ours = [...targets.values()].filter((t) => t.r.path === NETWORKS).map((t) => existing.get(t.r.id));
  const others = (zone.networkIds ?? []).filter((n) => !ours.includes(n));
  if (others.length) {
    throw new ApplyError(
      `zone "${zone.name}" (id ${zone.id}) also holds network(s) ${others.join(', ')} that this file does not manage: its blocks would cut them off and its allows do not cover them. ` +
        'Move them to another zone in UniFi Network (Policy Engine > Zones), then run again. Nothing was changed.',
    );
  }
}

/**
 * Policies an earlier version of the spec created that this one no longer has (e.g. a removed extra
 * endpoint): an allow rule that should not exist any more. Only user-defined policies from the
 * file's own zone are searched, so site `brf` (prefix `cw-brf-`) never touches site
 * `brf-solgarden`'s policies, and UniFi's derived `(Return)` policies are never touched.
 */
async function stalePolicies(doc, targets, ourZone, controller) {
  if (!ourZone) return [];
  const prefix = `cw-${doc.site.id}-`;
  const keep = new Set([...targets.values()].filter((t) => t.r.path === POLICIES).map((t) => t.name));
  const zoneTarget = [...targets.values()].find((t) => t.r.path === ZONES);
  const path = atSite(POLICIES, zoneTarget.params.siteId);
  return (await controller.list(path))
    .filter((p) => userDefined(p) && p.source?.zoneId === ourZone.id && typeof p.name === 'string' && p.name.startsWith(prefix) && !keep.has(p.name))
    .map((p) => ({ name: p.name, id: p.id, path: `${path}/${encodeURIComponent(p.id)}` }));
}

/**
 * Before the first write: can this key write firewall policies? The Integration API has no
 * permission query, so the unchanged ordering of one zone pair (the file's own, or Internal →
 * External on a first run) is PUT back as it was read. A key that may write networks but not
 * policies is refused here, having changed nothing.
 */
async function checkWriteAccess(doc, plan, controller, ctx, log) {
  const order = doc.requests.find((r) => r.path === ORDERING);
  if (!order) return;
  const siteId = await ctx.lookup('site');
  let src = plan.ourZone?.id;
  if (!src) {
    const zones = await controller.list(atSite(ZONES, siteId));
    src = zones.find((z) => z.name === 'Internal')?.id;
  }
  const dst = await ctx.lookup('zone:External');
  if (!src) return log('write check: skipped (no Internal zone to check against)');
  const path = `${atSite(ORDERING, siteId)}?${new URLSearchParams({ sourceFirewallZoneId: src, destinationFirewallZoneId: dst })}`;
  const got = await controller.send('GET', path);
  if (got.status !== 200 || !got.body?.orderedFirewallPolicyIds) throw new ApplyError(`GET ${path}: HTTP ${got.status} ${JSON.stringify(got.body)}. Nothing was changed.`);
  const put = await controller.send('PUT', path, { orderedFirewallPolicyIds: got.body.orderedFirewallPolicyIds });
  if (put.status === 401 || put.status === 403) {
    throw new ApplyError(
      `this API key may not write firewall policies (PUT of an unchanged policy ordering: HTTP ${put.status}). ` +
        'Create the key as an admin with full Network management (Settings > Control Plane > Integrations), then run again. Nothing was changed.',
    );
  }
  if (put.status < 200 || put.status >= 300) log(`write check: inconclusive (HTTP ${put.status} ${JSON.stringify(put.body)}); continuing`);
}

/**
 * The pair's new ordering: every id the file does not list keeps its place (the controller wants
 * every user-defined policy of the pair, ubiquiti-community/go-unifi#80); the file's ids, in the
 * file's order, take the place of the first of them in the current list (at the end if none is there).
 */
export function mergeOrdering(current, ours) {
  const mine = new Set(ours);
  const before = current.beforeSystemDefined ?? [];
  const after = (current.afterSystemDefined ?? []).filter((id) => !mine.has(id));
  const firstAt = before.findIndex((id) => mine.has(id));
  const foreign = before.filter((id) => !mine.has(id));
  const at = firstAt < 0 ? foreign.length : before.slice(0, firstAt).filter((id) => !mine.has(id)).length;
  return { beforeSystemDefined: [...foreign.slice(0, at), ...ours, ...foreign.slice(at)], afterSystemDefined: after };
}

/** Sends the requests in file order; after the last policy request, deletes the stale policies. */
async function execute(doc, plan, controller, ctx, log) {
  const done = [];
  const status = new Map(); // request id -> created | updated | unchanged
  const lastPolicy = doc.requests.findLastIndex((r) => r.path === POLICIES);
  let step = '';
  try {
    if (lastPolicy < 0) await deleteStale(plan.stale, controller, done, log);
    for (const [i, r] of doc.requests.entries()) {
      step = r.id;
      const { path, qs, query } = await resolveRequest(r, ctx);
      let body = await resolveValue(r.body, ctx);
      const existingId = plan.existing.get(r.id);
      let method = r.method;
      let target = path;
      let unchanged = false;
      if (existingId !== undefined) {
        [method, target] = ['PUT', `${path}/${encodeURIComponent(existingId)}`];
        // A zone's members are set through each network's zoneId: keep the ones it has (only the
        // file's own network, checked before the first write), never empty it with a PUT.
        if (r.path === ZONES) body = { ...body, networkIds: plan.current.get(r.id).networkIds ?? [] };
        unchanged = sameAs(body, plan.current.get(r.id), MANAGED_OPTIONAL.get(r.path));
      } else if (r.keepForeign) {
        const got = await controller.send('GET', target + qs);
        if (got.status !== 200 || !got.body?.orderedFirewallPolicyIds) throw new StepError(`${r.id}: GET ${target}${qs}`, got);
        const merged = mergeOrdering(got.body.orderedFirewallPolicyIds, body.orderedFirewallPolicyIds.beforeSystemDefined);
        reportForeign(r, got.body.orderedFirewallPolicyIds, body.orderedFirewallPolicyIds.beforeSystemDefined, query, log);
        unchanged = sameAs(merged, got.body.orderedFirewallPolicyIds);
        body = { orderedFirewallPolicyIds: merged };
      }
      let objectId = existingId;
      if (unchanged) {
        status.set(r.id, 'unchanged');
        log(`${r.id}: unchanged${objectId ? ` id ${objectId}` : ''}`);
      } else {
        const res = await controller.send(method, target + qs, body);
        if (res.status < 200 || res.status >= 300) throw new StepError(`${r.id}: ${method} ${target}${qs}`, res);
        objectId ??= res.body && typeof res.body === 'object' ? res.body.id : undefined;
        const action = method === 'POST' ? 'created' : 'updated';
        status.set(r.id, action);
        done.push({ what: r.id, action, objectId });
        log(`${r.id}: ${action}${objectId ? ` id ${objectId}` : ''} (${method} ${target}${qs} -> ${res.status})`);
      }
      if (objectId !== undefined) ctx.refs.set(r.id, objectId);
      if (i === lastPolicy) await deleteStale(plan.stale, controller, done, log);
    }
  } catch (e) {
    const what = e instanceof StepError ? e.message : `${step}: ${e.message}`;
    throw new ApplyError(`${what}\nalready applied: ${describeDone(done)}\n${siteState(doc, plan, status)}`);
  }
  return done;
}

class StepError extends Error {
  constructor(what, res) {
    super(`${what} failed with HTTP ${res.status}: ${JSON.stringify(res.body)}`);
  }
}

const describeDone = (done) => (done.length ? done.map((d) => `${d.what} (${d.action}${d.objectId ? ` ${d.objectId}` : ''})`).join(', ') : 'nothing');

/** Foreign policies in one of the file's zone pairs: they stay, and the run says where they act. */
function reportForeign(r, current, ours, query, log) {
  const mine = new Set(ours);
  const before = (current.beforeSystemDefined ?? []).filter((id) => !mine.has(id));
  const after = (current.afterSystemDefined ?? []).filter((id) => !mine.has(id));
  if (!before.length && !after.length) return;
  log(
    `${r.id}: ${before.length + after.length} policy(ies) in this zone pair (${query.sourceFirewallZoneId} -> ${query.destinationFirewallZoneId}) were not made by this file ` +
      `(${[...before, ...after].join(', ')}); they keep their place. One above the file's block applies to the chargers: check it in Policy Engine > Firewall.`,
  );
}

/**
 * What a stopped run leaves, in the installer's words: is the charger SSID on the air, and is the
 * charger network held by its blocks? The file's order makes "on the air and not firewalled"
 * impossible for a run that starts from nothing; a re-run on a site someone changed may still get there.
 */
function siteState(doc, plan, status) {
  const has = (id) => doc.requests.some((r) => r.id === id);
  const there = (id) => status.has(id) || plan.existing.has(id);
  const blocks = doc.requests.filter((r) => r.path === POLICIES && r.body?.action?.type === 'BLOCK').map((r) => r.id);
  const blocked = blocks.length > 0 && blocks.every(there);
  const ordered = doc.requests.filter((r) => r.keepForeign).every((r) => status.has(r.id));
  const ssid = typeof doc.ssid === 'string' ? (doc.ssid.startsWith('$$') ? doc.ssid.slice(1) : doc.ssid) : undefined;
  const networkThere = has('network') && there('network');
  const wifiLive = has('wifi') && (status.has('wifi') || plan.wifiLiveBefore);
  const cut = ordered ? '' : ' Allow policies made in this run may still sit below the block, so chargers may be cut off from the cloud until a run completes.';
  if (has('wifi')) {
    if (wifiLive && !blocked) {
      return `SITE STATE: charger network NOT firewalled: the SSID "${ssid}" is on the air and the chargewall blocks are ${blocks.length ? 'not all in place' : 'not part of this spec (policy.defaultDeny: false)'}. ${blocks.length ? `Disable the SSID "${ssid}" now (Settings > WiFi > ${ssid} > off), fix the cause above and run again.` : 'That is what the spec asks for.'}`;
    }
    if (wifiLive) return `SITE STATE: the SSID "${ssid}" is on the air and its network is firewalled (the blocks are in place).${cut} Fix the cause above and run again.`;
    return `SITE STATE: the charger SSID "${ssid}" is NOT on the air (the Wi-Fi comes last and was not reached), so no charger can connect; ${networkThere ? `the charger network exists${blocked ? ' behind its blocks' : ''}` : 'the charger network does not exist yet'}. Nothing is open. Fix the cause above and run again: the run picks up where it stopped.`;
  }
  if (networkThere && !blocked && blocks.length) {
    return 'SITE STATE: charger network NOT firewalled: the network exists without its blocks. Keep chargers off its VLAN (switch port profiles), fix the cause above and run again.';
  }
  return `SITE STATE: ${networkThere ? `the charger network exists${blocked ? ' behind its blocks' : ''}` : 'the charger network does not exist yet'}.${cut} Fix the cause above and run again: the run picks up where it stopped.`;
}

async function deleteStale(stale, controller, done, log) {
  for (const p of stale) {
    const res = await controller.send('DELETE', p.path);
    if (res.status < 200 || res.status >= 300) throw new StepError(`${p.name}: DELETE ${p.path}`, res);
    done.push({ what: p.name, action: 'deleted', objectId: p.id });
    log(`${p.name}: deleted id ${p.id}, not in this file any more (DELETE ${p.path} -> ${res.status})`);
  }
}

/** --dry-run: no controller, so whether a named request is a POST or a PUT is only said, not decided. */
async function dryRun(doc, env, log) {
  const refs = new Map();
  const ctx = { refs, env, lookup: async (what) => `<${what}>`, dryRun: true };
  const lastPolicy = doc.requests.findLastIndex((r) => r.path === POLICIES);
  log(`GET /v1/info: refuse unless UniFi Network ${(doc.controller ?? DEFAULT_CONTROLLER).min} up to ${(doc.controller ?? DEFAULT_CONTROLLER).maxMajor}.x`);
  if (doc.requests.some((r) => r.path === ORDERING)) log('write check: PUT the unchanged ordering of one zone pair back as read (refuse on 401/403)');
  for (const [i, r] of doc.requests.entries()) {
    const { path, qs } = await resolveRequest(r, ctx);
    await resolveValue(r.body, ctx); // an unknown placeholder fails here as it would when applying
    const [shown, query] = [decodeURIComponent(path), decodeURIComponent(qs)];
    if (isUpsert(r)) {
      const name = await resolveValue(r.body.name, ctx);
      log(`${r.id}: POST ${shown}${query}, or PUT ${shown}/<id>${query} if one named ${JSON.stringify(name)} exists and differs (decided at apply time)`);
    } else if (r.keepForeign) log(`${r.id}: ${r.method} ${shown}${query}, merged into the pair's current ordering (policies of others keep their place)`);
    else log(`${r.id}: ${r.method} ${shown}${query}`);
    refs.set(r.id, `<${r.id}>`);
    if (i === lastPolicy) log(`stale policies: DELETE every user-defined policy from this file's zone named cw-${doc.site.id}-* that the file does not list (found at apply time)`);
  }
  return [];
}

// Run as a program: `node scripts/unifi-apply.mjs`, or the package's bin `chargewall-unifi-apply`,
// which npm installs as a symlink (node_modules/.bin/): Node gives import.meta.url the resolved path.
function isMain() {
  try {
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const doc = JSON.parse(readFileSync(opts.file, 'utf8'));
    await apply(doc, opts, process.env);
  } catch (e) {
    if (e instanceof ApplyError || e?.code === 'ENOENT' || e instanceof SyntaxError) {
      console.error(`unifi-apply: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
