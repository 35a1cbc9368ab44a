import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { renderSpec } from '../src/pipeline.js';
import type { Plan } from '../src/plan/types.js';
import { cdata, decodeEntities, cleanText, RULE_DESCR_MAX } from '../src/targets/pfsense/escape.js';
import { child, childrenNamed, parseXml, textOf, type XNode } from '../src/targets/pfsense/xml.js';
import { requireTools, root, sharedData, testEnv } from './helpers.js';
import { holdable, textAcceptable } from './arbitraries.js';

const example = 'examples/housing-association.yaml';
const exampleText = readFileSync(join(root, example), 'utf8');
const stock = readFileSync(join(sharedData, 'pfsense', 'default-config.xml'), 'utf8');
const update = process.env.UPDATE_GOLDEN === '1';

/** The stock config with an OPT2 interface for the chargers (the example's 10.40.0.1/24), as an admin's backup would have. */
const opt2 = (ip = '10.40.0.1', subnet = '24') => `		<opt2>
			<descr><![CDATA[CHARGERS]]></descr>
			<if>em1.40</if>
			<enable></enable>
			<ipaddr>${ip}</ipaddr>
			<subnet>${subnet}</subnet>
		</opt2>
`;
const backup = (extra = opt2()) => stock.replace('\t</interfaces>\n', `${extra}\t</interfaces>\n`);

function render(spec: string, backupText?: string, opts: { withSecrets?: boolean } = {}) {
  const r = renderSpec(spec, 'site.yaml', ['pfsense'], { withSecrets: !!opts.withSecrets, env: testEnv, ...(backupText !== undefined && { pfsenseConfig: { file: 'backup.xml', text: backupText } }) });
  return r;
}
function files(spec: string, backupText?: string) {
  const r = render(spec, backupText);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  const id = r.site!.site.id;
  const get = (name: string) => r.files[`${id}/pfsense/${name}`];
  return { xml: get('chargewall.xml'), steps: get('STEPS.md'), config: get('config.xml'), plan: r.plans.pfsense, all: r.files };
}
const merge = (spec: string, text: string) => files(spec, text).config!;

const xmllint = requireTools(['xmllint'], false);
function wellFormed(text: string): void {
  if (!xmllint.ok) return;
  const r = spawnSync('xmllint', ['--noout', '-'], { input: text, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
}
/** Values as libxml2 sees them (canonical XML: CDATA becomes escaped text), then pfSense's second decode. */
function xpathValues(text: string, xpath: string): string[] {
  const r = spawnSync('xmllint', ['--xpath', xpath, '-'], { input: text, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}

/** Is `a` (lines) a subsequence of `b` (lines)? */
function subsequence(a: string[], b: string[]): boolean {
  let j = 0;
  for (const line of a) {
    while (j < b.length && b[j] !== line) j++;
    if (j === b.length) return false;
    j++;
  }
  return true;
}

// ---- reading a pfSense document back the way pfSense does ----
function readBack(doc: string, iface: string) {
  const rootNode = parseXml(doc);
  const t = (n: XNode | undefined, name: string) => textOf(doc, child(n, name));
  const endpoint = (n: XNode | undefined) => {
    if (!n) return undefined;
    const kind = child(n, 'any') ? { any: true } : child(n, 'network') ? { network: t(n, 'network') } : { address: t(n, 'address') };
    return { ...kind, not: child(n, 'not') !== undefined, ...(child(n, 'port') && { port: t(n, 'port') }) };
  };
  const aliases = childrenNamed(child(rootNode, 'aliases'), 'alias').map((a) => ({ name: t(a, 'name'), type: t(a, 'type'), address: t(a, 'address').split(' '), descr: t(a, 'descr'), detail: t(a, 'detail').split('||') }));
  const rules = childrenNamed(child(rootNode, 'filter'), 'rule').map((r) => ({
    type: t(r, 'type'), interface: t(r, 'interface'), ipprotocol: t(r, 'ipprotocol'), protocol: t(r, 'protocol') || undefined,
    source: endpoint(child(r, 'source')), destination: endpoint(child(r, 'destination')), log: child(r, 'log') !== undefined, descr: t(r, 'descr'), tracker: t(r, 'tracker'),
  }));
  const nat = childrenNamed(child(rootNode, 'nat'), 'rule').map((r) => ({
    interface: t(r, 'interface'), protocol: t(r, 'protocol'), source: endpoint(child(r, 'source')), destination: endpoint(child(r, 'destination')),
    target: t(r, 'target'), localPort: t(r, 'local-port'), assoc: t(r, 'associated-rule-id'), descr: t(r, 'descr'),
  }));
  const d = child(child(rootNode, 'dhcpd'), iface);
  const dhcp = d && {
    enable: child(d, 'enable') !== undefined,
    from: t(child(d, 'range'), 'from'), to: t(child(d, 'range'), 'to'),
    dns: childrenNamed(d, 'dnsserver').map((n) => textOf(doc, n)), ntp: childrenNamed(d, 'ntpserver').map((n) => textOf(doc, n)),
    lease: t(d, 'defaultleasetime'),
    maps: childrenNamed(d, 'staticmap').map((m) => ({ mac: t(m, 'mac'), ip: t(m, 'ipaddr'), hostname: t(m, 'hostname'), descr: t(m, 'descr') })),
  };
  return { root: rootNode, aliases, rules, nat, dhcp };
}

const ipToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);

/** The round trip: what the document says equals what the plan asks for. */
function expectMatchesPlan(doc: string, plan: Plan, iface: string, tag: string) {
  const back = readBack(doc, iface);
  const own = (d: string) => d === tag || d.startsWith(`${tag} `);
  const aliases = back.aliases.filter((a) => own(a.descr));
  const rules = back.rules.filter((r) => own(r.descr));
  const nat = back.nat.filter((r) => own(r.descr));

  // One host alias per endpoint group, holding exactly its hosts; names valid for pfSense.
  expect(aliases.map((a) => a.address)).toEqual([
    ...plan.endpoints.map((e) => e.hosts),
    ...plan.rules.filter((r) => r.to.kind === 'addresses').map((r) => (r.to as { addresses: string[] }).addresses),
  ]);
  for (const a of aliases) {
    expect(a.name).toMatch(/^(?!_*$)(?!\d*$)[A-Za-z0-9_]{1,31}$/);
    expect(a.type).toBe('host');
    expect(a.detail).toHaveLength(a.address.length);
  }
  const aliasOf = new Map(plan.endpoints.map((e, i) => [e.id, aliases[i].name]));

  // Every rule on the interface, from its subnet; descriptions fit the pf label; trackers unique.
  for (const r of rules) {
    expect(r.interface).toBe(iface);
    expect(r.source).toEqual({ network: iface, not: false });
    expect(Buffer.byteLength(r.descr)).toBeLessThanOrEqual(RULE_DESCR_MAX);
    expect(r.tracker).toMatch(/^\d+$/);
  }
  expect(new Set(back.rules.map((r) => r.tracker)).size).toBe(back.rules.length);
  const pass = rules.filter((r) => r.type === 'pass');
  const expected: { protocol?: string; destination: object }[] = [
    ...plan.routerRules.filter((r) => r.id !== 'dhcp').flatMap((r) => r.ports.map((p) => ({ protocol: r.protocols.length > 1 ? 'tcp/udp' : r.protocols[0], destination: { network: `${iface}ip`, not: false, port: String(p) } }))),
    ...plan.rules.flatMap((r) =>
      r.ports.map((p) => ({
        protocol: r.protocols.length > 1 ? 'tcp/udp' : r.protocols[0],
        destination: r.to.kind === 'any' ? { any: true, not: false, port: String(p) } : { address: r.to.kind === 'group' ? aliasOf.get(r.to.group) : expect.stringMatching(/^CW_/), not: false, port: String(p) },
      })),
    ),
  ];
  const last = rules[rules.length - 1];
  if (plan.defaultAction === 'drop') {
    expect(pass.map((r) => ({ protocol: r.protocol, destination: r.destination }))).toEqual(expected);
    expect(last).toMatchObject({ type: 'block', destination: { any: true }, log: plan.log });
    expect(rules.filter((r) => r.type === 'block')).toHaveLength(1);
  } else {
    expect(rules.slice(0, -1).map((r) => ({ protocol: r.protocol, destination: r.destination }))).toEqual(expected);
    expect(last).toMatchObject({ type: 'pass', destination: { any: true } });
  }

  // NAT: one redirect per plan redirect, to the firewall, passing traffic itself.
  expect(nat.map((n) => ({ protocol: n.protocol, port: n.destination!.port, target: n.target, local: n.localPort }))).toEqual(
    plan.redirects.map((r) => ({ protocol: r.protocols.length > 1 ? 'tcp/udp' : r.protocols[0], port: String(r.port), target: plan.network.gateway, local: String(r.port) })),
  );
  for (const n of nat) {
    expect(n).toMatchObject({ interface: iface, assoc: 'pass', source: { network: iface }, destination: { not: true, network: `${iface}ip` } });
  }

  // DHCP: the plan's range, the firewall as DNS (and NTP when it answers NTP), static maps outside the range.
  expect(back.dhcp).toMatchObject({ enable: true, from: plan.dhcp.first, to: plan.dhcp.last, dns: plan.dhcp.dnsServers, ntp: plan.dhcp.ntpServers, lease: String(plan.dhcp.leaseSeconds) });
  expect(back.dhcp!.maps.map((m) => ({ mac: m.mac, ip: m.ip }))).toEqual(plan.dhcp.staticLeases.map((l) => ({ mac: l.mac, ip: l.ip })));
  for (const m of back.dhcp!.maps) {
    expect(ipToInt(m.ip) < ipToInt(plan.dhcp.first) || ipToInt(m.ip) > ipToInt(plan.dhcp.last)).toBe(true);
    expect(m.hostname).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/);
  }
  return back;
}

describe('pfsense: chargewall.xml', () => {
  it('declares pfSense capabilities: aliases resolve on their own timer, so NTP auto becomes a redirect to ntpd', () => {
    const { plan } = files(exampleText);
    expect(plan.ntp.strategy).toBe('redirect');
    expect(plan.redirects.map((r) => r.port)).toEqual([53, 123]);
  });

  it('is well-formed, written as pfSense writes it, and reads back as the plan', () => {
    const { xml, plan } = files(exampleText);
    wellFormed(xml);
    expect(xml).toMatch(/^<\?xml version="1.0"\?>\n/);
    // Section tags without attributes or whitespace (Backup & Restore looks for them literally), tab indentation.
    for (const s of ['aliases', 'filter', 'nat', 'dhcpd']) expect(xml).toContain(`\n\t<${s}>\n`);
    expect(xml).not.toMatch(/^ +</m);
    // Booleans are presence flags, never 0/1 text.
    expect(xml).not.toMatch(/<(log|any|not|enable)>[^<]/);
    // descr/detail always in CDATA.
    expect(xml).not.toMatch(/<(descr|detail)>(?!<!\[CDATA\[)/);
    expectMatchesPlan(xml, plan, 'opt2', 'cw:brf-solgarden');
  });

  it('follows the policy: no block rule without defaultDeny, no log without policy.log, NTP any without a redirect', () => {
    const spec = exampleText.replace('defaultDeny: true', 'defaultDeny: false').replace('log: true', 'log: false').replace('ntp: auto', 'ntp: any');
    const { xml, plan } = files(spec);
    expect(plan.defaultAction).toBe('accept');
    const back = expectMatchesPlan(xml, plan, 'opt2', 'cw:brf-solgarden');
    expect(back.rules.some((r) => r.type === 'block')).toBe(false);
    expect(back.rules.some((r) => r.log)).toBe(false);
    expect(back.nat.map((n) => n.destination!.port)).toEqual(['53']);
    expect(back.dhcp!.ntp).toEqual([]);
  });

  it('dns: allow-fallback gets a host alias of the fallback resolvers; router-only has no redirect', () => {
    const fb = files(exampleText.replace('dns: redirect', 'dns: allow-fallback'));
    const back = expectMatchesPlan(fb.xml, fb.plan, 'opt2', 'cw:brf-solgarden');
    expect(back.aliases.some((a) => a.address.join(' ') === '8.8.8.8 1.1.1.1')).toBe(true);
    const ro = files(exampleText.replace('dns: redirect', 'dns: router-only'));
    expect(readBack(ro.xml, 'opt2').nat.map((n) => n.destination!.port)).toEqual(['123']);
  });

  it('derives trackers deterministically and per site', () => {
    const a = readBack(files(exampleText).xml, 'opt2').rules.map((r) => r.tracker);
    const b = readBack(files(exampleText.replace('id: brf-solgarden', 'id: brf-norrgarden')).xml, 'opt2').rules.map((r) => r.tracker);
    expect(readBack(files(exampleText).xml, 'opt2').rules.map((r) => r.tracker)).toEqual(a);
    expect(a.filter((t) => b.includes(t))).toEqual([]);
    for (const t of a) expect(Number(t)).toBeGreaterThanOrEqual(200_000_000);
  });

  it('shortens long ids into valid alias names that stay unique', () => {
    const spec = exampleText.replace('id: brf-solgarden', 'id: a-very-long-site-id-here').replace('name: ocpp', 'name: ocpp-backend');
    const { xml } = files(spec);
    const names = readBack(xml, 'opt2').aliases.map((a) => a.name);
    for (const n of names) expect(n).toMatch(/^CW_[A-Za-z0-9_]{1,28}$/);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('pfsense: merge into the admin\'s backup', () => {
  const input = backup();
  const merged = merge(exampleText, input);

  it('matches the golden merged config.xml', () => {
    const golden = join(root, 'test', 'golden-pfsense', 'brf-solgarden', 'config.xml');
    if (update) {
      mkdirSync(dirname(golden), { recursive: true });
      writeFileSync(golden, merged);
    }
    expect(merged).toBe(readFileSync(golden, 'utf8'));
  });

  it('keeps every original line, in order, and is well-formed', () => {
    expect(merged).not.toBe(input);
    expect(subsequence(input.split('\n'), merged.split('\n'))).toBe(true);
    // Only whole elements were added: removing them gives the input back byte for byte.
    wellFormed(merged);
  });

  it('is idempotent: merging its own output changes nothing', () => {
    expect(merge(exampleText, merged)).toBe(merged);
    const steps = files(exampleText, merged).steps;
    expect(steps).toContain('aliases: 3 host aliases unchanged');
    expect(steps).toContain('dhcpd: opt2 unchanged');
  });

  it('reads back as the plan, with the admin\'s items untouched', () => {
    const { plan } = files(exampleText);
    const back = expectMatchesPlan(merged, plan, 'opt2', 'cw:brf-solgarden');
    const before = readBack(input, 'opt2');
    expect(back.rules.filter((r) => !r.descr.startsWith('cw:'))).toEqual(before.rules);
    // One section more: <chargewall>, the record of what chargewall wrote (see record.ts).
    expect(back.root.children.map((c) => c.name)).toEqual([...before.root.children.map((c) => c.name), 'chargewall']);
    const dhcpLan = (doc: string) => { const r = readBack(doc, 'lan').dhcp; return r; };
    expect(dhcpLan(merged)).toEqual(dhcpLan(input));
  });

  it('replaces its own items when the spec changes, exactly as a fresh merge would', () => {
    const changed = exampleText.replace('ports: [443]', 'ports: [443, 8443]').replace('log: true', 'log: false').replace(/    - \{ name: "P-40".*\n/, '');
    const again = merge(changed, merged);
    expect(again).toBe(merge(changed, input));
    expect(again).not.toBe(merged);
    const steps = files(changed, merged).steps;
    expect(steps).toMatch(/filter: replaced chargewall's 6 previous item\(s\) with 7 rules on opt2/);
  });

  it('keeps another site\'s items and the admin\'s rules; puts its rules before the existing ones on the interface', () => {
    const adminRule = `		<rule>
			<type>pass</type>
			<interface>opt2</interface>
			<ipprotocol>inet</ipprotocol>
			<source>
				<network>opt2</network>
			</source>
			<destination>
				<any></any>
			</destination>
			<descr><![CDATA[Admin: allow all on OPT2 & more]]></descr>
			<tracker>1700000000</tracker>
		</rule>
`;
    const withRule = input.replace('\t</filter>', `${adminRule}\t</filter>`);
    const out = merge(exampleText, withRule);
    expect(subsequence(withRule.split('\n'), out.split('\n'))).toBe(true);
    const rules = readBack(out, 'opt2').rules.filter((r) => r.interface === 'opt2');
    expect(rules[rules.length - 1].descr).toBe('Admin: allow all on OPT2 & more');
    expect(rules.slice(0, -1).every((r) => r.descr.startsWith('cw:brf-solgarden '))).toBe(true);
    expect(files(exampleText, withRule).steps).toContain('come after chargewall&apos;s final block rule'.replace('&apos;', "'"));

    // A second site on another interface: both sites' items live side by side, each merge idempotent.
    const other = exampleText.replace('id: brf-solgarden', 'id: brf-annex').replace('interface: opt2', 'interface: opt3').replace(/10\.40\.0\./g, '10.41.0.').replace('10.40.0.0/24', '10.41.0.0/24');
    const withOpt3 = out.replace('\t</interfaces>\n', `${opt2('10.41.0.1').replace(/opt2/g, 'opt3')}\t</interfaces>\n`);
    const both = merge(other, withOpt3);
    expect(subsequence(withOpt3.split('\n'), both.split('\n'))).toBe(true);
    expect(merge(exampleText, both)).toBe(both);
    expect(merge(other, both)).toBe(both);
    wellFormed(both);
  });

  it('owns the DHCP server of the interface: replaces an existing one and says what it dropped', () => {
    const old = input.replace('\t</dhcpd>\n', `\t\t<opt2>\n\t\t\t<enable></enable>\n\t\t\t<range>\n\t\t\t\t<from>10.40.0.200</from>\n\t\t\t\t<to>10.40.0.250</to>\n\t\t\t</range>\n\t\t\t<staticmap>\n\t\t\t\t<mac>00:11:22:33:44:55</mac>\n\t\t\t\t<ipaddr>10.40.0.5</ipaddr>\n\t\t\t</staticmap>\n\t\t</opt2>\n\t</dhcpd>\n`);
    const out = merge(exampleText, old);
    // The old server sat where a fresh merge puts chargewall's: the result is the fresh merge.
    expect(out).toBe(merged);
    expect(readBack(out, 'opt2').dhcp!.from).toBe('10.40.0.100');
    expect(readBack(out, 'lan').dhcp).toEqual(readBack(input, 'lan').dhcp);
    const steps = files(exampleText, old).steps;
    expect(steps).toContain('dhcpd: replaced the DHCP server settings of opt2');
    expect(steps).toContain('00:11:22:33:44:55');
  });

  it("names the interface as pfSense's GUI does: by its description, else its id in capitals", () => {
    // The example's backup names opt2 CHARGERS: the menus and tabs say CHARGERS, never OPT2.
    const steps = files(exampleText, backup()).steps;
    expect(steps).toContain('interface **CHARGERS** (`opt2`)');
    expect(steps).toContain('Services > DHCP Server > CHARGERS');
    expect(steps).toContain('Firewall > Rules > CHARGERS');
    expect(steps).not.toMatch(/> OPT2\b/);
    // Without a description, or with one the GUI would not accept (hand-edited), the id in capitals.
    const bare = files(exampleText, backup(opt2().replace(/\t*<descr>.*\n/, ''))).steps;
    expect(bare).toContain('Services > DHCP Server > OPT2');
    const odd = files(exampleText, backup(opt2().replace('CHARGERS', 'Chargers **[x](y)**'))).steps;
    expect(odd).toContain('Services > DHCP Server > OPT2');
    expect(odd).not.toContain('[x](y)');
    // Messages name it the same way.
    const r = render(exampleText, backup(opt2('10.40.0.9')));
    expect(r.diagnostics.find((d) => d.code === 'pfsense-config')?.message).toContain('(Interfaces > CHARGERS)');
  });

  it('creates missing sections and fills empty or self-closing ones', () => {
    const bare = input.replace(/\t<aliases>\n\t<\/aliases>\n/, '\t<aliases/>\n').replace(/\t<nat>[\s\S]*?<\/nat>\n/, '').replace(/\t<dhcpd>[\s\S]*?<\/dhcpd>\n/, '');
    expect(bare).not.toContain('<nat>');
    const out = merge(exampleText, bare);
    wellFormed(out);
    expect(merge(exampleText, out)).toBe(out);
    expectMatchesPlan(out, files(exampleText).plan, 'opt2', 'cw:brf-solgarden');
  });

  it('refuses, with a clear error and no files, what it must not touch', () => {
    const cases: [string, string, RegExp][] = [
      ['not pfSense', stock.replace(/pfsense>/g, 'opnsense>'), /not a pfSense config.*<opnsense>.*OPNsense/],
      ['not XML', 'hello', /not a pfSense config: not well-formed XML/],
      ['truncated', input.slice(0, input.length / 2), /not a pfSense config: not well-formed/],
      ['encrypted', '---- BEGIN config.xml ----\nU2FsdGVk\n---- END config.xml ----\n', /encrypted/],
      ['no interface', stock, /no interface 'opt2'.*wan, lan/],
      ['other address', backup(opt2('10.99.0.1')), /interface opt2 has IPv4 address '10\.99\.0\.1\/24'.*10\.40\.0\.1\/24/],
      ['dhcp address', backup(opt2('dhcp', '')), /interface opt2 has IPv4 address 'dhcp'/],
      ['alias name taken', input.replace('\t<aliases>\n', '\t<aliases>\n\t\t<alias>\n\t\t\t<name>CW_BRF_SOLGARDEN_MQTT</name>\n\t\t\t<type>host</type>\n\t\t\t<address>example.org</address>\n\t\t</alias>\n'), /already has an alias 'CW_BRF_SOLGARDEN_MQTT'/],
    ];
    for (const [what, text, message] of cases) {
      const r = render(exampleText, text);
      const d = r.diagnostics.filter((x) => x.severity === 'error');
      expect(d, what).toHaveLength(1);
      expect(d[0].code, what).toBe('pfsense-config');
      expect(d[0].message, what).toMatch(message);
      expect(Object.keys(r.files), what).toEqual([]);
    }
  });
});

describe('pfsense: hostile free text', () => {
  const hostile = [
    ']]><rule><type>pass</type></rule><![CDATA[',
    '</descr></alias><alias><name>x</name>',
    'a & b &amp; &lt;c&gt; "q" \'s\'',
    'line\nbreak\r\ttab\u0000nul\u0007bel',
    '\\back\\slash |pipe|| ]]> ]]]]>',
    'Solgården 🚗 \u2028 end',
  ];
  const yamlString = (s: string) => JSON.stringify(s);

  const hostileSpecText = (h: string) =>
    exampleText
      .replace('name: "BRF Solgården garage, plan -1"', `name: ${yamlString(h)}`)
      .replace('{ name: "P-01",', `{ name: ${yamlString(h)},`)
      .replace('description: Native OCPP 1.6J central system of the operator', `description: ${yamlString(h)}`);

  it('text a description cannot hold (line breaks, control characters) is refused at each field, not changed', () => {
    for (const h of hostile.filter((x) => !textAcceptable(x))) {
      const r = render(hostileSpecText(h));
      expect(Object.keys(r.files)).toEqual([]);
      expect(r.diagnostics.filter((d) => d.code === 'text-control-character').map((d) => d.path).sort()).toEqual(['chargers.units.0.name', 'extraEndpoints.0.description', 'site.name']);
    }
  });

  it('cannot close CDATA or add elements, and decodes on pfSense to the cleaned text', () => {
    for (const [i, h] of hostile.map(holdable).entries()) {
      const spec = hostileSpecText(h);
      const { xml, config, steps, plan } = { ...files(spec, backup()), plan: files(spec).plan };
      for (const doc of [xml, config!]) {
        wellFormed(doc);
        const back = expectMatchesPlan(doc, plan, 'opt2', 'cw:brf-solgarden');
        expect(back.dhcp!.maps[0].descr, `case ${i}`).toBe(`cw:brf-solgarden ${cleanText(h)}`);
        expect(back.aliases.find((a) => a.name === 'CW_BRF_SOLGARDEN_OCPP')!.descr).toContain(cleanText(h));
        if (xmllint.ok) {
          // libxml2's view agrees: same number of rules and aliases, and the same decoded text.
          expect(xpathValues(doc, 'count(//filter/rule)')).toEqual([String(back.rules.length)]);
          expect(xpathValues(doc, 'count(//aliases/alias)')).toEqual([String(back.aliases.length)]);
          const lib = spawnSync('xmllint', ['--xpath', 'string(//dhcpd/opt2/staticmap[1]/descr)', '-'], { input: doc, encoding: 'utf8' }).stdout.replace(/\n$/, '');
          expect(decodeEntities(lib)).toBe(`cw:brf-solgarden ${cleanText(h)}`);
        }
      }
      // STEPS.md: one table row per rule, the hostile text cannot add rows or break out of its cell.
      expect(steps.split('\n').filter((l) => /^\| \d+ \|/.test(l))).toHaveLength(readBack(xml, 'opt2').rules.length);
      expect(steps).not.toContain('\n<rule>');
    }
  });

  it('cdata(): for any string, one CDATA section that decodes back to the cleaned text', () => {
    fc.assert(
      // XML's own delimiters often enough to build `]]>`, `<![CDATA[`, entities; plus any code point.
      fc.property(fc.oneof(fc.string({ unit: fc.constantFrom(']', ']', '>', '<', '!', '[', '&', ';', 'a', '#', '\n', '\r', '\u0000', '\ud800') }), fc.string({ unit: 'binary' })), (s) => {
        const body = cdata(s);
        expect(body.indexOf(']]>')).toBe(body.length - 3);
        const doc = `<d>${body}</d>`;
        const n = parseXml(doc);
        expect(n.children).toEqual([]);
        expect(textOf(doc, n)).toBe(cleanText(s).replace(/^[\t\n\r]+|[\t\n\r]+$/g, ''));
      }),
      { numRuns: 2000 },
    );
  });

  it('libxml2 accepts a document of many random CDATA values and reads each back', () => {
    if (!xmllint.ok) return;
    const values = fc.sample(fc.string({ unit: 'binary', maxLength: 40 }), { numRuns: 300, seed: 42 });
    const doc = `<r>${values.map((v) => `<d>${cdata(v)}</d>`).join('')}</r>`;
    wellFormed(doc);
    expect(xpathValues(doc, 'count(/r/d)')).toEqual([String(values.length)]);
    const c14n = spawnSync('xmllint', ['--c14n', '-'], { input: doc, encoding: 'utf8' }).stdout;
    const texts = [...c14n.matchAll(/<d>([^<]*)<\/d>/g)].map((m) => m[1].replace(/&#xD;/g, '\r').replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&amp;/g, '&'));
    expect(texts.map(decodeEntities)).toEqual(values.map(cleanText));
  });
});

describe('pfsense: CLI', () => {
  const cli = join(root, 'dist', 'cli', 'main.js');
  const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, ...testEnv } });

  it('render --pfsense-config writes config.xml merged, and fails without writing on a bad backup', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-pf-'));
    try {
      writeFileSync(join(dir, 'backup.xml'), backup());
      const ok = run(['render', example, '-t', 'pfsense', '-o', join(dir, 'out'), '--pfsense-config', join(dir, 'backup.xml')]);
      expect(ok.status, ok.stderr).toBe(0);
      const out = join(dir, 'out', 'brf-solgarden', 'pfsense');
      expect(readdirSync(out).sort()).toEqual(['STEPS.md', 'chargewall.xml', 'config.xml']);
      expect(readFileSync(join(out, 'config.xml'), 'utf8')).toBe(merge(exampleText, backup()));

      writeFileSync(join(dir, 'stock.xml'), stock);
      const bad = run(['render', example, '-t', 'pfsense', '-o', join(dir, 'out2'), '--pfsense-config', join(dir, 'stock.xml')]);
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/error pfsense-config: pfsense: --pfsense-config .*stock\.xml: the backup has no interface 'opt2'/);
      expect(bad.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(dir, 'out2'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('pfsense: the check and render() share one model', () => {
  it("render() on its own builds the model and refuses; after the pipeline's check it takes the check's model, once", async () => {
    const { pfsenseTarget } = await import('../src/targets/pfsense/index.js');
    const { takeCheckedModel } = await import('../src/targets/pfsense/model.js');
    const r = render(exampleText);
    const plan = r.plans.pfsense;
    const site = r.site!;
    const iface = site.targets.pfsense.interface;
    const opts = { withSecrets: false, env: testEnv };
    const id = site.site.id;
    // The pipeline's render took the check's model: nothing is left for this plan.
    expect(takeCheckedModel(plan, iface)).toBeUndefined();
    // A library caller's render, without the check: the same files as the pipeline's.
    const alone = pfsenseTarget.render(plan, site, opts);
    expect(alone['chargewall.xml']).toBe(r.files[`${id}/pfsense/chargewall.xml`]);
    expect(alone['STEPS.md']).toBe(r.files[`${id}/pfsense/STEPS.md`]);
    // The check leaves its model for one render of the same plan and interface.
    expect(pfsenseTarget.check!(plan, site)).toEqual([]);
    const model = takeCheckedModel(plan, iface);
    expect(model?.iface).toBe(iface);
    expect(takeCheckedModel(plan, iface)).toBeUndefined();
    pfsenseTarget.check!(plan, site);
    expect(takeCheckedModel(plan, 'opt9')).toBeUndefined();
    expect(pfsenseTarget.check!(plan, site)).toEqual([]);
    expect(pfsenseTarget.render(plan, site, opts)).toEqual(alone);
    expect(takeCheckedModel(plan, iface)).toBeUndefined();
    // A plan the model cannot hold: the check reports it and leaves no model; render() alone refuses it.
    const refused = { ...plan, dhcp: { ...plan.dhcp, dnsServers: ['10.40.0.1', '10.40.0.2', '10.40.0.3', '10.40.0.4', '10.40.0.5'] } };
    expect(pfsenseTarget.check!(refused, site).map((x) => x.feature)).toEqual(['more than 4 DHCP DNS/NTP servers']);
    expect(takeCheckedModel(refused, iface)).toBeUndefined();
    expect(() => pfsenseTarget.render(refused, site, opts)).toThrow(/target pfsense cannot express more than 4 DHCP DNS\/NTP servers/);
  });
});
