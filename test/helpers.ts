import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { renderSpec } from '../src/pipeline.js';
import { targetIds } from '../src/targets/registry.js';

export const root = join(import.meta.dirname, '..');
export const sharedData = join(root, '..', 'shared', 'data');
export const examplesDir = join(root, 'examples');

export const exampleFiles = (): string[] =>
  readdirSync(examplesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join('examples', f));

/** The fixed environment golden files are rendered with (no secrets unless asked). */
export const testEnv = { CHARGER_WIFI_PSK: 'golden-test-passphrase' };

/** Renders a spec file (path relative to the repo) for the given targets; throws on diagnostics with errors. */
export function renderFile(rel: string, targets: string[] | 'all' | 'default' = 'default', withSecrets = false): Record<string, string> {
  const text = readFileSync(join(root, rel), 'utf8');
  const result = renderSpec(text, rel, targets === 'all' ? targetIds() : targets, { withSecrets, env: testEnv });
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`).join('\n'));
  return result.files;
}

/** Renders a spec given as text (for tests that build specs inline). */
export function renderText(text: string, targets: string[], withSecrets = false, env: Record<string, string> = testEnv) {
  return renderSpec(text, 'test.yaml', targets, { withSecrets, env });
}

/** Under CI=true a real-tool test must run: a missing tool or missing root fails instead of skipping. */
export function requireTools(tools: string[], needRoot = true): { ok: boolean; why: string } {
  const missing = tools.filter((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status !== 0);
  const notRoot = needRoot && process.getuid?.() !== 0;
  const why = [missing.length ? `missing ${missing.join(', ')}` : '', notRoot ? 'not root' : ''].filter(Boolean).join('; ');
  if (why && process.env.CI === 'true') throw new Error(`CI=true but real-tool test cannot run: ${why}`);
  if (why) console.warn(`[skip] real-tool test skipped locally: ${why}`);
  return { ok: !why, why };
}

export function sh(cmd: string, opts: { input?: string; cwd?: string } = {}): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', input: opts.input, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
}

/**
 * A stock pfSense backup (shared/data/pfsense/default-config.xml) with two charger VLAN interfaces
 * declared as a real backup has them: opt2 = 10.40.0.1/24 on em1.40, opt3 = 10.50.0.1/24 on em1.50.
 */
export function twoVlanPfsenseBackup(): string {
  const stock = readFileSync(join(sharedData, 'pfsense', 'default-config.xml'), 'utf8');
  const iface = (n: string, ip: string, tag: number) => `\t\t<${n}>\n\t\t\t<descr><![CDATA[${n.toUpperCase()}]]></descr>\n\t\t\t<if>em1.${tag}</if>\n\t\t\t<enable></enable>\n\t\t\t<ipaddr>${ip}</ipaddr>\n\t\t\t<subnet>24</subnet>\n\t\t</${n}>\n`;
  const vlan = (tag: number) => `\t\t<vlan>\n\t\t\t<if>em1</if>\n\t\t\t<tag>${tag}</tag>\n\t\t\t<pcp></pcp>\n\t\t\t<descr><![CDATA[Chargers ${tag}]]></descr>\n\t\t\t<vlanif>em1.${tag}</vlanif>\n\t\t</vlan>\n`;
  return stock
    .replace('\t</interfaces>\n', `${iface('opt2', '10.40.0.1', 40)}${iface('opt3', '10.50.0.1', 50)}\t</interfaces>\n`)
    .replace('\t<vlans>\n\t</vlans>\n', `\t<vlans>\n${vlan(40)}${vlan(50)}\t</vlans>\n`);
}

/** A pfSense site spec on `<net>.0/24` (VLAN = its second octet) that names the backup fw1.xml next to it. */
export const pfsenseBackupSpec = (id: string, net: string, opt: string, extra = '') => `version: 1
site:
  id: ${id}
profile: zaptec-pro
chargers:
  count: 6
network:
  subnet: ${net}.0/24
  vlan: ${net.split('.')[1]}
targets:
  pfsense: { interface: ${opt}, backup: fw1.xml${extra} }
`;
