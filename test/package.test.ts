import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './helpers.js';

/**
 * What a sites repository gets from `npm pack` of a clone (the README's install path): every command
 * the guides tell the admin to run must be in the tarball and work from node_modules/.bin.
 */
describe('the packed package', () => {
  it('ships the UniFi applier as the bin chargewall-unifi-apply (STEPS.md tells the admin to run it)', () => {
    const r = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
    expect(files).toContain('scripts/unifi-apply.mjs');
    expect(files).toContain('dist/cli/main.cjs');
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    expect(pkg.bin['chargewall-unifi-apply']).toBe('scripts/unifi-apply.mjs');
    for (const bin of Object.values<string>(pkg.bin)) expect(files).toContain(bin);
  });

  it('the applier runs when started through a symlink, as npm installs bins (node_modules/.bin/...)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'chargewall-bin-'));
    try {
      const link = join(dir, 'chargewall-unifi-apply');
      symlinkSync(join(root, 'scripts/unifi-apply.mjs'), link);
      const file = join(root, 'test/golden/brf-solgarden/unifi/integration-api.json');
      const r = spawnSync('node', [link, file, '--dry-run'], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      // Before: import.meta.url (the resolved path) never equalled the symlink's path, so it did nothing and exited 0.
      expect(r.stdout).toContain('GET /v1/info');
      expect(r.stdout).toMatch(/wifi: POST/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
