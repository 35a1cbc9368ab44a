#!/usr/bin/env node
// Applies a chargewall integration-api.json to a UniFi Network controller (Integration API, Network 10.x).
//
//   UNIFI_API_KEY=... [CHARGER_WIFI_PSK=...] node scripts/unifi-apply.mjs integration-api.json \
//       --url https://192.168.1.1 [--site <name|id>] [--base-path /proxy/network/integration] [--insecure] [--dry-run]
//
// Placeholders (only in a request's params, query and body; a string that starts with `$`):
//   $lookup:site          the site: --site (its id, name or internal reference), else the only site
//   $lookup:zone:<Name>   a firewall zone of that site by exact name (External, Gateway)
//   $ref:<id>             the `id` the controller returned for the earlier request <id>
//   $env:<NAME>           the environment variable NAME (the Wi-Fi passphrase), which must be set
//   $$...                 a literal string starting with `$` (the first `$` is dropped)
// Any other `$` string is an error. Requests are sent in order; the first error stops the run and
// the objects created so far are listed (the file is for a fresh apply: running it twice creates
// the objects twice).
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

async function getAll(opts, apiKey, path) {
  const r = await send(opts, apiKey, 'GET', `${path}${path.includes('?') ? '&' : '?'}limit=200`);
  if (r.status !== 200 || !Array.isArray(r.body?.data)) throw new ApplyError(`GET ${path}: HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data;
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

export async function apply(doc, opts, env, log = console.log) {
  if (doc?.api !== 'UniFi Network Integration API' || !Array.isArray(doc.requests)) throw new ApplyError('not a chargewall integration-api.json');
  opts = { ...opts, basePath: opts.basePath ?? doc.basePath ?? '/proxy/network/integration' };
  const apiKey = env.UNIFI_API_KEY;
  if (!apiKey && !opts.dryRun) throw new ApplyError('set UNIFI_API_KEY (UniFi Network: Settings > Control Plane > Integrations)');
  // Every $env: value must be there before anything is sent: never leave a half-applied site for a missing variable.
  const missing = [...new Set(JSON.stringify(doc.requests).match(/"\$env:[^"]+"/g) ?? [])]
    .map((p) => p.slice(6, -1))
    .filter((name) => env[name] === undefined || env[name] === '');
  if (missing.length && !opts.dryRun) throw new ApplyError(`set ${missing.join(', ')} first (the file refers to it as $env:)`);
  const refs = new Map();
  const cache = new Map();
  let siteId;
  const lookup = async (what) => {
    if (opts.dryRun) return `<${what}>`;
    if (cache.has(what)) return cache.get(what);
    let id;
    if (what === 'site') {
      const sites = await getAll(opts, apiKey, '/v1/sites');
      const match = opts.site ? sites.filter((s) => [s.id, s.name, s.internalReference].includes(opts.site)) : sites;
      if (match.length !== 1) {
        throw new ApplyError(`${opts.site ? `--site ${opts.site} matches ${match.length} sites` : `${sites.length} sites: choose one with --site`} (${sites.map((s) => s.name).join(', ')})`);
      }
      id = match[0].id;
    } else if (what.startsWith('zone:')) {
      const name = what.slice('zone:'.length);
      if (!siteId) siteId = await lookup('site');
      const zones = await getAll(opts, apiKey, `/v1/sites/${encodeURIComponent(siteId)}/firewall/zones`);
      const match = zones.filter((z) => z.name === name);
      if (match.length !== 1) throw new ApplyError(`zone ${name}: ${match.length} found (${zones.map((z) => z.name).join(', ')})`);
      id = match[0].id;
    } else throw new ApplyError(`unknown lookup $lookup:${what}`);
    cache.set(what, id);
    return id;
  };
  const ctx = { refs, env, lookup, dryRun: opts.dryRun };
  const done = [];
  for (const r of doc.requests) {
    const params = await resolveValue(r.params ?? {}, ctx);
    if (params.siteId) siteId = params.siteId;
    const query = await resolveValue(r.query ?? {}, ctx);
    const body = await resolveValue(r.body, ctx);
    let path = r.path.replace(/\{([^}]+)\}/g, (_, name) => {
      if (params[name] === undefined) throw new ApplyError(`${r.id}: no value for {${name}}`);
      return encodeURIComponent(params[name]);
    });
    const qs = new URLSearchParams(query).toString();
    if (qs) path += `?${qs}`;
    if (opts.dryRun) {
      log(`${r.id}: ${r.method} ${decodeURIComponent(path)}`);
      refs.set(r.id, `<${r.id}>`);
      continue;
    }
    const res = await send(opts, apiKey, r.method, path, body);
    if (res.status < 200 || res.status >= 300) {
      const created = done.length ? done.map((d) => `${d.id} (${d.created ?? 'no id'})`).join(', ') : 'nothing';
      throw new ApplyError(`${r.id}: ${r.method} ${path} failed with HTTP ${res.status}: ${JSON.stringify(res.body)}\nalready applied: ${created}`);
    }
    const created = res.body && typeof res.body === 'object' ? res.body.id : undefined;
    if (created !== undefined) refs.set(r.id, created);
    done.push({ id: r.id, created });
    log(`${r.id}: ${r.method} ${path} -> ${res.status}${created ? ` id ${created}` : ''}`);
  }
  return done;
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
