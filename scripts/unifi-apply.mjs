#!/usr/bin/env node
// Applies a chargewall integration-api.json to a UniFi Network controller (Integration API, Network 10.x).
//
//   UNIFI_API_KEY=... [CHARGER_WIFI_PSK=...] node scripts/unifi-apply.mjs integration-api.json \
//       --url https://192.168.1.1 [--site <name|id>] [--base-path /proxy/network/integration] [--insecure] [--dry-run]
//
// Placeholders (only in a request's params, query and body; a string that starts with `$`):
//   $lookup:site          the site: --site (its id, name or internal reference), else the only site
//   $lookup:zone:<Name>   a firewall zone of that site by exact name (External, Gateway)
//   $ref:<id>             the id of the object the earlier request <id> created or updated
//   $env:<NAME>           the environment variable NAME (the Wi-Fi passphrase), which must be set
//   $$...                 a literal string starting with `$` (the first `$` is dropped)
// Any other `$` string is an error.
//
// Running it again converges instead of duplicating (installers re-apply after a spec change):
// - Before the first write it reads the site (GETs only): each POST of a named network, firewall
//   zone, Wi-Fi broadcast or firewall policy becomes a PUT to the one existing object of that name
//   (its id then answers later `$ref:`s). It refuses, having written nothing, when two objects share
//   such a name, or when a Wi-Fi broadcast with the file's SSID is on another network than the file's.
// - After the named objects, it deletes the firewall policies from the file's own zone whose name
//   starts with `cw-<site.id>-` but which the file no longer has (left over from an earlier spec).
// Requests are sent in order; the first error stops the run and lists what was already created,
// updated or deleted.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { pathToFileURL } from 'node:url';

export class ApplyError extends Error {}

export function parseArgs(argv) {
  const opts = { file: undefined, url: undefined, site: undefined, basePath: undefined, insecure: false, dryRun: false };
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
    else if (a.startsWith('-')) throw new ApplyError(`unknown option ${a}`);
    else if (!opts.file) opts.file = a;
    else throw new ApplyError(`unexpected argument ${a}`);
  }
  if (!opts.file) throw new ApplyError('usage: unifi-apply.mjs <integration-api.json> --url <controller> [--site <name|id>] [--insecure] [--dry-run]');
  if (!opts.url && !opts.dryRun) throw new ApplyError('--url is required (e.g. https://192.168.1.1)');
  return opts;
}

/** One HTTP request with the API key; resolves { status, body } (body parsed when JSON). */
function send(opts, apiKey, method, path, body) {
  const url = new URL(opts.url.replace(/\/+$/, '') + opts.basePath + path);
  const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!lib) throw new ApplyError(`--url must be http(s): ${opts.url}`);
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
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Every object of a list endpoint, page by page (`totalCount` says when to stop; a page may be shorter than asked). */
async function getAll(opts, apiKey, path) {
  const all = [];
  for (;;) {
    const r = await send(opts, apiKey, 'GET', `${path}${path.includes('?') ? '&' : '?'}offset=${all.length}&limit=200`);
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
const UPSERT_COLLECTIONS = new Map([
  [NETWORKS, 'networks'],
  [ZONES, 'firewall zones'],
  [WIFI, 'Wi-Fi broadcasts'],
  [POLICIES, 'firewall policies'],
]);

/** A collection template filled in for one site. */
const atSite = (template, siteId) => template.replace('{siteId}', encodeURIComponent(siteId));

/** A POST that creates a named object in one of those collections: a re-run updates it instead. */
const isUpsert = (r) => r.method === 'POST' && UPSERT_COLLECTIONS.has(r.path) && typeof r.body?.name === 'string';

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
  const qs = new URLSearchParams(await resolveValue(r.query ?? {}, ctx)).toString();
  return { path, qs: qs ? `?${qs}` : '', params };
}

export async function apply(doc, opts, env, log = console.log) {
  if (doc?.api !== 'UniFi Network Integration API' || !Array.isArray(doc.requests)) throw new ApplyError('not a chargewall integration-api.json');
  if (typeof doc.site?.id !== 'string' || !doc.site.id) throw new ApplyError('the file has no site.id (render it again with chargewall)');
  opts = { ...opts, basePath: opts.basePath ?? doc.basePath ?? '/proxy/network/integration' };
  const apiKey = env.UNIFI_API_KEY;
  if (!apiKey && !opts.dryRun) throw new ApplyError('set UNIFI_API_KEY (UniFi Network: Settings > Control Plane > Integrations)');
  // Every $env: value must be there before anything is sent: never leave a half-applied site for a missing variable.
  const missing = [...new Set(JSON.stringify(doc.requests).match(/"\$env:[^"]+"/g) ?? [])]
    .map((p) => p.slice(6, -1))
    .filter((name) => env[name] === undefined || env[name] === '');
  if (missing.length && !opts.dryRun) throw new ApplyError(`set ${missing.join(', ')} first (the file refers to it as $env:)`);
  if (opts.dryRun) return dryRun(doc, env, log);

  const lists = new Map();
  const controller = {
    send: (method, path, body) => send(opts, apiKey, method, path, body),
    // Read once, before the first write: the plan is made from this snapshot.
    list: async (path) => {
      if (!lists.has(path)) lists.set(path, await getAll(opts, apiKey, path));
      return lists.get(path);
    },
  };
  const ids = new Map();
  const lookup = async (what) => {
    if (!ids.has(what)) ids.set(what, await lookupId(what, opts, controller, lookup));
    return ids.get(what);
  };
  const ctx = { refs: new Map(), env, lookup, dryRun: false };
  const plan = await makePlan(doc, controller, ctx);
  return execute(doc, plan, controller, ctx, log);
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
  throw new ApplyError(`unknown lookup $lookup:${what}`);
}

/**
 * Reads the site (GETs only) and decides what each request will do: `existing` maps a named
 * request to the object it updates (absent: it creates one), `stale` lists the policies to delete.
 * Every refusal happens here, so a refused run has written nothing.
 */
async function makePlan(doc, controller, ctx) {
  for (const s of new Set(stringsIn(doc.requests.map((r) => [r.params, r.query, r.body])))) {
    if (s.startsWith('$lookup:')) await ctx.lookup(s.slice('$lookup:'.length));
  }
  const targets = new Map(); // request id -> { r, path, params, name, same }
  for (const r of doc.requests.filter(isUpsert)) {
    const { path, params } = await resolveRequest(r, ctx);
    const name = await resolveValue(r.body.name, ctx);
    const same = (await controller.list(path)).filter((o) => o.name === name);
    if (same.length > 1) {
      throw new ApplyError(
        `${r.id}: ${same.length} ${UPSERT_COLLECTIONS.get(r.path)} are named "${name}" (ids ${same.map((o) => o.id).join(', ')}); ` +
          'the file cannot tell which one it manages: delete or rename all but one in UniFi Network, then run again. Nothing was changed.',
      );
    }
    targets.set(r.id, { r, path, params, name, same });
  }
  const existing = new Map([...targets].filter(([, t]) => t.same.length).map(([id, t]) => [id, t.same[0].id]));
  for (const t of targets.values()) if (t.r.path === WIFI) await checkWifiIsOurs(t, targets, existing, controller);
  return { existing, stale: await stalePolicies(doc, targets, existing, controller) };
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
 * Policies an earlier version of the spec created that this one no longer has (e.g. a removed extra
 * endpoint): an allow rule that should not exist any more. Only the file's own zone is searched, so
 * site `brf` (prefix `cw-brf-`) never touches site `brf-solgarden`'s policies.
 */
async function stalePolicies(doc, targets, existing, controller) {
  const prefix = `cw-${doc.site.id}-`;
  const zoneTargets = [...targets.values()].filter((t) => t.r.path === ZONES && existing.has(t.r.id));
  const zoneIds = new Set(zoneTargets.map((t) => existing.get(t.r.id)));
  const keep = new Set([...targets.values()].filter((t) => t.r.path === POLICIES).map((t) => t.name));
  const stale = [];
  for (const siteId of new Set(zoneTargets.map((t) => t.params.siteId))) {
    const path = atSite(POLICIES, siteId);
    for (const p of await controller.list(path)) {
      if (zoneIds.has(p.source?.zoneId) && typeof p.name === 'string' && p.name.startsWith(prefix) && !keep.has(p.name)) {
        stale.push({ name: p.name, id: p.id, path: `${path}/${encodeURIComponent(p.id)}` });
      }
    }
  }
  return stale;
}

/** Sends the requests in file order, then (after the last named object) deletes the stale policies. */
async function execute(doc, plan, controller, ctx, log) {
  const done = [];
  const fail = (what, res) => {
    const applied = done.length ? done.map((d) => `${d.what} (${d.action}${d.objectId ? ` ${d.objectId}` : ''})`).join(', ') : 'nothing';
    return new ApplyError(`${what} failed with HTTP ${res.status}: ${JSON.stringify(res.body)}\nalready applied: ${applied}`);
  };
  const lastUpsert = doc.requests.findLastIndex(isUpsert);
  for (const [i, r] of doc.requests.entries()) {
    const { path, qs } = await resolveRequest(r, ctx);
    const body = await resolveValue(r.body, ctx);
    const existingId = plan.existing.get(r.id);
    const [method, target] = existingId === undefined ? [r.method, path] : ['PUT', `${path}/${encodeURIComponent(existingId)}`];
    const res = await controller.send(method, target + qs, body);
    if (res.status < 200 || res.status >= 300) throw fail(`${r.id}: ${method} ${target}${qs}`, res);
    const objectId = existingId ?? (res.body && typeof res.body === 'object' ? res.body.id : undefined);
    if (objectId !== undefined) ctx.refs.set(r.id, objectId);
    const action = method === 'POST' ? 'created' : method === 'DELETE' ? 'deleted' : 'updated';
    done.push({ what: r.id, action, objectId });
    log(`${r.id}: ${action}${objectId ? ` id ${objectId}` : ''} (${method} ${target}${qs} -> ${res.status})`);
    if (i === lastUpsert) await deleteStale(plan.stale, controller, done, fail, log);
  }
  return done;
}

async function deleteStale(stale, controller, done, fail, log) {
  for (const p of stale) {
    const res = await controller.send('DELETE', p.path);
    if (res.status < 200 || res.status >= 300) throw fail(`${p.name}: DELETE ${p.path}`, res);
    done.push({ what: p.name, action: 'deleted', objectId: p.id });
    log(`${p.name}: deleted id ${p.id}, not in this file any more (DELETE ${p.path} -> ${res.status})`);
  }
}

/** --dry-run: no controller, so whether a named request is a POST or a PUT is only said, not decided. */
async function dryRun(doc, env, log) {
  const refs = new Map();
  const ctx = { refs, env, lookup: async (what) => `<${what}>`, dryRun: true };
  const lastUpsert = doc.requests.findLastIndex(isUpsert);
  for (const [i, r] of doc.requests.entries()) {
    const { path, qs } = await resolveRequest(r, ctx);
    await resolveValue(r.body, ctx); // an unknown placeholder fails here as it would when applying
    const [shown, query] = [decodeURIComponent(path), decodeURIComponent(qs)];
    if (isUpsert(r)) {
      const name = await resolveValue(r.body.name, ctx);
      log(`${r.id}: POST ${shown}${query}, or PUT ${shown}/<id>${query} if one named ${JSON.stringify(name)} exists (decided at apply time)`);
    } else log(`${r.id}: ${r.method} ${shown}${query}`);
    refs.set(r.id, `<${r.id}>`);
    if (i === lastUpsert && doc.requests.some((q) => isUpsert(q) && q.path === ZONES)) {
      log(`stale policies: DELETE every policy from this file's zone named cw-${doc.site.id}-* that the file does not list (found at apply time)`);
    }
  }
  return [];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const opts = parseArgs(process.argv.slice(2));
    const doc = JSON.parse(readFileSync(opts.file, 'utf8'));
    await apply(doc, opts, process.env);
  } catch (e) {
    if (e instanceof ApplyError || e?.code === 'ENOENT' || e?.code === 'ECONNREFUSED' || e instanceof SyntaxError) {
      console.error(`unifi-apply: ${e.message}`);
      process.exit(1);
    }
    throw e;
  }
}
