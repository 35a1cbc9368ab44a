import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exampleFiles, root, testEnv } from './helpers.js';
import { renderSpec } from '../src/pipeline.js';
import { targetIds } from '../src/targets/registry.js';

/**
 * The site README states each forwarded rule's destination; every target's own files must open the
 * same thing: per protocol and port, the same host names and addresses, or any address. Issue 20: a
 * UniFi port-only spec listed "TCP 443 to zapcloud-api…" in the README while the target opened 443 to
 * every address. Each target's files are read the way its device would read them (rule lines, sets,
 * aliases, policies), never through the plan.
 *
 * An entry is `proto port -> dest`, dest being the sorted hosts/addresses or `*` (any address).
 */
type Entries = string[];

const ANY = '*';
const sortDest = (hosts: Iterable<string>) => [...new Set(hosts)].sort().join(',');
/** One output rule's entries: protocols × ports × its destination. */
function entries(protocols: string[], ports: number[], dest: string): Entries {
  return protocols.flatMap((p) => ports.map((port) => `${p.toLowerCase()} ${port} -> ${dest}`));
}
/** Output rules of one plan rule, split over several lines (one per address, protocol or set), merged back. */
class Merge {
  private byKey = new Map<string, { protocols: Set<string>; ports: Set<number>; dest: Set<string>; any: boolean }>();
  add(key: string, protocols: string[], ports: number[], dest: string[] | 'any') {
    let m = this.byKey.get(key);
    if (!m) this.byKey.set(key, (m = { protocols: new Set(), ports: new Set(), dest: new Set(), any: false }));
    protocols.forEach((p) => m!.protocols.add(p.toLowerCase()));
    ports.forEach((p) => m!.ports.add(p));
    if (dest === 'any') m.any = true;
    else dest.forEach((d) => m!.dest.add(d));
  }
  entries(): Entries {
    return [...this.byKey.values()].flatMap((m) => entries([...m.protocols], [...m.ports], m.any ? ANY : sortDest(m.dest))).sort();
  }
}

const codeSpans = (s: string) => [...s.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
const portsOf = (s: string) => s.split(/[ ,]+/).filter(Boolean).map(Number);

/** The README's forwarded rules that hold for `target` ("Only on" lines for other targets left out). */
function readmeEntries(readme: string, target: string): Entries {
  const rules = readme.slice(readme.indexOf('## Rules'), readme.indexOf('## DNS and NTP'));
  const out: Entries = [];
  for (const line of rules.split('\n')) {
    const m = /^\d+\. \*\*Allow\*\* (\S+) ([\d, ]+?) from the chargers to (.*)$/.exec(line);
    if (!m || m[3].startsWith('the router itself')) continue;
    const only = /Only on ((?:`[^`]+`(?:, )?)+)\.$/.exec(line);
    if (only && !codeSpans(only[1]).includes(target)) continue;
    const rest = m[3];
    let dest: string;
    if (/^(\*\*)?any address/.test(rest)) dest = ANY;
    else dest = sortDest(codeSpans(/^((?:`[^`]+`(?:, )?)+)/.exec(rest)![1]));
    out.push(...entries(m[1].split('/'), portsOf(m[2]), dest));
  }
  return out.sort();
}

/** iptables: the forward chain's ACCEPTs; a set's members from dnsmasq `ipset=` and ipset.conf `add`. */
function iptablesEntries(files: Record<string, string>, site: string): Entries {
  const members = new Map<string, string[]>();
  const member = (set: string, h: string) => members.set(set, [...(members.get(set) ?? []), h]);
  for (const l of files['dnsmasq.conf'].split('\n')) {
    const m = /^ipset=\/(.*)\/([^/]+)$/.exec(l);
    if (m) m[1].split('/').forEach((h) => member(m[2], h));
  }
  for (const l of files['ipset.conf'].split('\n')) {
    const m = /^add (\S+) (\S+)/.exec(l);
    if (m) member(m[1], m[2]);
  }
  const merge = new Merge();
  for (const l of files['rules.v4'].split('\n')) {
    if (!l.startsWith(`-A cw-${site}-fwd `) || !l.endsWith('-j ACCEPT') || !/--dports? /.test(l)) continue;
    const key = /--comment "chargewall [^:]+: (\S+)/.exec(l)![1];
    const proto = /-p (tcp|udp)/.exec(l)![1];
    const ports = portsOf(/--dports? ([\d,]+)/.exec(l)![1]);
    const set = /--match-set (\S+) dst/.exec(l);
    const addr = /-d (\S+)\/32/.exec(l);
    merge.add(key, [proto], ports, set ? members.get(set[1]) ?? [] : addr ? [addr[1]] : 'any');
  }
  return merge.entries();
}

/** nftables: the forward chain's accepts; a named set's members from dnsmasq `nftset=`. */
function nftablesEntries(files: Record<string, string>): Entries {
  const members = new Map<string, string[]>();
  for (const l of files['dnsmasq.conf'].split('\n')) {
    const m = /^nftset=\/(.*)\/4#inet#[^#]+#(\S+)$/.exec(l);
    if (m) members.set(m[2], [...(members.get(m[2]) ?? []), ...m[1].split('/')]);
  }
  const merge = new Merge();
  for (const raw of files['chargewall.nft'].split('\n')) {
    const l = raw.trim();
    const m = /^(?:ip daddr (@\S+|\{ [^}]+ \}) |meta nfproto ipv4 )(tcp|udp) dport (\d+|\{ [^}]+ \}) accept comment "chargewall [^:]+: (\S+)/.exec(l);
    if (!m) continue;
    const ports = portsOf(m[3].replace(/[{}]/g, ''));
    const dest = m[1] === undefined ? 'any' : m[1].startsWith('@') ? members.get(m[1].slice(1)) ?? [] : m[1].replace(/[{}]/g, '').split(',').map((s) => s.trim()).filter(Boolean);
    merge.add(m[4], [m[2]], ports, dest);
  }
  return merge.entries();
}

/**
 * RouterOS: the site chain's accepts with a dst-port (inside the script's `:if` guards too); a list's
 * members are its static entries (host names RouterOS resolves, literal addresses) and the names whose
 * DNS FWD entries fill it. The same rule to a static and a FWD list is one plan rule.
 */
function mikrotikEntries(files: Record<string, string>, site: string): Entries {
  const lines = files['chargewall.rsc'].split('\n').filter((l) => !l.trimStart().startsWith('#'));
  const members = new Map<string, string[]>();
  const member = (list: string, h: string) => members.set(list, [...(members.get(list) ?? []), h]);
  for (const l of lines) {
    for (const m of l.matchAll(/\/ip firewall address-list add list="([^"]+)" address="?([^" ]+)"? /g)) member(m[1], m[2]);
    for (const m of l.matchAll(/\/ip dns static add name="([^"]+)" type=FWD address-list="([^"]+)"/g)) member(m[2], m[1]);
  }
  const merge = new Merge();
  const rule = new RegExp(`/ip firewall filter add chain="cw-${site}[^"]*" action=accept protocol=(\\w+) dst-port=([\\d,]+)( dst-address-list="[^"]+"| dst-address=[^ ]+)? comment="chargewall:[^:]+: (?:fwd )?([^ "]+)`, 'g');
  for (const l of lines) {
    for (const m of l.matchAll(rule)) {
      const list = /dst-address-list="([^"]+)"/.exec(m[3] ?? '');
      const addr = /dst-address=(\S+)/.exec(m[3] ?? '');
      merge.add(m[4], [m[1]], portsOf(m[2]), list ? [...new Set(members.get(list[1]) ?? [])] : addr ? [addr[1]] : 'any');
    }
  }
  return merge.entries();
}

/** pfSense: chargewall.xml's pass rules to an alias or any (the firewall's own address is a router rule). */
function pfsenseEntries(files: Record<string, string>): Entries {
  const xml = files['chargewall.xml'];
  const aliases = new Map<string, string[]>();
  for (const m of xml.matchAll(/<alias>\s*<name>([^<]+)<\/name>[\s\S]*?<address>([^<]*)<\/address>/g)) aliases.set(m[1], m[2].split(' '));
  const merge = new Merge();
  for (const m of xml.matchAll(/<rule>([\s\S]*?)<\/rule>/g)) {
    const r = m[1];
    if (!r.includes('<type>pass</type>') || !r.includes('<port>')) continue;
    const dest = /<destination>([\s\S]*?)<\/destination>/.exec(r)![1];
    if (dest.includes('<network>')) continue;
    const descr = /<descr><!\[CDATA\[(.*?)\]\]><\/descr>/.exec(r)![1];
    const ports = [Number(/<port>(\d+)<\/port>/.exec(dest)![1])];
    const alias = /<address>([^<]+)<\/address>/.exec(dest);
    const protocols = /<protocol>([^<]+)<\/protocol>/.exec(r)![1].split('/');
    // One rule per port: the description without its port names the plan rule.
    merge.add(descr.replace(/ \d+$/, ''), protocols, ports, alias ? aliases.get(alias[1]) ?? [] : 'any');
  }
  return merge.entries();
}

/** UniFi: STEPS.md's External allow rows (what the UI gets), and integration-api.json's policies when written. */
function unifiEntries(files: Record<string, string>): { steps: Entries; api?: Entries } {
  const steps = new Merge();
  for (const l of files['STEPS.md'].split('\n')) {
    const m = /^\| \d+ \| `([^`]+)` \| ALLOW \| External \| (.*) \| (TCP\/UDP|TCP|UDP) \| ([\d, ]+) \|$/.exec(l);
    if (!m) continue;
    steps.add(m[1].replace(/-ip$/, ''), m[3].split('/'), portsOf(m[4]), m[2].startsWith('any address') ? 'any' : codeSpans(m[2]));
  }
  const json = files['integration-api.json'];
  if (json === undefined) return { steps: steps.entries() };
  const api = new Merge();
  for (const req of JSON.parse(json).requests as { id: string; body: any }[]) {
    if (!req.id.startsWith('allow-')) continue;
    const f = req.body.destination.trafficFilter;
    const scope = req.body.ipProtocolScope.protocolFilter;
    const protocols = scope.type === 'PRESET' ? ['tcp', 'udp'] : [scope.protocol.name];
    const ports = (f.portFilter.items as { value: number }[]).map((i) => i.value);
    const dest = f.type === 'DOMAIN' ? f.domainFilter.domains : f.type === 'IP_ADDRESS' ? f.ipAddressFilter.items.map((i: { value: string }) => i.value) : 'any';
    api.add(req.id.replace(/-ip$/, ''), protocols, ports, dest);
  }
  return { steps: steps.entries(), api: api.entries() };
}

/** Renders `text` for every target that accepts it, together (one README), and compares each target with the README. */
function check(text: string, file: string): { site: string; targets: string[]; readme: string } {
  const accepted = targetIds().filter((t) => !renderSpec(text, file, [t], { withSecrets: false, env: testEnv }).diagnostics.some((d) => d.severity === 'error'));
  expect(accepted.length, file).toBeGreaterThan(0);
  const r = renderSpec(text, file, accepted, { withSecrets: false, env: testEnv });
  expect(r.diagnostics.filter((d) => d.severity === 'error'), file).toEqual([]);
  const site = r.site!.site.id;
  const readme = r.files[`${site}/README.md`];
  const of = (t: string) => Object.fromEntries(Object.entries(r.files).filter(([p]) => p.startsWith(`${site}/${t}/`)).map(([p, c]) => [p.slice(site.length + t.length + 2), c]));
  for (const t of accepted) {
    const want = readmeEntries(readme, t);
    expect(want.length, `${file}: README rules for ${t}`).toBeGreaterThan(0);
    const files = of(t);
    if (t === 'iptables') expect(iptablesEntries(files, site), `${file}: iptables`).toEqual(want);
    else if (t === 'nftables') expect(nftablesEntries(files), `${file}: nftables`).toEqual(want);
    else if (t === 'mikrotik') expect(mikrotikEntries(files, site), `${file}: mikrotik`).toEqual(want);
    else if (t === 'pfsense') expect(pfsenseEntries(files), `${file}: pfsense`).toEqual(want);
    else if (t === 'unifi') {
      const u = unifiEntries(files);
      expect(u.steps, `${file}: unifi STEPS.md`).toEqual(want);
      if (u.api) expect(u.api, `${file}: unifi integration-api.json`).toEqual(want);
    } else throw new Error(`no reader for target ${t}: add one here so its destinations are compared with the README`);
  }
  return { site, targets: accepted, readme };
}

const housing = parse(readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8'));
const variant = (change: (s: any) => void) => {
  const s = structuredClone(housing);
  change(s);
  return JSON.stringify(s);
};
const extras = [
  { name: 'mixed', protocol: 'tcp', ports: [9000, 9001], hosts: ['csms.example.com', '192.0.2.10'], description: 'names and an address' },
  { name: 'lit', protocol: 'udp', ports: [5000], hosts: ['192.0.2.20'], description: 'an address only' },
];

describe('every target opens what the site README says, rule by rule', () => {
  for (const example of exampleFiles()) {
    it(example, () => {
      check(readFileSync(join(root, example), 'utf8'), example);
    });
  }

  it('allow-fallback DNS, NTP to any, groups of names, addresses and both', () => {
    const { targets } = check(variant((s) => ((s.policy = { ...s.policy, dns: 'allow-fallback', ntp: 'any' }), (s.extraEndpoints = extras))), 'fallback.yaml');
    expect(targets).toEqual(targetIds());
  });

  it('UniFi Network 9 with fqdnFallback: port-only: the README says any address where STEPS.md opens any address', () => {
    const text = variant((s) => ((s.targets.unifi = { apiVersion: '9.5.21', fqdnFallback: 'port-only' }), (s.policy = { ...s.policy, ntp: 'fqdn' }), (s.extraEndpoints = extras)));
    const { readme, targets } = check(text, 'port-only.yaml');
    expect(targets).toContain('unifi');
    // The widened lines name what was asked and point at the warning that says why.
    expect(readme).toMatch(/\*\*Allow\*\* TCP 443 from the chargers to \*\*any address\*\*, wider than the asked `zapcloud-api\.azurewebsites\.net`.*\(port-only, see Warnings\).* Only on `unifi`\./);
    expect(readme).toMatch(/`host-names-widened` \(`unifi`\): MQTT over TLS TCP 8883 is open to every address, not only zapcloud\.azure-devices\.net/);
    // An address-only group is matched as asked, not widened.
    expect(readme).toMatch(/\*\*Allow\*\* UDP 5000 from the chargers to `192\.0\.2\.20` \(lit UDP 5000\)/);
    expect(readme).not.toMatch(/UDP 5000 from the chargers to \*\*any/);
    // The diagram draws the widened rules to "any address", each target named once per edge.
    expect(readme).toMatch(/router -->\|"TCP 443 #40;unifi#41;"\| ep\d+/);
    expect(readme).not.toMatch(/unifi, unifi/);
  });
});
