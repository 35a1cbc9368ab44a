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
