import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { renderText, requireTools, sharedData } from './helpers.js';
import { renderSpec } from '../src/pipeline.js';
import { freeText, holdable, hostileSpec, propertyRuns, ssidAcceptable, textAcceptable } from './arbitraries.js';
import { targetIds } from '../src/targets/registry.js';
import * as linuxEsc from '../src/targets/linux/escape.js';
import * as mikrotikEsc from '../src/targets/mikrotik/escape.js';
import * as pfsenseEsc from '../src/targets/pfsense/escape.js';
import * as unifiEsc from '../src/targets/unifi/escape.js';
import { allCommands, allStrings, parseScript, type Command } from '../src/targets/mikrotik/script.js';
import { child, childrenNamed, parseXml, textOf, type XNode } from '../src/targets/pfsense/xml.js';
import { checkScript, tree } from './mikrotik-tree.js';

/**
 * Hostile free text across every target, driven by one table. For each target:
 * - parse: every file parses with the real parser or the project's own (throws otherwise);
 * - structure: what must not change when the text changes (lines, commands, elements, rows);
 * - decode: the free-text values read back out of the parsed output, as the device (or reader) gets them;
 * - escapes: the target's escape functions: a marker in a free-text field may reach a file only in one of these forms;
 * - real: the vendor's own tools, for the first few cases.
 * Adding a target (e.g. unifi) is one entry here; a registered target without an entry fails the test.
 */
type Field = 'siteName' | 'unitName' | 'ssid' | 'description';
type Texts = Record<Field, string>;
type Files = Record<string, string>;

interface Entry<P> {
  parse(files: Files): P;
  structure(parsed: P, files: Files): unknown;
  /** Each field's values as read back; every value must equal the spec's text exactly. */
  decode(parsed: P, files: Files): Partial<Record<Field, string[]>>;
  /** Fields the target writes somewhere (their markers must show up). */
  holds: Field[];
  escapes: ((s: string) => string)[];
  real?: { tools: string[]; root: boolean; check(files: Files): void };
  /** Files and line patterns where the passphrase may appear with --with-secrets. */
  secretLines: { file: string; line: RegExp }[];
}

const PSK = 'Zq9-unique-Psk-7x';
const SITE = 'hostile';
const ALL = ['siteName', 'unitName', 'ssid', 'description'] as const;
const PATHS: Record<Field, string> = { siteName: 'site.name', unitName: 'chargers.units.0.name', ssid: 'wifi.ssid', description: 'extraEndpoints.0.description' };
const plain: Texts = { siteName: 'Plain', unitName: 'Plain', ssid: 'Plain', description: 'Plain' };

const all = <T>(re: RegExp, text: string, f: (m: RegExpExecArray) => T = (m) => m[1] as T): T[] => [...text.matchAll(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'))].map(f);
const unMd = (s: string) => s.replace(/\\([\\`*_[\]<>|#])/g, '$1');

// ---------------------------------------------------------------- iptables (Linux files)
let ns = '';
let work = '';
function linuxStructure(files: Files) {
  const out: Record<string, { lines: string[]; comments: number }> = {};
  for (const [name, text] of Object.entries(files)) {
    const lines = text.split('\n');
    out[name] = {
      comments: lines.filter((l) => l.startsWith('#')).length,
      lines: lines
        .filter((l) => !l.startsWith('#') && l !== 'utf8_ssid=1')
        .map((l) => l.replace(/^ssid2=.*/, 'ssid2=<ssid>').replace(/^(dhcp-host=[^,]+,[^,]+),.*/, '$1,<host>')),
    };
  }
  return out;
}
const iptables: Entry<Files> = {
  parse: (files) => {
    // The Linux formats are line-based: no line may be empty of meaning except comments and known directives.
    for (const [name, text] of Object.entries(files)) {
      if (/[\r\0\u2028]/.test(text)) throw new Error(`${name}: a control character or line separator would split a line`);
    }
    return files;
  },
  structure: (_p, files) => linuxStructure(files),
  decode: (_p, files) => ({
    ssid: [Buffer.from(/^ssid2=([0-9a-f]+)$/m.exec(files['hostapd.conf'])![1], 'hex').toString('utf8'), ...all(/^# SSID: (.*) \(written as hex below/m, files['hostapd.conf'])],
    siteName: Object.values(files).flatMap((t) => all(/^# Site: hostile \((.*)\), profile zaptec-pro, /m, t)),
    unitName: all(/^# (.*)\ndhcp-host=/m, files['dnsmasq.conf']),
  }),
  holds: ['siteName', 'unitName', 'ssid'],
  escapes: [linuxEsc.commentText],
  real: {
    tools: ['ip', 'ipset', 'iptables-restore', 'ip6tables-restore', 'dnsmasq', 'hostapd'],
    root: true,
    check(files) {
      const p = (n: string) => join(work, n);
      for (const [name, text] of Object.entries(files)) writeFileSync(p(name), text);
      const ipt = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', `ipset -exist restore < ${p('ipset.conf')} && iptables-restore --test ${p('rules.v4')} && ip6tables-restore --test ${p('rules.v6')}`], { encoding: 'utf8' });
      expect(ipt.status, ipt.stderr).toBe(0);
      const dnsmasq = spawnSync('dnsmasq', ['--test', `--conf-file=${p('dnsmasq.conf')}`], { encoding: 'utf8' });
      expect(dnsmasq.status, dnsmasq.stderr).toBe(0);
      writeFileSync(p('hostapd-none.conf'), files['hostapd.conf'].replace('driver=nl80211', 'driver=none').replace(/^bridge=.*$/m, ''));
      const hostapd = spawnSync('timeout', ['0.2', 'hostapd', p('hostapd-none.conf')], { encoding: 'utf8' });
      expect(hostapd.stdout + hostapd.stderr).not.toMatch(/errors found in configuration file|Line \d+: /);
      const sh = spawnSync('sh', ['-n', p('apply.sh')], { encoding: 'utf8' });
      expect(sh.status, sh.stderr).toBe(0);
    },
  },
  secretLines: [{ file: 'hostapd.conf', line: /^wpa_passphrase=/ }],
};

/** nftables: the same Linux files, with chargewall.nft checked by `nft -c` instead of ipset/iptables-restore. */
const nftables: Entry<Files> = {
  ...iptables,
  real: {
    tools: ['ip', 'nft', 'dnsmasq', 'hostapd'],
    root: true,
    check(files) {
      const p = (n: string) => join(work, `nft-${n}`);
      for (const [name, text] of Object.entries(files)) writeFileSync(p(name), text);
      const nft = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-c', '-f', p('chargewall.nft')], { encoding: 'utf8' });
      expect(nft.status, nft.stderr).toBe(0);
      const dnsmasq = spawnSync('dnsmasq', ['--test', `--conf-file=${p('dnsmasq.conf')}`], { encoding: 'utf8' });
      expect(dnsmasq.status, dnsmasq.stderr).toBe(0);
      const sh = spawnSync('sh', ['-n', p('apply.sh')], { encoding: 'utf8' });
      expect(sh.status, sh.stderr).toBe(0);
    },
  },
};

// ---------------------------------------------------------------- mikrotik (RouterOS script)
const shapeOf = (c: Command) =>
  c.items.map((i) => (i.kind === 'named' ? `${i.name}=${i.value.kind}` : i.value.kind === 'word' ? i.value.text : `<${i.value.kind}>`)).join(' ');
/** STEPS.md text back to what it says (mikrotik's mdText also escapes `#`). */
const unMikrotikMd = (s: string) => s.replace(/\\([\\`*_[\]|~#])/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const mikrotik: Entry<Command[]> = {
  parse: (files) => parseScript(files['chargewall.rsc']),
  structure: (cmds, files) => ({ commands: allCommands(cmds).map(shapeOf), lines: files['chargewall.rsc'].split('\n').length, steps: files['STEPS.md'].split('\n').map(mdKind) }),
  decode: (cmds, files) => {
    const strings = allStrings(cmds);
    const comments = strings.filter((s) => s.arg === 'comment').map((s) => s.value);
    const after = (prefix: string) => comments.filter((c) => c.startsWith(prefix)).map((c) => c.slice(prefix.length));
    return {
      siteName: [...after(`chargewall:${SITE}: charger segment of `), ...all(/^# MikroTik steps: (.*) \(`hostile`\)$/m, files['STEPS.md'], (m) => unMikrotikMd(m[1]))],
      unitName: after(`chargewall:${SITE}: lease `),
      description: after(`chargewall:${SITE}: ocpp tcp 443 `),
      ssid: [
        ...strings.filter((s) => s.arg === 'ssid' || s.arg === 'configuration.ssid').map((s) => s.value),
        ...all(/^The charger SSID (.*) is a \*\*virtual AP/m, files['STEPS.md'], (m) => unMikrotikMd(m[1])),
      ],
    };
  },
  holds: ['siteName', 'unitName', 'ssid', 'description'],
  escapes: [(s) => mikrotikEsc.str(s).slice(1, -1), mikrotikEsc.commentText, mikrotikEsc.mdText],
  real: {
    // No RouterOS here: its own command tree (/console/inspect of 7.20) checks every path, argument and length.
    tools: [],
    root: false,
    check(files) {
      expect(checkScript(files['chargewall.rsc'], tree('7.20')).problems).toEqual([]);
    },
  },
  secretLines: [
    { file: 'chargewall.rsc', line: /^:if .*\/interface wifi security .* passphrase="/ },
    { file: 'chargewall.rsc', line: /^\/interface wifi set \[\/interface wifi find where name="[a-z0-9-]+"\] configuration=.* security.passphrase="/ },
  ],
};

// ---------------------------------------------------------------- pfsense (config.xml + STEPS.md)
/** What a Markdown line is: free text inside a line must never change it. */
function mdKind(l: string): string {
  if (l === '') return 'blank';
  if (/^#+ /.test(l)) return `h${/^#+/.exec(l)![0].length}`;
  if (/^ {4,}\S/.test(l)) return 'code';
  if (/^\s*- /.test(l)) return 'li';
  if (/^\d+\. /.test(l)) return 'ol';
  if (/^>/.test(l)) return 'quote';
  if (l.startsWith('|')) return `row of ${l.split(/(?<!\\)\|/).length - 2} cells`;
  return 'p';
}
function elementPaths(n: XNode, prefix = ''): string[] {
  const path = `${prefix}/${n.name}`;
  return [path, ...n.children.flatMap((c) => elementPaths(c, path))];
}
/** The admin's backup the merge goes into: pfSense's stock config.xml with an OPT1 interface for the chargers. */
const pfBackup = readFileSync(join(sharedData, 'pfsense', 'default-config.xml'), 'utf8').replace(
  '\t</interfaces>\n',
  '\t\t<opt1>\n\t\t\t<descr><![CDATA[CHARGERS]]></descr>\n\t\t\t<if>em1.77</if>\n\t\t\t<enable></enable>\n\t\t\t<ipaddr>10.77.0.1</ipaddr>\n\t\t\t<subnet>24</subnet>\n\t\t</opt1>\n\t</interfaces>\n',
);
const pfsense: Entry<{ xml: XNode; config: XNode }> = {
  parse: (files) => ({ xml: parseXml(files['chargewall.xml']), config: parseXml(files['config.xml']) }),
  structure: (p, files) => ({
    elements: elementPaths(p.xml),
    config: elementPaths(p.config),
    steps: files['STEPS.md'].split('\n').map(mdKind),
  }),
  decode: (p, files) => {
    const tag = `cw:${SITE} `;
    const fromDoc = (doc: string, root: XNode) => {
      const t = (n: XNode | undefined, name: string) => textOf(doc, child(n, name));
      return {
        maps: childrenNamed(child(child(root, 'dhcpd'), 'opt1'), 'staticmap').map((m) => t(m, 'descr')),
        ocpp: childrenNamed(child(root, 'aliases'), 'alias').filter((a) => t(a, 'name') === 'CW_HOSTILE_OCPP').map((a) => t(a, 'descr')),
      };
    };
    const a = fromDoc(files['chargewall.xml'], p.xml);
    const b = fromDoc(files['config.xml'], p.config);
    const maps = [...a.maps, ...b.maps];
    const ocpp = [...a.ocpp, ...b.ocpp];
    const steps = files['STEPS.md'];
    return {
      unitName: [...maps.map((d) => d.slice(tag.length)), ...all(/^\| 98:3d:ae:00:00:01 \| 10\.77\.0\.10 \| [a-z0-9-]+ \| (.*) \|$/m, steps, (m) => unMd(m[1]).slice(tag.length))],
      description: [...ocpp.map((d) => d.slice(`${tag}ocpp TCP 443: `.length)), ...all(/^- Name `CW_HOSTILE_OCPP`, hosts `[^`]*`, Description: (.*) \(per host: /m, steps, (m) => unMd(m[1]).slice(`${tag}ocpp TCP 443: `.length))],
      siteName: all(/^# pfSense: chargers of (.*) \(`hostile`\)$/m, steps, (m) => unMd(m[1])),
      ssid: all(/^- SSID (.*), 2\.4 GHz only \(no 5 GHz/m, steps, (m) => unMd(m[1])),
    };
  },
  holds: ['siteName', 'unitName', 'ssid', 'description'],
  escapes: [(s) => pfsenseEsc.xmlEntities(pfsenseEsc.cleanText(s)), pfsenseEsc.mdText],
  real: {
    tools: ['xmllint'],
    root: false,
    check(files) {
      const doc = files['config.xml'];
      expect(spawnSync('xmllint', ['--noout', '-'], { input: files['chargewall.xml'], encoding: 'utf8' }).status).toBe(0);
      const lint = spawnSync('xmllint', ['--noout', '-'], { input: doc, encoding: 'utf8' });
      expect(lint.status, lint.stderr).toBe(0);
      const xpath = (x: string) => spawnSync('xmllint', ['--xpath', x, '-'], { input: doc, encoding: 'utf8' }).stdout.replace(/\n$/, '');
      expect(xpath('count(//filter/rule)')).toBe(String(childrenNamed(child(parseXml(doc), 'filter'), 'rule').length));
      // libxml2 decodes the XML; pfSense then decodes entities a second time (xmlparse.inc).
      expect(pfsenseEsc.decodeEntities(xpath('string(//dhcpd/opt1/staticmap[1]/descr)'))).toBe(textOf(doc, child(childrenNamed(child(child(parseXml(doc), 'dhcpd'), 'opt1'), 'staticmap')[0], 'descr')));
    },
  },
  secretLines: [{ file: 'STEPS.md', line: new RegExp(`^ {6}${PSK}$`) }],
};

// ---------------------------------------------------------------- unifi (Integration API JSON + STEPS.md)
/** The shape of a JSON value: keys and types, never the strings themselves. */
const jsonShape = (v: unknown): unknown =>
  Array.isArray(v) ? v.map(jsonShape) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonShape(x)])) : typeof v;
/** STEPS.md text back to what it says: backslash escapes and the three entities undone. */
const unUnifiMd = (s: string) => s.replace(/\\([\\`*_[\]|~])/g, '$1').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const unifi: Entry<{ api: any }> = {
  parse: (files) => ({ api: JSON.parse(files['integration-api.json']) }),
  structure: (p, files) => ({
    requests: p.api.requests.map((r: any) => `${r.id} ${r.method} ${r.path} ${JSON.stringify(jsonShape(r.body))}`),
    top: JSON.stringify(jsonShape({ ...p.api, requests: undefined })),
    steps: files['STEPS.md'].split('\n').map(mdKind),
  }),
  decode: (p, files) => {
    const body = (id: string) => p.api.requests.find((r: any) => r.id === id)?.body;
    const steps = files['STEPS.md'];
    const ocpp = unifiEsc.apiLiteral(body('allow-ocpp').description) as string;
    return {
      siteName: [unifiEsc.apiLiteral(p.api.site.name), ...all(/^# UniFi steps: (.*) \(`hostile`\)$/m, steps, (m) => unUnifiMd(m[1]))],
      ssid: [unifiEsc.apiLiteral(body('wifi').name), ...all(/^\| Name \(SSID\) \| (.*) \(exactly as `wifi\.ssid` in the spec\) \|$/m, steps, (m) => unUnifiMd(m[1]))],
      description: [ocpp.slice('ocpp TCP 443: '.length, -' (csms.example.com)'.length)],
      unitName: all(/^\| (.*) \| `98:3d:ae:00:00:01` \| `10\.77\.0\.10` \|$/m, steps, (m) => unUnifiMd(m[1])),
    };
  },
  holds: ['siteName', 'unitName', 'ssid', 'description'],
  escapes: [(s) => JSON.stringify(unifiEsc.apiText(s)).slice(1, -1), unifiEsc.mdText],
  secretLines: [{ file: 'integration-api.json', line: new RegExp(`"passphrase": "${PSK}"`) }],
};

/** One entry per target; a registered target without an entry fails the first test. */
const table: Record<string, Entry<any>> = { iptables, nftables, mikrotik, pfsense, unifi };

// ---------------------------------------------------------------- harness
const ids = targetIds();
const env = { CHARGER_WIFI_PSK: PSK };
const render = (t: Texts, withSecrets = true) => renderSpec(hostileSpec(t), 'test.yaml', ids, { withSecrets, env, pfsenseConfig: { file: 'backup.xml', text: pfBackup } });
const filesOf = (files: Files, id: string): Files =>
  Object.fromEntries(Object.entries(files).filter(([k]) => k.startsWith(`${SITE}/${id}/`)).map(([k, v]) => [k.slice(`${SITE}/${id}/`.length), v]));

let realOk: Record<string, boolean> = {};
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'cw-hostile-'));
  realOk = Object.fromEntries(Object.entries(table).map(([id, e]) => [id, !e.real || requireTools(e.real.tools, e.real.root).ok]));
  if (realOk.iptables || realOk.nftables) {
    ns = `cwh${process.pid}`;
    expect(spawnSync('ip', ['netns', 'add', ns]).status).toBe(0);
  }
});
afterAll(() => {
  if (ns) spawnSync('ip', ['netns', 'del', ns]);
  rmSync(work, { recursive: true, force: true });
});

/** What validation must say about raw text: each unholdable field refused at its own path, nothing else. */
function expectRefusals(raw: Texts) {
  const bad = ALL.filter((f) => (f === 'ssid' ? !ssidAcceptable(raw[f]) : !textAcceptable(raw[f])));
  if (!bad.length) return;
  const r = render(raw);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  expect(Object.keys(r.files)).toEqual([]);
  for (const f of bad) {
    const at = errors.filter((d) => d.path === PATHS[f]);
    expect(at.map((d) => d.code), `${f} refused at ${PATHS[f]}`).toEqual(expect.arrayContaining([expect.stringMatching(/^(text-control-character|ssid-control-character|ssid-too-long)$/)]));
    for (const d of at) expect(d.line).toBeGreaterThan(1); // located at the field, not the top of the file
  }
  expect(errors.every((d) => bad.some((f) => d.path === PATHS[f]))).toBe(true);
}

/** The text made acceptable (so every case also renders): unholdable characters dropped, SSID cut to 32 bytes. */
function acceptable(raw: Texts): Texts {
  const fix = (s: string) => (holdable(s).trim() ? holdable(s) : 'Plain');
  let ssid = fix(raw.ssid);
  while (Buffer.byteLength(ssid, 'utf8') > 32) ssid = [...ssid].slice(0, -1).join('');
  return { siteName: fix(raw.siteName), unitName: fix(raw.unitName), ssid: ssid.trim() ? ssid : 'Plain', description: fix(raw.description) };
}

const baseline = render(plain);
const baselineParsed = Object.fromEntries(Object.entries(table).filter(([id]) => ids.includes(id)).map(([id, e]) => {
  const files = filesOf(baseline.files, id);
  return [id, e.structure(e.parse(files), files)];
}));

const cases: Record<string, number> = {};
const realRuns: Record<string, number> = {};
const REAL_PER_RUN = 6;

describe('hostile free text, every target', () => {
  it('every registered target has an entry in the table, and the plain spec renders', () => {
    expect(ids.filter((id) => !table[id])).toEqual([]);
    expect(baseline.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  for (const run of propertyRuns(100)) {
    it(`structure unchanged, text round-trips or is refused at its field (${run.label})`, () => {
      const real: Record<string, number> = {};
      fc.assert(
        fc.property(freeText(200), freeText(64), freeText(40), freeText(200), (siteName, unitName, ssid, description) => {
          const raw = { siteName, unitName, ssid, description };
          expectRefusals(raw);
          const t = acceptable(raw);
          const result = render(t);
          expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
          for (const id of ids) {
            const e = table[id];
            const files = filesOf(result.files, id);
            const parsed = e.parse(files);
            expect(e.structure(parsed, files), `${id}: structure`).toEqual(baselineParsed[id]);
            const decoded = e.decode(parsed, files);
            for (const f of e.holds) {
              expect(decoded[f]?.length, `${id}: ${f} found`).toBeGreaterThan(0);
              for (const v of decoded[f]!) expect(v, `${id}: ${f} reads back unchanged`).toBe(t[f]);
            }
            if (realOk[id] && e.real && (real[id] ?? 0) < REAL_PER_RUN) {
              real[id] = (real[id] ?? 0) + 1;
              realRuns[id] = (realRuns[id] ?? 0) + 1;
              e.real.check(files);
            }
            cases[id] = (cases[id] ?? 0) + 1;
          }
        }),
        run.params,
      );
    });
  }

  it('markers in every free-text field reach each file only in the target\'s escaped form', () => {
    const cores = [
      '"\'\\$[x]{y}{{z}}<a>&amp;]]>;#|*_`?',
      '$(reboot)`id`;/system reset',
      ']]><rule><![CDATA[ --&#x41;',
      'å漢字🚗e\u0301 | x | \\_',
    ];
    let checked = 0;
    for (const core of cores) {
      const mark = (code: string, c: string) => `QX${code}A${c}QX${code}Z`;
      const codes: Record<Field, string> = { siteName: 'N', unitName: 'U', ssid: 'S', description: 'D' };
      const t = Object.fromEntries(ALL.map((f) => [f, mark(codes[f], f === 'ssid' ? core.slice(0, 12) : core)])) as Texts;
      expect(Buffer.byteLength(t.ssid)).toBeLessThanOrEqual(32);
      const result = render(t);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      for (const id of ids) {
        const e = table[id];
        const files = filesOf(result.files, id);
        for (const f of ALL) {
          const [A, Z] = [`QX${codes[f]}A`, `QX${codes[f]}Z`];
          const inner = (s: string) => (s.includes(A) && s.includes(Z) ? s.slice(s.indexOf(A) + A.length, s.indexOf(Z)) : undefined);
          const allowed = new Set(e.escapes.map((esc) => inner(esc(t[f]))).filter((x) => x !== undefined));
          let seen = 0;
          for (const [name, text] of Object.entries(files)) {
            for (const m of text.matchAll(new RegExp(`${A}(.*?)(${Z}|$)`, 'gm'))) {
              seen++;
              expect(m[2], `${id}/${name}: ${f} marker ends on its line`).toBe(Z);
              expect([...allowed], `${id}/${name}: ${f} written as ${JSON.stringify(m[1])}`).toContain(m[1]);
              checked++;
            }
          }
          if (e.holds.includes(f)) expect(seen, `${id}: ${f} appears`).toBeGreaterThan(0);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('reports the cases per target', () => {
    console.log(`[hostile] cases per target: ${JSON.stringify(cases)}; real-parser checks: ${JSON.stringify(realRuns)}`);
    for (const id of ids) expect(cases[id]).toBeGreaterThanOrEqual(200);
  });
});

describe('secrets, every target', () => {
  for (const passphrase of [{ env: 'CHARGER_WIFI_PSK' }, PSK] as const) {
    const kind = typeof passphrase === 'string' ? 'literal' : 'env';
    const spec = hostileSpec(plain).replace('passphrase: { env: CHARGER_WIFI_PSK }', `passphrase: ${typeof passphrase === 'string' ? JSON.stringify(passphrase) : '{ env: CHARGER_WIFI_PSK }'}`);

    it(`${kind} passphrase: absent from every file without --with-secrets, only where intended with it`, () => {
      const without = renderText(spec, ids, false, env);
      expect(without.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(Object.keys(without.files).length).toBeGreaterThan(ids.length);
      for (const [name, text] of Object.entries(without.files)) expect(text, name).not.toContain(PSK);
      expect(JSON.stringify(without.diagnostics)).not.toContain(PSK);
      expect(JSON.stringify(without.plans)).not.toContain(kind === 'env' ? PSK : '\u0000never');

      const withS = renderText(spec, ids, true, env);
      for (const id of ids) {
        const files = filesOf(withS.files, id);
        let hits = 0;
        for (const [name, text] of Object.entries(files)) {
          for (const line of text.split('\n').filter((l) => l.includes(PSK))) {
            hits++;
            expect(table[id].secretLines.some((s) => s.file === name && s.line.test(line)), `${id}/${name}: ${line}`).toBe(true);
          }
        }
        expect(hits, `${id} carries the passphrase`).toBeGreaterThan(0);
      }
      expect(JSON.stringify(withS.diagnostics)).not.toContain(PSK);
    });
  }

  it('a bad passphrase is refused without echoing it, in text and --format json', () => {
    const bad = 'Bad"psk\u00e5-77';
    const literal = hostileSpec(plain).replace('passphrase: { env: CHARGER_WIFI_PSK }', `passphrase: ${JSON.stringify(bad)}`);
    const r = renderText(literal, ids, true, env);
    expect(r.diagnostics.map((d) => d.code)).toContain('passphrase-invalid');
    expect(JSON.stringify(r.diagnostics)).not.toContain(bad);
    const fromEnv = renderText(hostileSpec(plain), ids, true, { CHARGER_WIFI_PSK: 'short\u00e5' });
    expect(fromEnv.diagnostics.map((d) => d.code)).toContain('passphrase-invalid');
    expect(JSON.stringify(fromEnv.diagnostics)).not.toContain('short\u00e5');
    expect(Object.keys(fromEnv.files)).toEqual([]);
  });
});
