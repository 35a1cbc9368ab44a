import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleFiles, root, renderText, testEnv } from './helpers.js';
import { renderSpec } from '../src/pipeline.js';
import { targets, targetIds, targetsSchema } from '../src/targets/registry.js';
import type { Target, TargetFlag } from '../src/targets/types.js';
import type { SpecDocument } from '../src/spec/types.js';
import { Command } from 'commander';
import { addTargetFlags, targetFlagValues } from '../src/cli/inputs.js';
import { validateSpec } from '../src/spec/validate.js';

/**
 * A target owns its contract (src/targets/<id>/): settings schema, defaults, rules, check. These tests
 * keep the registry, the published schema, the goldens, the hostile-text table and the guides in step,
 * so adding a target cannot miss one (docs/adding-a-target.md).
 */

const schemaFile = join(root, 'schemas', 'site.schema.json');
const update = process.env.UPDATE_GOLDEN === '1';

/**
 * JSON as schemas/site.schema.json writes it: two-space indentation, and an `items` object of plain
 * values on one line (`"items": { "type": "string", ... }`).
 */
function formatJson(value: unknown, indent: string, key?: string): string {
  if (Array.isArray(value)) {
    if (!value.length) return '[]';
    return `[\n${value.map((v) => `${indent}  ${formatJson(v, `${indent}  `)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (key === 'items' && entries.every(([, v]) => v === null || typeof v !== 'object')) {
      return `{ ${entries.map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`).join(', ')} }`;
    }
    return `{\n${entries.map(([k, v]) => `${indent}  ${JSON.stringify(k)}: ${formatJson(v, `${indent}  `, k)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The published file with its `targets` part (the last property) replaced by the registry's. */
function generatedSiteSchema(published: string): string {
  const start = published.indexOf('\n    "targets": ');
  const end = published.lastIndexOf('\n  }\n}\n');
  if (start < 0 || end < start) throw new Error('schemas/site.schema.json: "targets" is no longer the last property of properties');
  return `${published.slice(0, start)}\n    "targets": ${formatJson(targetsSchema(), '    ')}${published.slice(end)}`;
}

/** Target folders: every directory in src/targets/ but linux/, which iptables and nftables share. */
const SHARED = ['linux'];
const folders = readdirSync(join(root, 'src', 'targets')).filter((n) => statSync(join(root, 'src', 'targets', n)).isDirectory() && !SHARED.includes(n));

describe('target registry', () => {
  it('schemas/site.schema.json: its targets part is generated from the registry, byte for byte', () => {
    let published = readFileSync(schemaFile, 'utf8');
    const generated = generatedSiteSchema(published);
    // npm run golden:update rewrites it (then npm run build compiles the new validator); review the diff.
    if (update && generated !== published) writeFileSync(schemaFile, (published = generated));
    // Same meaning (what ajv compiles) and same bytes (what editors and users read).
    expect(JSON.parse(published).properties.targets).toEqual(targetsSchema());
    expect(published).toBe(generated);
  });

  it('the snapshot can fail: a changed description in a contract changes the generated file', () => {
    const published = readFileSync(schemaFile, 'utf8');
    const schema = targets.get('unifi')!.settings.schema;
    const before = schema.description;
    try {
      schema.description = `${before} (changed)`;
      expect(generatedSiteSchema(published)).not.toBe(published);
    } finally {
      schema.description = before;
    }
  });

  it('every folder in src/targets/ is registered, and every registered target has a folder', () => {
    expect([...folders].sort()).toEqual([...targetIds()].sort());
  });

  it('every registered target has goldens for every example, docs/routers/<id>.md and a hostile-text entry', () => {
    const sites = readdirSync(join(root, 'test', 'golden')).filter((n) => statSync(join(root, 'test', 'golden', n)).isDirectory());
    expect(sites.length).toBe(exampleFiles().length);
    const hostile = readFileSync(join(root, 'test', 'hostile.test.ts'), 'utf8');
    const table = /const table: Record<string, Entry<any>> = \{([^}]*)\}/.exec(hostile)?.[1].split(',').map((s) => s.trim().split(':')[0]) ?? [];
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    for (const id of targetIds()) {
      // A target that refuses an example pins its refusal (UNSUPPORTED.txt); it must render at least one.
      const rendered = sites.filter((s) => existsSync(join(root, 'test', 'golden', s, id)) && !existsSync(join(root, 'test', 'golden', s, id, 'UNSUPPORTED.txt')));
      for (const s of sites) expect(existsSync(join(root, 'test', 'golden', s, id)), `test/golden/${s}/${id}`).toBe(true);
      expect(rendered.length, `${id}: no example renders for it`).toBeGreaterThan(0);
      expect(table, `test/hostile.test.ts table: ${id}`).toContain(id);
      expect(existsSync(join(root, 'docs', 'routers', `${id}.md`)), `docs/routers/${id}.md`).toBe(true);
      expect(readme, `README links docs/routers/${id}.md`).toContain(`(docs/routers/${id}.md)`);
    }
  });

  it('every setting has a description, and a schema default is the default the contract fills (or reads where used)', () => {
    const spec = { version: 1, site: { id: 's' }, profile: 'zaptec-pro', chargers: { count: 1 }, network: { subnet: '10.0.0.0/24' } } as SpecDocument;
    for (const [id, t] of targets) {
      const filled = t.settings.normalize(undefined, spec) as Record<string, unknown>;
      for (const [key, prop] of Object.entries(t.settings.schema.properties)) {
        expect(prop.description.length, `${id}.${key}`).toBeGreaterThan(10);
        // Some defaults are read where they are used, so filling them would not change every site's spec hash.
        if ('default' in prop && key in filled) expect(filled[key], `${id}.${key}`).toEqual(prop.default);
      }
      for (const key of Object.keys(filled)) expect(Object.keys(t.settings.schema.properties), `${id}: normalize fills ${key}`).toContain(key);
    }
  });

  it('MikroTik: the radio defaults by package (wifi2 for wifi/wifiwave2, wlan1 for wireless), and a set one wins', () => {
    const base = { version: 1, site: { id: 's' }, profile: 'zaptec-pro', chargers: { count: 1 }, network: { subnet: '10.0.0.0/24' }, wifi: { ssid: 'x', passphrase: { env: 'P' }, channel: 6, country: 'SE' } } as SpecDocument;
    const m = targets.get('mikrotik')!.settings;
    expect(m.normalize(undefined, base)).toMatchObject({ wifi: 'wifi', wifiInterface: 'wifi2' });
    expect(m.normalize({ wifi: 'wifiwave2' }, base)).toMatchObject({ wifiInterface: 'wifi2' });
    expect(m.normalize({ routeros: 6 }, base)).toMatchObject({ wifi: 'wireless', wifiInterface: 'wlan1' });
    expect(m.normalize({ wifi: 'wireless' }, base)).toMatchObject({ wifiInterface: 'wlan1' });
    expect(m.normalize({ wifiInterface: 'wifi1' }, base)).toMatchObject({ wifi: 'wifi', wifiInterface: 'wifi1' });
  });
});

const spec = (targetsYaml: string, network = 'network: { subnet: 10.20.30.0/24 }', extra = '') => `version: 1
site: { id: refusals }
profile: zaptec-pro
chargers: { count: 4 }
${network}
${extra}
targets:
${targetsYaml}
`;

describe('check phase: every refusal of every target at once', () => {
  it('UniFi: no VLAN and a too long lease are two refusals in one run', () => {
    const r = renderText(spec('  unifi: {}', 'network: { subnet: 10.20.30.0/24, dhcp: { leaseTime: 400d } }'), ['unifi']);
    const refused = r.diagnostics.filter((d) => d.code === 'target-unsupported');
    expect(refused.map((d) => d.message)).toEqual([
      expect.stringContaining('unifi: target unifi cannot express a charger segment without network.vlan'),
      expect.stringContaining('unifi: target unifi cannot express lease time 400d'),
    ]);
    // Located: the VLAN one at network (network.vlan is where it belongs), the lease one at its setting.
    expect(refused.map((d) => d.path)).toEqual(['network.vlan', 'network.dhcp.leaseTime']);
    expect(Object.keys(r.files)).toEqual([]);
  });

  it('refusals of two targets come in the same run, and a target that can express the site is not rendered when another refuses', () => {
    const r = renderText(spec('  unifi: {}\n  mikrotik: {}', 'network: { subnet: 10.20.30.0/24 }', "wifi: { ssid: Chargers, passphrase: { env: P }, channel: 6, country: XX }"), ['unifi', 'mikrotik']);
    const refused = r.diagnostics.filter((d) => d.code === 'target-unsupported').map((d) => d.message.split(':')[0]);
    expect(refused).toEqual(expect.arrayContaining(['unifi', 'mikrotik']));
    expect(r.diagnostics.find((d) => d.message.startsWith('mikrotik'))).toMatchObject({ path: 'wifi.country' });
  });

  it('the plan\'s refusals and the target\'s check come together: UniFi 9.5 with host names, NTP redirect and no VLAN is three errors', () => {
    const r = renderText(spec('  unifi: { apiVersion: "9.5" }', 'network: { subnet: 10.20.30.0/24 }', 'policy: { ntp: redirect }'), ['unifi']);
    const refused = r.diagnostics.filter((d) => d.code === 'target-unsupported');
    expect(refused.map((d) => d.path).sort()).toEqual(['network.vlan', 'policy.ntp', 'targets.unifi.apiVersion']);
    expect(refused.find((d) => d.path === 'policy.ntp')!.message).toContain('policy.ntp: redirect');
    expect(refused.find((d) => d.path === 'targets.unifi.apiVersion')!.message).toContain('host-name destinations');
  });

  it('a target settings rule runs from the contract (validation sees it without the render)', () => {
    const v = validateSpec(spec('  iptables: { lanInterface: eth0, wanInterface: eth0 }'), 'site.yaml');
    expect(v.diagnostics.map((d) => `${d.code} ${d.path}`)).toContain('interface-clash targets.iptables.wanInterface');
    const m = validateSpec(spec('  mikrotik: { routeros: 6, wifi: wifi }'), 'site.yaml');
    expect(m.diagnostics.map((d) => `${d.code} ${d.path}`)).toContain('mikrotik-wifi-version targets.mikrotik.wifi');
  });
});

/**
 * What is wrong with the flags the targets declare (TargetInput.flags): every flag has help text for the
 * commands that offer it, starts with `--<id>-` (so two targets cannot clash), is unique, and is
 * documented in the target's guide; the input's own flag is one of them. `guide(id)` reads the guide.
 */
function flagProblems(list: [string, Target][], guide: (id: string) => string): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const keys = new Map<string, string>();
  for (const [id, t] of list) {
    if (!t.input) continue;
    const names = t.input.flags.map((f) => f.name);
    if (!names.includes(t.input.flag)) problems.push(`${id}: input.flag ${t.input.flag} is not one of its flags`);
    if (keys.has(t.input.manifestKey)) problems.push(`${id}: manifest key ${t.input.manifestKey} is also ${keys.get(t.input.manifestKey)}'s`);
    keys.set(t.input.manifestKey, id);
    for (const f of t.input.flags) {
      if (!f.name.startsWith(`--${id}-`) || !/^--[a-z0-9]+(-[a-z0-9]+)+$/.test(f.name)) problems.push(`${id}: ${f.name} does not start with --${id}-`);
      if (seen.has(f.name)) problems.push(`${id}: ${f.name} is also declared by ${seen.get(f.name)}`);
      seen.set(f.name, id);
      const helps = Object.values(f.help);
      if (!helps.length) problems.push(`${id}: ${f.name} is offered by no command (help is empty)`);
      for (const [command, text] of Object.entries(f.help)) if (!text || text.trim().length < 10) problems.push(`${id}: ${f.name} has no help text for ${command}`);
      if (f.file !== undefined && !f.argument) problems.push(`${id}: ${f.name} reads a file but takes no argument`);
      // Named in code spans: `--flag` or `--flag <argument>`.
      if (!new RegExp(`\`${f.name}[\` ]`).test(guide(id))) problems.push(`${id}: ${f.name} is not documented in docs/routers/${id}.md`);
    }
  }
  return problems;
}

/** A target's guide (empty when there is none: the registry test above names the missing file). */
const guide = (id: string) => (existsSync(join(root, 'docs', 'routers', `${id}.md`)) ? readFileSync(join(root, 'docs', 'routers', `${id}.md`), 'utf8') : '');

describe('flags a target declares', () => {
  it('every declared flag has help text, starts with --<id>-, is unique and is documented in the target guide', () => {
    const declared = [...targets.values()].flatMap((t) => t.input?.flags ?? []);
    expect(declared.map((f) => f.name)).toEqual(['--pfsense-config', '--pfsense-overwrite-edits']);
    expect(flagProblems([...targets], guide)).toEqual([]);
  });

  it('the check fails for each broken declaration', () => {
    const pf = targets.get('pfsense')!;
    const input = pf.input!;
    // pfSense's declaration with one thing broken at a time.
    const broken = (flags: TargetFlag[]) => flagProblems([['pfsense', { ...pf, input: { ...input, flags } }]], guide);
    const [config, overwrite] = input.flags;
    expect(broken([config, { ...overwrite, help: { render: '' } }])).toEqual(['pfsense: --pfsense-overwrite-edits has no help text for render']);
    expect(broken([config, { ...overwrite, help: {} }])).toEqual(['pfsense: --pfsense-overwrite-edits is offered by no command (help is empty)']);
    expect(broken([config, { ...overwrite, name: '--overwrite-edits' }])).toEqual(['pfsense: --overwrite-edits does not start with --pfsense-', 'pfsense: --overwrite-edits is not documented in docs/routers/pfsense.md']);
    expect(broken([config, { ...overwrite, name: '--pfsense-undocumented' }])).toEqual(['pfsense: --pfsense-undocumented is not documented in docs/routers/pfsense.md']);
    expect(broken([config, config])).toEqual(['pfsense: --pfsense-config is also declared by pfsense']);
    expect(broken([overwrite])).toEqual(['pfsense: input.flag --pfsense-config is not one of its flags']);
    // Another target declaring pfSense's flag (a clash) or its manifest key.
    const mt = targets.get('mikrotik')!;
    const clash = flagProblems([['pfsense', pf], ['mikrotik', { ...mt, input: { ...input } }]], guide);
    expect(clash).toEqual([
      "mikrotik: manifest key pfsenseBackup is also pfsense's",
      'mikrotik: --pfsense-config does not start with --mikrotik-',
      'mikrotik: --pfsense-config is also declared by pfsense',
      'mikrotik: --pfsense-config is not documented in docs/routers/mikrotik.md',
      'mikrotik: --pfsense-overwrite-edits does not start with --mikrotik-',
      'mikrotik: --pfsense-overwrite-edits is also declared by pfsense',
      'mikrotik: --pfsense-overwrite-edits is not documented in docs/routers/mikrotik.md',
    ]);
  });

  it('the CLI builds them from the registry: commander options with the declared help, values as plain data for every thread', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cw-flags-'));
    try {
      for (const command of ['render', 'diff'] as const) {
        const cmd = new Command(command);
        addTargetFlags(cmd, command);
        const offered = [...targets.values()].flatMap((t) => t.input?.flags ?? []).filter((f) => f.help[command] !== undefined);
        expect(cmd.options.map((o) => [o.long, o.description])).toEqual(offered.map((f) => [f.name, f.help[command]]));
      }
      writeFileSync(join(dir, 'fw.xml'), '<pfsense/>\n');
      const cmd = new Command('render').exitOverride();
      addTargetFlags(cmd, 'render');
      cmd.parse(['--pfsense-config', join(dir, 'fw.xml'), '--pfsense-overwrite-edits'], { from: 'user' });
      const values = targetFlagValues(cmd.opts());
      expect(values).toEqual({ '--pfsense-config': { file: join(dir, 'fw.xml'), text: '<pfsense/>\n' }, '--pfsense-overwrite-edits': true });
      // Worker threads receive the job by structured clone: the values survive it unchanged.
      expect(structuredClone(values)).toEqual(values);
      // Not given: nothing. A file that cannot be read: a usage error that names the flag.
      expect(targetFlagValues(new Command('render').opts())).toEqual({});
      const bad = new Command('render').exitOverride();
      addTargetFlags(bad, 'render');
      bad.parse(['--pfsense-config', join(dir, 'none.xml')], { from: 'user' });
      expect(() => targetFlagValues(bad.opts())).toThrow(`--pfsense-config ${join(dir, 'none.xml')}: cannot read the pfSense backup (no such file)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a flag value reaches the target as the library option does: --pfsense-config and --pfsense-overwrite-edits render what pfsenseConfig renders', () => {
    const fixture = readFileSync(join(root, 'test', 'fixtures', 'pfsense', 'site-backup.xml'), 'utf8');
    const text = readFileSync(join(root, 'examples', 'housing-association.yaml'), 'utf8').replace('pfsense: { interface: opt2 }', 'pfsense: { interface: opt2, acceptRules: ["1764320022"] }');
    // A backup holding this site's items with one renamed in the GUI: refused, unless the edits are overwritten.
    const merged = renderSpec(text, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv, pfsenseConfig: { file: 'backup.xml', text: fixture } }).files['brf-solgarden/pfsense/config.xml'];
    const backup = merged.replace('cw:brf-solgarden HTTPS TCP 443]]>', 'HTTPS (edited)]]>');
    for (const overwriteEdits of [false, true]) {
      const lib = renderSpec(text, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv, pfsenseConfig: { file: 'backup.xml', text: backup, overwriteEdits } });
      const flags = renderSpec(text, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv, flags: { '--pfsense-config': { file: 'backup.xml', text: backup }, ...(overwriteEdits && { '--pfsense-overwrite-edits': true }) } });
      expect(lib.diagnostics.filter((d) => d.severity === 'error').map((d) => d.code)).toEqual(overwriteEdits ? [] : ['pfsense-config']);
      if (overwriteEdits) expect(lib.files['brf-solgarden/pfsense/config.xml']).toBe(merged);
      expect(flags.files).toEqual(lib.files);
      expect(flags.diagnostics).toEqual(lib.diagnostics);
      // The render records what it read, for the manifest (its hash) and the index (such a site is never skipped).
      expect(flags.inputs).toEqual({ pfsense: backup });
    }
    // Without a backup nothing is read.
    expect(renderSpec(text, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv }).inputs).toBeUndefined();
  });
});

describe('inputs a target declares', () => {
  it('pfSense declares its backup: a backup the spec names that the merge refuses is reported at targets.pfsense.backup, under that name', () => {
    expect(targets.get('pfsense')!.input?.setting).toEqual(['targets', 'pfsense', 'backup']);
    const dir = mkdtempSync(join(tmpdir(), 'cw-input-'));
    try {
      writeFileSync(join(dir, 'fw.xml'), '<?xml version="1.0"?>\n<notpfsense/>\n');
      const text = spec('  pfsense: { interface: opt1, backup: fw.xml }');
      const r = renderSpec(text, join(dir, 'site.yaml'), 'default', { withSecrets: false, env: testEnv });
      const d = r.diagnostics.find((x) => x.code === 'pfsense-config');
      expect(d, JSON.stringify(r.diagnostics)).toMatchObject({ path: 'targets.pfsense.backup', line: text.split('\n').findIndex((l) => l.includes('backup: fw.xml')) + 1 });
      expect(d!.message).toMatch(/^pfsense: targets\.pfsense\.backup fw\.xml: /);
      // The same backup given with the flag is named as the flag.
      const flag = renderSpec(spec('  pfsense: { interface: opt1 }'), join(dir, 'site.yaml'), 'default', { withSecrets: false, env: testEnv, pfsenseConfig: { file: 'fw.xml', text: readFileSync(join(dir, 'fw.xml'), 'utf8') } });
      expect(flag.diagnostics.find((x) => x.code === 'pfsense-config')!.message).toMatch(/^pfsense: --pfsense-config fw\.xml: /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
