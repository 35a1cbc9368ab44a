import { describe, expect, it } from 'vitest';
import MarkdownIt from 'markdown-it';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPlan } from '../src/plan/build.js';
import { explainSite } from '../src/report/explain.js';
import { renderSpec } from '../src/pipeline.js';
import { mdEscape, mdText, mermaidText } from '../src/report/escape.js';
import { validateSpec } from '../src/spec/validate.js';
import { exampleFiles, renderFile, renderText, root } from './helpers.js';

// GitHub renders Markdown with GFM: tables, raw HTML, and bare URLs turned into links. linkify-it's fuzzy
// mode links any dotted word (apply.sh); GFM does not, so it is off, and the www./e-mail autolinks GFM
// adds on top are checked on the text below.
const md = new MarkdownIt({ html: true, linkify: true });
md.linkify.set({ fuzzyLink: false });

const specText = (over: { name?: string; ssid?: string; unit?: string; description?: string; extra?: string } = {}) => `version: 1
site:
  id: report-test
  name: ${JSON.stringify(over.name ?? 'Report test')}
profile: zaptec-pro
chargers:
  count: 7
  units:
    - { name: ${JSON.stringify(over.unit ?? 'P-01')}, mac: "98:3d:ae:00:00:01", ip: 10.1.2.11, rssi: -70 }
network:
  subnet: 10.1.2.0/24
  dhcp: { pool: 10.1.2.100-10.1.2.119 }
wifi:
  ssid: ${JSON.stringify(over.ssid ?? 'Chargers')}
  passphrase: { env: CHARGER_WIFI_PSK }
  channel: 11
  country: NO
extraEndpoints:
  - { name: ocpp, description: ${JSON.stringify(over.description ?? 'OCPP backend')}, protocol: tcp, ports: [443, 9443], hosts: [csms.example.com] }
${over.extra ?? ''}`;

function report(text: string, targets = ['iptables']): string {
  const r = renderText(text, targets);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(errors).toEqual([]);
  return r.files[`${r.site!.site.id}/README.md`];
}

/** The section under a `## heading`, up to the next one. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  expect(start, heading).toBeGreaterThan(-1);
  const end = text.indexOf('\n## ', start + 4);
  return text.slice(start, end === -1 ? undefined : end);
}

describe('explain report', () => {
  it('is part of every render, next to the target folders', () => {
    for (const example of exampleFiles()) {
      const files = renderFile(example);
      const readme = Object.keys(files).filter((f) => f.endsWith('/README.md') && f.split('/').length === 2);
      expect(readme, example).toHaveLength(1);
    }
  });

  it('has a Mermaid diagram with every endpoint host and its protocol/port', () => {
    const text = report(specText());
    const m = /```mermaid\n([\s\S]*?)\n```/.exec(text);
    expect(m).not.toBeNull();
    const diagram = m![1];
    expect(diagram.startsWith('flowchart LR')).toBe(true);
    const plan = renderText(specText(), ['iptables']).plans.iptables;
    for (const e of plan.endpoints) {
      for (const h of e.hosts) {
        const node = new RegExp(`^  (ep\\d+)\\["${h.replace(/\./g, '\\.')}"\\]$`, 'm').exec(diagram);
        expect(node, h).not.toBeNull();
        const label = `${e.protocol.toUpperCase()} ${e.ports.join(', ')}`;
        expect(diagram).toContain(`router -->|"${label}"| ${node![1]}`);
      }
    }
    expect(diagram).toContain('chargers -->|');
    expect(diagram).toContain('csms.example.com');
    expect(diagram).toMatch(/TCP 443, 9443/);
  });

  it('computes the data budget: chargers × 3 MB per day and per 30-day month', () => {
    const text = section(report(specText()), 'Data budget');
    expect(text).toContain('7 chargers × 3 MB per day');
    expect(text).toContain(`**${7 * 3} MB per day**`);
    expect(text).toContain(`**${7 * 3 * 30} MB per 30-day month**`);
    const big = section(report(specText().replace('count: 7', 'count: 12')), 'Data budget');
    expect(big).toContain('**36 MB per day**');
    expect(big).toContain('**1080 MB (1.08 GB) per 30-day month**');
  });

  it('reports the DHCP pool: range, size, free addresses and static leases', () => {
    const text = section(report(specText()), 'DHCP');
    expect(text).toContain('`10.1.2.100` – `10.1.2.119`');
    // 20 addresses; 7 chargers, one of them with a static lease: 6 take pool addresses, 14 stay free.
    expect(text).toContain('| Size | 20 addresses; 7 chargers + 25% headroom need 9 |');
    expect(text).toMatch(/\| Free \| 14 addresses left .*\(6\)/);
    expect(text).toContain('| P-01 | `98:3d:ae:00:00:01` | `10.1.2.11` | -70 dBm |');
  });

  it('has the installer checklist: addresses, signal ≥ -75 dBm in the Zaptec app, fixed channel, NTP before first boot', () => {
    const list = section(report(specText()), 'Installer checklist').split('\n').filter((l) => l.startsWith('- [ ] '));
    expect(list.some((l) => /Every charger gets an address/.test(l) && l.includes('10.1.2.100'))).toBe(true);
    expect(list.some((l) => /-75 dBm or better in the Zaptec app/.test(l) && l.includes('P-01 -70 dBm'))).toBe(true);
    expect(list.some((l) => /fixed to channel 11 \(not auto\)/.test(l))).toBe(true);
    expect(list.some((l) => /NTP is reachable .* before the first boot/.test(l) && l.includes('no.pool.ntp.org'))).toBe(true);
    // The on-site check that proves most of the list, with the Wi-Fi link read next to the weakest charger.
    expect(list.some((l) => l.includes('`npx chargewall verify <spec> --format markdown -o verify-') && l.includes('--wifi <interface>'))).toBe(true);
    // Without Wi-Fi there is no signal or channel item.
    const noWifi = specText().replace(/wifi:\n(  .*\n)+/, '');
    const list2 = section(report(noWifi), 'Installer checklist');
    expect(list2).not.toMatch(/Zaptec app|channel/);
    expect(list2).toContain('`npx chargewall verify <spec>');
    expect(list2).not.toContain('--wifi');
    expect(section(report(noWifi), 'Wi-Fi')).toContain('No Wi-Fi in the spec');
  });

  it('explains every rule with the requirement line it comes from', () => {
    const text = section(report(specText()), 'Rules');
    const items = text.split('\n').filter((l) => /^\d+\. /.test(l));
    const plan = renderText(specText(), ['iptables']).plans.iptables;
    expect(items).toHaveLength(plan.redirects.length + plan.routerRules.length + plan.rules.length + 1);
    expect(text).toContain('Requirement: “MQTT: TCP-port 8883: zapcloud.azure-devices.net”');
    expect(text).toContain('Requirement: “HTTPS: TCP-port 443');
    expect(items.at(-1)).toMatch(/^\d+\. \*\*Drop\*\* everything else/);
  });

  it('shows Wi-Fi settings but never the passphrase', () => {
    const literal = specText().replace('passphrase: { env: CHARGER_WIFI_PSK }', 'passphrase: "Sup3r-Secret-PSK"');
    const r = renderText(literal, ['iptables'], true, {});
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const text = r.files['report-test/README.md'];
    expect(text).not.toContain('Sup3r-Secret-PSK');
    expect(section(text, 'Wi-Fi')).toContain('| Passphrase | written in the spec');
    expect(section(text, 'Warnings')).toContain('`passphrase-literal`');
    expect(section(report(specText()), 'Wi-Fi')).toContain('`CHARGER_WIFI_PSK`');
  });

  it('names the per-target strategy where plans differ (NTP by name on Linux, redirect on a pfSense-like target)', () => {
    const v = validateSpec(specText(), 'x.yaml');
    const site = v.site!;
    const profile = v.profile!;
    const linux = buildPlan(site, profile, { resolverFilledSets: true, redirect: true, ntpServer: true }, 'iptables');
    const pf = buildPlan(site, profile, { resolverFilledSets: false, redirect: true, ntpServer: true }, 'pfsense');
    const text = explainSite({ site, profile, plans: { iptables: linux, pfsense: pf }, specWarnings: [] });
    const dnsNtp = section(text, 'DNS and NTP');
    expect(dnsNtp).toContain('- NTP (`iptables`): **fqdn**');
    expect(dnsNtp).toContain('- NTP (`pfsense`): **redirect**');
    // DNS is redirected on both, but only the Linux resolver fills the allow-sets: said per target.
    expect(dnsNtp).toMatch(/^- DNS \(`iptables`\): \*\*redirect\*\* .*fills the allow-sets exactly/m);
    expect(dnsNtp).toMatch(/^- DNS \(`pfsense`\): \*\*redirect\*\* .*through the same resolver/m);
    const rules = section(text, 'Rules');
    expect(rules).toMatch(/Redirect\*\* UDP 123 .* Only on `pfsense`\./);
    expect(rules).toMatch(/to `no\.pool\.ntp\.org` .* Only on `iptables`\./);
    expect(text).toMatch(/\| NTP server \(option 42\) \(`pfsense`\) \| `10\.1\.2\.1` \|/);
    expect(text).toContain('UDP 123 #40;iptables#41;');
    // One target: no per-target notes at all.
    const single = explainSite({ site, profile, plans: { iptables: linux }, specWarnings: [] });
    expect(single).not.toMatch(/Only on|\(`iptables`\)/);
  });

  it('`chargewall explain` prints the same report render writes', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('node', ['dist/cli/main.js', 'explain', 'examples/housing-association.yaml'], { cwd: root, encoding: 'utf8' });
    const text = readFileSync(join(root, 'examples/housing-association.yaml'), 'utf8');
    const files = renderSpec(text, 'examples/housing-association.yaml', 'default', { withSecrets: false, env: {} }).files;
    expect(out).toBe(files['brf-solgarden/README.md']);
  });
});

describe('free text cannot change the report structure', () => {
  const hostile = [
    '# Heading\n## another',
    '[click](https://evil.example) ![img](x.png)',
    '<script>alert(1)</script><img src=x onerror=alert(1)>',
    'a | b\n| --- | --- |',
    'visit www.evil.example or https://evil.example and mail me@evil.example',
    '```\ncode fence\n```',
    '"]; chargers --> evil["x',
    '*bold* _it_ ~~strike~~ $x^2$ &amp; &#60;',
    '- list\n1. item\n> quote',
  ];

  it('the parser check can fail: the same strings unescaped do make links, HTML and headings', () => {
    const tokens = md.parse(hostile.join('\n\n'), {});
    const types = new Set(tokens.flatMap((t) => [t.type, ...(t.children ?? []).map((c) => c.type)]));
    for (const t of ['heading_open', 'link_open', 'image', 'html_block', 'fence', 'table_open', 's_open', 'blockquote_open']) expect(types, t).toContain(t);
  });

  for (const value of hostile) {
    it(`site name / unit / SSID / description: ${JSON.stringify(value).slice(0, 40)}`, () => {
      const oneLine = value.replace(/\n/g, ' ');
      if (value !== oneLine) {
        // A newline is text no router can hold in a name: refused at validation, located at the field.
        const refused = validateSpec(specText({ name: value, unit: 'u', ssid: 'Chargers', description: value }), 't.yaml');
        expect(refused.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.code, d.path])).toEqual([
          ['text-control-character', 'site.name'],
          ['text-control-character', 'extraEndpoints.0.description'],
        ]);
      }
      const spec = specText({ name: oneLine, unit: oneLine.slice(0, 64), ssid: oneLine.slice(0, 32).replace(/[^\x20-\x7e]/g, ''), description: oneLine });
      const v = validateSpec(spec, 't.yaml');
      expect(v.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual([]);
      const text = report(spec);
      const tokens = md.parse(text, {});
      const all = tokens.flatMap((t) => [t, ...(t.children ?? [])]);
      // The report's own structure: exactly its own headings, one fence (the diagram), no links or HTML at all.
      expect(all.filter((t) => t.type === 'heading_open').length).toBe((report(specText()).match(/^#+ /gm) ?? []).length);
      expect(all.filter((t) => t.type === 'link_open' || t.type === 'image' || t.type === 'html_inline' || t.type === 'html_block')).toEqual([]);
      expect(all.filter((t) => t.type === 'fence').map((t) => t.info)).toEqual(['mermaid']);
      // (inside the Mermaid fence nothing is linked; outside it, GFM's autolink triggers must be broken)
      expect(text.replace(/```mermaid[\s\S]*?```/, '')).not.toMatch(/www\.evil|me@evil|https:\/\/evil/);
      expect(all.filter((t) => t.type === 's_open' || t.type === 'blockquote_open')).toEqual([]);
      // Tables keep their two columns in every row.
      const rows = tokens.filter((t) => t.type === 'tr_open').length;
      const cells = tokens.filter((t) => t.type === 'td_open' || t.type === 'th_open').length;
      expect(cells).toBe(report(specText()).split('\n').filter((l) => l.startsWith('|') && !l.startsWith('| ---')).reduce((n, l) => n + (l.match(/(?<!\\)\|/g)!.length - 1), 0));
      expect(rows).toBeGreaterThan(0);
      // The Mermaid block: only the report's own node/edge lines, every label closed on its line.
      const diagram = /```mermaid\n([\s\S]*?)\n```/.exec(text)![1].split('\n');
      for (const l of diagram.slice(1)) expect(l).toMatch(/^  (\w+\["[^"]*"\]|\w+ -->\|"[^"]*"\| \w+)$/);
    });
  }

  it('mdText keeps any string inline text (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme-ascii', maxLength: 60 }), (s) => {
        const html = md.renderInline(mdText(s));
        expect(html).not.toMatch(/<(a|img|script|code|em|strong|s)\b/);
        expect(mdText(s)).not.toMatch(/[\n\r]/);
      }),
      { numRuns: 500 },
    );
  });

  it('mdText returns text unchanged only where the full escaper would not change it (property)', () => {
    // Characters each rule of mdEscape looks at, plus letters, digits and non-ASCII ones.
    const unit = fc.constantFrom(...'aZw.W:/-+1 9)(\t\n\u00a0\u2028\u0085\u0000\u200a*_[]<>#|~&$@`\\{}é“'.split(''), 'www.', 'http://', '1.', '\ud800');
    const text = fc.oneof(fc.string({ unit, maxLength: 24 }), fc.string({ maxLength: 24 }), fc.string({ unit: 'grapheme', maxLength: 24 }));
    fc.assert(
      fc.property(text, (s) => {
        expect(mdText(s)).toBe(mdEscape(s));
      }),
      { numRuns: 20000, seed: 20261129 },
    );
    for (const s of ['Allow TCP 443', 'see www.example.com', 'WWW.x', 'a http://x', '- item', '+1', '12. x', '3) x', 'a  b', ' a', 'a ', 'Zaptec’s “portal”']) expect(mdText(s)).toBe(mdEscape(s));
    expect(mdText('Allow TCP 443 to the portal')).toBe('Allow TCP 443 to the portal');
  });

  it('mermaidText leaves only safe characters and entity codes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        expect(mermaidText(s)).toMatch(/^([A-Za-z0-9 .,/_-]|#\d+;)*$/);
      }),
      { numRuns: 500 },
    );
  });
});
