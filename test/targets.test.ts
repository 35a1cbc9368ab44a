import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exampleFiles, root, renderText, testEnv } from './helpers.js';
import { renderSpec } from '../src/pipeline.js';
import { targets, targetIds, targetsSchema } from '../src/targets/registry.js';
import type { SpecDocument } from '../src/spec/types.js';
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
