import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'yaml';
import { renderSpec } from '../src/pipeline.js';
import { targetIds } from '../src/targets/registry.js';
import { allCommands, parseScript, type Command } from '../src/targets/mikrotik/script.js';
import { child, childrenNamed, parseXml, textOf, type XNode } from '../src/targets/pfsense/xml.js';
import { apiLiteral } from '../src/targets/unifi/escape.js';
import { isIPv4 } from '../src/util/ipv4.js';
import type { Profile } from '../src/profiles/types.js';
import type { Plan } from '../src/plan/types.js';
import { freeText, holdable, hostileText, propertyRuns, textAcceptable } from './arbitraries.js';
import { requireTools, root, sharedData } from './helpers.js';
import { checkScript, tree } from './mikrotik-tree.js';
import { formatErrors, loadUnifiApi, resolvePlaceholders } from './unifi-openapi.js';

/**
 * Issue 17: a custom profile is untrusted input. Every profile field, generated hostile or valid at
 * the edges (63-character labels, 253-character names, 64 hosts a group so lists pass 1024 bytes,
 * `$` placeholders, control characters), for every target:
 * - a bad value is refused, with every error in the profile file at the bad value (never line 1),
 *   and nothing is rendered;
 * - a valid profile renders, every file passes the target's real parser (dnsmasq --test, ipset restore
 *   + iptables-restore --test in a namespace, nft -c, the RouterOS command tree, xmllint, the UniFi
 *   OpenAPI document), no Linux line reaches 1024 bytes, the admin's own ipsets are untouched;
 * - structure: the set of rules, sets, commands, elements and requests is that of the same profile
 *   with plain text; hosts decode back out of every output exactly as the profile lists them.
 */
type Files = Record<string, string>;
const SITE = 'pp';
const dir = mkdtempSync(join(tmpdir(), 'cw-profile-hostile-'));
const profileFile = join(dir, 'p.yaml');
const specFile = join(dir, 'site.yaml');
const ids = targetIds();
const env = { CHARGER_WIFI_PSK: 'Zq9-unique-Psk-7x' };
const pfBackup = readFileSync(join(sharedData, 'pfsense', 'default-config.xml'), 'utf8').replace(
  '\t</interfaces>\n',
  '\t\t<opt1>\n\t\t\t<descr><![CDATA[CHARGERS]]></descr>\n\t\t\t<if>em1.78</if>\n\t\t\t<enable></enable>\n\t\t\t<ipaddr>10.78.0.1</ipaddr>\n\t\t\t<subnet>24</subnet>\n\t\t</opt1>\n\t</interfaces>\n',
);
const spec = (dns: string) => `version: 1
site: { id: ${SITE}, name: Profile garage }
profile: ./p.yaml
chargers:
  count: 4
  units:
    - { name: P-01, mac: "98:3d:ae:00:00:01", ip: 10.78.0.10, rssi: -60 }
network: { subnet: 10.78.0.0/24, vlan: 78 }
wifi: { ssid: Chargers, passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE }
policy: { dns: ${dns} }
targets:
  iptables: { lanInterface: br-cw, wanInterface: eth0 }
  nftables: { lanInterface: br-cw, wanInterface: eth0 }
  mikrotik: { routeros: 7, interface: bridge-chargers, wifi: wifi, wifiInterface: wifi2 }
  pfsense: { interface: opt1 }
  unifi: { apiVersion: "10" }
`;

// ---------------------------------------------------------------- arbitraries
/**
 * A value and whether validation must accept it (known by construction, not by asking the validator);
 * a refused one says which pass refuses it: the schema (shape, length, range) or the rules (control characters).
 */
type V<T> = { v: T; ok: boolean; pass?: 'schema' | 'rule' };
const good = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<V<T>> => a.map((v) => ({ v, ok: true }));
const bad = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<V<T>> => a.map((v) => ({ v, ok: false, pass: 'schema' as const }));
const mostlyGood = <T>(g: fc.Arbitrary<T>, b: fc.Arbitrary<T>) => fc.oneof({ weight: 30, arbitrary: good(g) }, { weight: 1, arbitrary: bad(b) });

const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
const ldh = fc.constantFrom(...(alnum + '-').split(''));
const edge = fc.constantFrom(...alnum.split(''));
/** An RFC 1123 label of 1..max characters. */
const dnsLabel = (max: number) =>
  fc.oneof(edge, fc.tuple(edge, fc.array(ldh, { maxLength: max - 2 }), edge).map(([a, m, b]) => a + m.join('') + b));
/** A last label with a letter, so it is never a number (nor 0x-hex, which starts with a digit). */
const topLabel = fc.tuple(fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'.split('')), fc.array(ldh, { maxLength: 10 }), edge).map(([a, m, b]) => a + m.join('') + b);
const shortHost = fc.tuple(fc.array(dnsLabel(63), { minLength: 1, maxLength: 3 }), topLabel).map(([ls, t]) => [...ls, t].join('.')).filter((h) => h.length <= 253);
/** Exactly 253 characters: four labels of 63, 63, 63 and 61. */
const maxHost = fc.tuple(fc.constantFrom(...alnum.split('')), fc.nat(1000)).map(([c, n]) => {
  const l = (len: number, k: number) => (c + String(n + k)).padEnd(len, c).slice(0, len).replace(/^[^a-z0-9]|[^a-z0-9]$/g, 'a');
  return `${l(63, 1)}.${l(63, 2)}.${l(63, 3)}.z${l(60, 4)}`;
});
const validHost = fc.oneof({ weight: 5, arbitrary: shortHost }, { weight: 1, arbitrary: maxHost });
const badHost = fc.oneof(
  fc.constantFrom(
    '0.0.0.0', '192.11010305', '0x7f.1', '0x7f.0x1', '203.0.113.7', 'a.b.', '*.example.com', '-a.example.com', 'a-.example.com', 'localhost', '',
    `${'x'.repeat(64)}.example.com`, `${'a.'.repeat(127)}com`, '$env:UNIFI_API_KEY', '$env:CHARGER_WIFI_PSK', '$ref:network', 'no.pool.ntp.org/cw-x\ndhcp-script=/tmp/pwn.sh\n#',
    'pool.ntp.org 0.0.0.0/0', 'API.example.com', 'a.b | x |', 'a.b"', 'a.b;reboot', '$(reboot).example.com', 'a..b.com', 'ex_ample.com',
  ),
  hostileText(80).filter((s) => /[^a-z0-9.-]/.test(s)),
);
const labelChars = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 ._()+/-ÅÄÖåäöΩ'.split(''));
const labelEdge = fc.constantFrom(...'ABCZabcz0189ÅöΩ'.split(''));
const validLabel = fc.oneof(labelEdge, fc.tuple(labelEdge, fc.array(labelChars, { maxLength: 38 }), labelEdge).map(([a, m, b]) => a + m.join('') + b));
const badLabel = fc.oneof(hostileText(60).filter((s) => /[^\p{L}\p{N} ._()+/-]/u.test(s) || s.length > 40 || !/^[\p{L}\p{N}]/u.test(s)), fc.constant('x'.repeat(41)), fc.constant('$env:UNIFI_API_KEY'));
/** Free text up to `max`: accepted unless it holds a character no output can hold on one line. */
const text = (max: number): fc.Arbitrary<V<string>> =>
  fc.oneof(
    // Hostile text with what no output can hold removed (accepted), as drawn (refused by the rules when it holds a control character), too long.
    { weight: 40, arbitrary: freeText(max).map((v) => holdable(v)).filter((v) => v.trim().length > 0).map((v): V<string> => ({ v, ok: true })) },
    { weight: 4, arbitrary: freeText(max).map((v): V<string> => (textAcceptable(v) ? { v, ok: true } : { v, ok: false, pass: 'rule' })) },
    { weight: 1, arbitrary: fc.constant<V<string>>({ v: `${'y'.repeat(max)} and more`, ok: false, pass: 'schema' }) },
  );
const groupId = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/).filter((s) => !['ntp', 'dns', 'dhcp', 'dns-fallback'].includes(s) && !s.endsWith('-ip'));

interface Gen {
  name: V<string>; vendor: V<string>; source: V<string>;
  endpoints: { id: string; name: V<string>; protocol: 'tcp' | 'udp'; ports: number[]; hosts: V<string>[]; purpose: V<string>; requirement: V<string> }[];
  ntpHost: V<string>; ntpReq: V<string>; dnsReq: V<string>; dhcpReq: V<string>; reason: V<string>; wifiReq: V<string>; trafficReq: V<string>;
  minSignal: V<number>; perDay: V<number>; resolvers: string[]; dns: 'redirect' | 'allow-fallback';
  app: V<string>; appView: V<string>; portal: V<string>;
}
const endpoint = fc.record({
  name: mostlyGood(validLabel, badLabel),
  protocol: fc.constantFrom('tcp' as const, 'udp' as const),
  ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 20 }),
  hosts: fc.oneof(
    { weight: 4, arbitrary: fc.array(mostlyGood(validHost, badHost), { minLength: 1, maxLength: 6 }) },
    // Long lists of long names: every list-shaped line would pass 1024 bytes unless split.
    { weight: 1, arbitrary: fc.array(good(fc.oneof(maxHost, shortHost)), { minLength: 20, maxLength: 64 }) },
  ),
  purpose: text(300),
  requirement: text(500),
});
const gen: fc.Arbitrary<Gen> = fc.record({
  name: text(64), vendor: text(64), source: text(500),
  endpoints: fc.uniqueArray(fc.tuple(groupId, endpoint), { minLength: 1, maxLength: 5, selector: ([id]) => id }).map((l) => l.map(([id, e]) => ({ id, ...e }))),
  ntpHost: mostlyGood(validHost, badHost), ntpReq: text(500), dnsReq: text(500), dhcpReq: text(500), reason: text(500), wifiReq: text(500), trafficReq: text(500),
  minSignal: mostlyGood(fc.integer({ min: -100, max: -61 }), fc.constantFrom(-1e21, -101, 0, 5)),
  perDay: mostlyGood(fc.double({ min: 0, max: 100000, noNaN: true }), fc.constantFrom(1e21, -1, 100001)),
  resolvers: fc.uniqueArray(fc.constantFrom('8.8.8.8', '1.1.1.1', '9.9.9.9', '203.0.113.53'), { minLength: 1, maxLength: 4 }),
  dns: fc.constantFrom('redirect' as const, 'allow-fallback' as const),
  app: text(64), appView: text(64), portal: text(64),
});

/** The profile, its bad paths split by validation pass (schema first; the rules run only on a schema-valid profile). */
function build(g: Gen, plain = false) {
  const t = (x: V<string>) => (plain ? 'Plain' : x.v);
  const schemaBad: string[] = [];
  const ruleBad: string[] = [];
  const textField = (x: V<string>, path: string) => {
    if (!x.ok) (x.pass === 'rule' ? ruleBad : schemaBad).push(path);
  };
  const seen = new Set<string>([g.ntpHost.v]);
  const profile: Profile = {
    id: 'hostile-profile',
    name: t(g.name), vendor: t(g.vendor), source: t(g.source),
    endpoints: g.endpoints.map((e, i) => {
      const hosts: string[] = [];
      e.hosts.forEach((h) => {
        if (h.ok && seen.has(h.v)) return; // one host, one group (a duplicate has its own test)
        if (!h.ok) schemaBad.push(`endpoints.${i}.hosts.${hosts.length}`);
        seen.add(h.v);
        hosts.push(h.v);
      });
      if (!hosts.length) hosts.push(`g${i}.example.net`);
      if (!e.name.ok) schemaBad.push(`endpoints.${i}.name`);
      textField(e.purpose, `endpoints.${i}.purpose`);
      textField(e.requirement, `endpoints.${i}.requirement`);
      return { id: e.id, name: plain ? 'Plain' : e.name.v, protocol: e.protocol, ports: e.ports, hosts, purpose: t(e.purpose), requirement: t(e.requirement) };
    }),
    ntp: { host: g.ntpHost.v, fixed: true, requirement: t(g.ntpReq) },
    dns: { fallbackResolvers: g.resolvers, requirement: t(g.dnsReq) },
    dhcp: { requirement: t(g.dhcpReq) },
    wifi: { band: '2.4GHz', standards: ['b', 'g', 'n'], channels: { min: 1, max: 11, reason: t(g.reason) }, minSignalDbm: g.minSignal.v, widthMHz: 20, requirement: t(g.wifiReq) },
    traffic: { perChargerPerDayMB: g.perDay.v, requirement: t(g.trafficReq) },
    tools: { app: t(g.app), appSignalView: t(g.appView), portal: t(g.portal) },
  };
  if (!g.ntpHost.ok) schemaBad.push('ntp.host');
  if (!g.minSignal.ok) schemaBad.push('wifi.minSignalDbm');
  if (!g.perDay.ok) schemaBad.push('traffic.perChargerPerDayMB');
  for (const [x, path] of [[g.name, 'name'], [g.vendor, 'vendor'], [g.source, 'source'], [g.ntpReq, 'ntp.requirement'], [g.dnsReq, 'dns.requirement'], [g.dhcpReq, 'dhcp.requirement'], [g.reason, 'wifi.channels.reason'], [g.wifiReq, 'wifi.requirement'], [g.trafficReq, 'traffic.requirement'], [g.app, 'tools.app'], [g.appView, 'tools.appSignalView'], [g.portal, 'tools.portal']] as const) textField(x, path);
  return { profile, schemaBad, ruleBad };
}

/** The same draw with every bad value replaced by a good one (so every case also renders). */
function repaired(g: Gen): Gen {
  const fix = (x: V<string>, to: string): V<string> => (x.ok ? x : { v: to, ok: true });
  const fixText = (x: V<string>) => fix(x, 'Fixed text');
  return {
    ...g,
    name: fixText(g.name), vendor: fixText(g.vendor), source: fixText(g.source),
    endpoints: g.endpoints.map((e, i) => ({ ...e, name: fix(e.name, 'Fixed'), hosts: e.hosts.map((h, j) => fix(h, `fixed${j}.g${i}.example.org`)), purpose: fixText(e.purpose), requirement: fixText(e.requirement) })),
    ntpHost: fix(g.ntpHost, 'pool.ntp.example.org'),
    ntpReq: fixText(g.ntpReq), dnsReq: fixText(g.dnsReq), dhcpReq: fixText(g.dhcpReq), reason: fixText(g.reason), wifiReq: fixText(g.wifiReq), trafficReq: fixText(g.trafficReq),
    app: fixText(g.app), appView: fixText(g.appView), portal: fixText(g.portal),
    minSignal: g.minSignal.ok ? g.minSignal : { v: -75, ok: true },
    perDay: g.perDay.ok ? g.perDay : { v: 3, ok: true },
  };
}

function render(profile: Profile, dns: string) {
  // JSON is YAML: every value is written exactly (a string stays a string, whatever it looks like).
  writeFileSync(profileFile, JSON.stringify(profile, null, 2));
  return renderSpec(spec(dns), specFile, ids, { env, withSecrets: false, pfsenseConfig: { file: 'backup.xml', text: pfBackup } });
}
const filesOf = (files: Files, id: string): Files =>
  Object.fromEntries(Object.entries(files).filter(([k]) => k.startsWith(`${SITE}/${id}/`)).map(([k, v]) => [k.slice(`${SITE}/${id}/`.length), v]));

// ---------------------------------------------------------------- per target: structure, hosts, real parser
const groupsKey = (groups: string[][]) => groups.map((g) => [...g].sort().join(' ')).sort();
const collect = (pairs: [string, string][]) => {
  const m = new Map<string, Set<string>>();
  for (const [set, host] of pairs) (m.get(set) ?? m.set(set, new Set()).get(set)!).add(host);
  return groupsKey([...m.values()].map((s) => [...s]));
};
const nonComment = (files: Files) => Object.fromEntries(Object.entries(files).map(([n, t]) => [n, t.split('\n').filter((l) => !/^\s*#/.test(l))]));
const dnsmasqGroups = (conf: string) =>
  collect(conf.split('\n').flatMap((l) => {
    const m = /^(?:ipset|nftset)=\/(.*)\/([^/]+)$/.exec(l);
    return m ? m[1].split('/').map((h) => [m[2], h] as [string, string]) : [];
  }));
const shapeOf = (c: Command) => c.items.map((i) => (i.kind === 'named' ? `${i.name}=${i.value.kind}` : i.value.kind === 'word' ? i.value.text : `<${i.value.kind}>`)).join(' ');
const argOf = (c: Command, name: string) => {
  const item = c.items.find((i) => i.kind === 'named' && i.name === name);
  if (!item) return undefined;
  const v = item.value;
  return v.kind === 'string' ? v.value : v.kind === 'word' ? v.text : undefined;
};
const words = (c: Command) => c.items.filter((i) => i.kind === 'positional' && i.value.kind === 'word').map((i) => (i.value as { text: string }).text).join(' ');
function elementPaths(n: XNode, prefix = ''): string[] {
  const path = `${prefix}/${n.name}`;
  return [path, ...n.children.flatMap((c) => elementPaths(c, path))];
}
const jsonShape = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(jsonShape) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonShape(x)])) : typeof v;
const jsonStrings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(jsonStrings) : v && typeof v === 'object' ? Object.values(v).flatMap(jsonStrings) : []);

let ns = '';
/** pfSense's own PHP (shared/tools/pfsense-php): a few cases per run, it takes seconds each. */
const pfsensePhpRun = join(sharedData, '..', 'tools', 'pfsense-php', 'run');
let pfsensePhp = '';
let pfsenseRuns = 0;
const PFSENSE_PHP_RUNS = 2;
const api = loadUnifiApi();

interface Entry {
  structure(files: Files): unknown;
  /** Host names per set/list/alias/policy, as the output holds them. */
  hosts(files: Files): string[];
  /** Checks every case (cheap). */
  check?(files: Files): void;
  real?: { tools: string[]; root: boolean; run(files: Files, plan: Plan): void };
}
const linuxCheck = (files: Files) => {
  for (const [name, t] of Object.entries(files)) {
    for (const l of t.split('\n')) expect(Buffer.byteLength(l), `${name}: a line of ${Buffer.byteLength(l)} bytes (ipset and dnsmasq read 1024)`).toBeLessThan(1000);
    expect(t, name).not.toMatch(/[\r\0\u2028\u2029]/);
  }
};
const write = (prefix: string, files: Files) => {
  for (const [n, t] of Object.entries(files)) writeFileSync(join(dir, `${prefix}-${n}`), t);
  return (n: string) => join(dir, `${prefix}-${n}`);
};
const sh = (cmd: string) => spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', cmd], { encoding: 'utf8' });
const table: Record<string, Entry> = {
  iptables: {
    structure: nonComment,
    hosts: (f) => dnsmasqGroups(f['dnsmasq.conf']),
    check: linuxCheck,
    real: {
      tools: ['ip', 'ipset', 'iptables-restore', 'dnsmasq'],
      root: true,
      run(files, plan) {
        const p = write('ipt', files);
        // The admin's own sets: a blocklist with an entry and an empty allow-set. Nothing in ipset.conf may touch them.
        const r = sh(`ipset destroy 2>/dev/null; ipset create admin-blocklist hash:ip && ipset add admin-blocklist 192.0.2.66 && ipset create admin-allow hash:ip && ipset -exist restore < ${p('ipset.conf')} && iptables-restore --test ${p('rules.v4')}`);
        expect(r.status, r.stderr).toBe(0);
        expect(sh('ipset list admin-blocklist').stdout).toMatch(/Members:\n192\.0\.2\.66\n*$/);
        expect(sh('ipset list admin-allow').stdout).toMatch(/Members:\n*$/);
        // Exactly the admin's sets and one per group: no line tail ran as a command of its own.
        const created = [...files['ipset.conf'].matchAll(/^create (\S+) /gm)].map((m) => m[1]);
        expect(created.length).toBe(plan.endpoints.length);
        expect(sh('ipset list -n').stdout.trim().split('\n').sort()).toEqual(['admin-allow', 'admin-blocklist', ...created].sort());
        const d = spawnSync('dnsmasq', ['--test', `--conf-file=${p('dnsmasq.conf')}`], { encoding: 'utf8' });
        expect(d.status, d.stderr).toBe(0);
        expect(spawnSync('sh', ['-n', p('apply.sh')]).status).toBe(0);
      },
    },
  },
  nftables: {
    structure: nonComment,
    hosts: (f) => dnsmasqGroups(f['dnsmasq.conf']),
    check: linuxCheck,
    real: {
      tools: ['ip', 'nft', 'dnsmasq'],
      root: true,
      run(files) {
        const p = write('nft', files);
        const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', p('chargewall.nft')], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        const d = spawnSync('dnsmasq', ['--test', `--conf-file=${p('dnsmasq.conf')}`], { encoding: 'utf8' });
        expect(d.status, d.stderr).toBe(0);
      },
    },
  },
  mikrotik: {
    structure: (f) => allCommands(parseScript(f['chargewall.rsc'])).map(shapeOf),
    hosts: (f) => {
      const cmds = allCommands(parseScript(f['chargewall.rsc']));
      const lists = cmds.filter((c) => words(c).startsWith('/ip firewall address-list add')).map((c) => [argOf(c, 'list')!, argOf(c, 'address')!] as [string, string]);
      const fwd = cmds.filter((c) => words(c).startsWith('/ip dns static add')).map((c) => [argOf(c, 'address-list')!, argOf(c, 'name')!] as [string, string]);
      // Both kinds name the same hosts for the same lists.
      expect(collect(fwd.filter(([, h]) => !isIPv4(h)))).toEqual(collect(lists.filter(([, h]) => !isIPv4(h))));
      return collect(lists.filter(([, h]) => !isIPv4(h)));
    },
    real: { tools: [], root: false, run: (files) => expect(checkScript(files['chargewall.rsc'], tree('7.20')).problems).toEqual([]) },
  },
  pfsense: {
    structure: (f) => ({ xml: elementPaths(parseXml(f['chargewall.xml'])), config: elementPaths(parseXml(f['config.xml'])) }),
    hosts: (f) => {
      const doc = f['config.xml'];
      const aliases = childrenNamed(child(parseXml(doc), 'aliases'), 'alias').filter((a) => textOf(doc, child(a, 'name')).startsWith('CW_'));
      const fromXml = aliases.map((a) => textOf(doc, child(a, 'address')).split(' ')).filter((hs) => !hs.every(isIPv4));
      const x = f['chargewall.xml'];
      const own = childrenNamed(child(parseXml(x), 'aliases'), 'alias').map((a) => textOf(x, child(a, 'address')).split(' ')).filter((hs) => !hs.every(isIPv4));
      expect(groupsKey(own)).toEqual(groupsKey(fromXml));
      return groupsKey(fromXml);
    },
    real: {
      tools: ['xmllint'],
      root: false,
      run(files) {
        for (const n of ['chargewall.xml', 'config.xml']) {
          const r = spawnSync('xmllint', ['--noout', '-'], { input: files[n], encoding: 'utf8' });
          expect(r.status, `${n}: ${r.stderr}`).toBe(0);
        }
        // pfSense's own parser (xmlparse.inc) and filter code, for the first cases: the aliases it reads hold the same hosts.
        if (!pfsensePhp || pfsenseRuns >= PFSENSE_PHP_RUNS) return;
        pfsenseRuns++;
        counts.pfsensePhp++;
        const p = write('pf', files);
        const out = join(dir, `pf-out-${pfsenseRuns}`);
        const r = spawnSync(pfsensePhp, ['2.7.2', p('config.xml'), out, 'upgrade,filter'], { encoding: 'utf8', timeout: 120_000 });
        expect(r.status, r.stdout + r.stderr).toBe(0);
        const parsed = JSON.parse(readFileSync(join(out, 'parsed.json'), 'utf8'));
        const aliases = (parsed.aliases?.alias ?? []).filter((a: any) => String(a.name).startsWith('CW_'));
        const names = aliases.map((a: any) => String(a.address).split(' ')).filter((hs: string[]) => !hs.every(isIPv4));
        expect(groupsKey(names)).toEqual(table.pfsense.hosts(files));
        expect(readFileSync(join(out, 'rules.debug'), 'utf8')).toMatch(/^table <CW_/m);
      },
    },
  },
  unifi: {
    structure: (f) => JSON.parse(f['integration-api.json']).requests.map((r: any) => `${r.id} ${r.method} ${r.path} ${JSON.stringify(jsonShape(r.body))}`),
    hosts: (f) => groupsKey(JSON.parse(f['integration-api.json']).requests.map((r: any) => r.body?.destination?.trafficFilter?.domainFilter?.domains).filter(Boolean).map((d: string[]) => d.map(apiLiteral))),
    check(files) {
      // Every request body is valid against the official OpenAPI document once its placeholders are resolved.
      for (const r of JSON.parse(files['integration-api.json']).requests) {
        const validate = api.bodyValidator(r.method, r.path);
        expect(validate, `${r.method} ${r.path}`).toBeDefined();
        if (r.body !== undefined) expect(validate!(resolvePlaceholders(r.body)), `${r.id}:\n${formatErrors(validate!.errors)}`).toBe(true);
      }
    },
  },
};

const placeholders = (files: Files) => new Set(jsonStrings(JSON.parse(files['integration-api.json'])).filter((s) => /^\$(?!\$)/.test(s)));

// ---------------------------------------------------------------- harness
let realOk: Record<string, boolean> = {};
beforeAll(() => {
  realOk = Object.fromEntries(Object.entries(table).map(([id, e]) => [id, !e.real || requireTools(e.real.tools, e.real.root).ok]));
  if (requireTools(['php'], false).ok && spawnSync('php', ['-m'], { encoding: 'utf8' }).stdout.includes('xml')) pfsensePhp = pfsensePhpRun;
  if (realOk.iptables || realOk.nftables) {
    ns = `cwp${process.pid}`;
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
  }
});
afterAll(() => {
  if (ns) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
});

const counts = { refused: 0, bySchema: 0, byRules: 0, validAsDrawn: 0, pfsensePhp: 0, rendered: 0, perTarget: {} as Record<string, number>, real: {} as Record<string, number>, hostListsOver1024: 0, dollar: 0 };
const REAL_PER_RUN = 8;

describe('hostile profile fields, every target', () => {
  it('every registered target has an entry in the table', () => {
    expect(ids.filter((id) => !table[id])).toEqual([]);
  });

  for (const run of propertyRuns(100)) {
    it(`a bad field is refused at its value in the profile file; a valid profile renders with the plain structure and its hosts intact (${run.label})`, () => {
      const real: Record<string, number> = {};
      pfsenseRuns = 0;
      fc.assert(
        fc.property(gen, (g) => {
          // 1. Bad values: refused, each located in the profile file at its own path, nothing rendered.
          const b = build(g);
          const expected = b.schemaBad.length ? b.schemaBad : b.ruleBad;
          if (expected.length) {
            const r = render(b.profile, g.dns);
            const errors = r.diagnostics.filter((d) => d.severity === 'error');
            expect(Object.keys(r.files)).toEqual([]);
            expect(errors.length).toBeGreaterThan(0);
            for (const d of errors) {
              expect(d.file, d.message).toBe(profileFile);
              expect(d.line, `${d.path} located at its value`).toBeGreaterThan(1);
              expect(expected, `${d.code} at ${d.path}: ${d.message}`).toContain(d.path);
            }
            for (const p of expected) expect(errors.map((d) => d.path), `${p} refused`).toContain(p);
            counts.refused++;
            if (b.schemaBad.length) counts.bySchema++;
            else counts.byRules++;
          } else counts.validAsDrawn++;
          // 2. The same draw made valid: renders, parses, keeps the plain structure and its hosts.
          const fixed = repaired(g);
          const ok = build(fixed);
          expect([...ok.schemaBad, ...ok.ruleBad]).toEqual([]);
          const result = render(ok.profile, g.dns);
          expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          const plainResult = render(build(fixed, true).profile, g.dns);
          expect(plainResult.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          if (ok.profile.endpoints.some((e) => e.hosts.join('/').length > 1024)) counts.hostListsOver1024++;
          if (JSON.stringify(ok.profile).includes('$')) counts.dollar++;
          for (const id of ids) {
            const e = table[id];
            const files = filesOf(result.files, id);
            const plainFiles = filesOf(plainResult.files, id);
            e.check?.(files);
            expect(e.structure(files), `${id}: structure`).toEqual(e.structure(plainFiles));
            // Hosts: the plan holds the profile's groups exactly, and the output holds the plan's.
            const plan = result.plans[id];
            const fromProfile = plan.endpoints.filter((x) => x.origin === 'profile').map((x) => x.hosts);
            expect(fromProfile).toEqual(ok.profile.endpoints.map((x) => x.hosts));
            const ntp = plan.endpoints.filter((x) => x.origin === 'ntp').map((x) => x.hosts);
            expect(ntp).toEqual(plan.ntp.strategy === 'fqdn' ? [[ok.profile.ntp.host]] : []);
            expect(e.hosts(files), `${id}: hosts`).toEqual(groupsKey(plan.endpoints.map((x) => x.hosts.filter((h) => !isIPv4(h)))));
            if (realOk[id] && e.real && (real[id] ?? 0) < REAL_PER_RUN) {
              real[id] = (real[id] ?? 0) + 1;
              counts.real[id] = (counts.real[id] ?? 0) + 1;
              e.real.run(files, plan);
            }
            counts.perTarget[id] = (counts.perTarget[id] ?? 0) + 1;
          }
          // No value becomes a UniFi placeholder: the placeholders are those of the plain render.
          expect(placeholders(filesOf(result.files, 'unifi'))).toEqual(placeholders(filesOf(plainResult.files, 'unifi')));
          counts.rendered++;
        }),
        run.params,
      );
    });
  }

  it('reports the cases', () => {
    console.log(`[profile-hostile] ${JSON.stringify(counts)}`);
    expect(counts.bySchema).toBeGreaterThan(20);
    expect(counts.byRules).toBeGreaterThan(5);
    expect(counts.validAsDrawn).toBeGreaterThan(10);
    expect(counts.hostListsOver1024).toBeGreaterThan(5);
    expect(counts.dollar).toBeGreaterThan(5);
    for (const id of ids) expect(counts.perTarget[id]).toBeGreaterThanOrEqual(200);
  });
});
