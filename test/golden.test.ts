import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { exampleFiles, root, testEnv } from './helpers.js';
import { renderSpec } from '../src/pipeline.js';
import { targetIds } from '../src/targets/registry.js';

/**
 * Golden files: every example × every target, rendered without secrets, pinned byte for byte under
 * test/golden/<site-id>/. `npm run golden:update` rewrites them; review the diff before committing.
 */
const goldenDir = join(root, 'test', 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? listFiles(p) : [p];
  });
}

/**
 * Every example × every target, each target rendered on its own. A target that refuses an example
 * (fails closed with target-unsupported, e.g. UniFi for a segment without a VLAN) pins its refusal as
 * <site-id>/<target>/UNSUPPORTED.txt, so the refusal is tested too; any other error fails.
 * The site README.md is the one `chargewall render` writes with the spec's default targets.
 */
function renderFile(rel: string): Record<string, string> {
  const text = readFileSync(join(root, rel), 'utf8');
  const render = (ids: string[] | 'default') => renderSpec(text, rel, ids, { withSecrets: false, env: testEnv });
  const files: Record<string, string> = {};
  for (const target of targetIds()) {
    const result = render([target]);
    for (const [path, content] of Object.entries(result.files)) if (!path.endsWith('/README.md')) files[path] = content;
    for (const d of result.diagnostics.filter((x) => x.severity === 'error')) {
      if (d.code !== 'target-unsupported' || !result.site) throw new Error(`${d.file}:${d.line}:${d.col} ${d.code} ${d.message}`);
      files[`${result.site.site.id}/${target}/UNSUPPORTED.txt`] = `${d.message}\n`;
    }
  }
  const readme = Object.entries(render('default').files).find(([path]) => path.endsWith('/README.md'));
  if (!readme) throw new Error(`${rel}: the default render wrote no README.md`);
  files[readme[0]] = readme[1];
  return files;
}

describe('golden files', () => {
  for (const example of exampleFiles()) {
    it(`${example} renders exactly the committed files`, () => {
      const files = renderFile(example);
      const siteId = Object.keys(files)[0].split('/')[0];
      const siteDir = join(goldenDir, siteId);
      if (update) {
        rmSync(siteDir, { recursive: true, force: true });
        for (const [rel, content] of Object.entries(files)) {
          mkdirSync(dirname(join(goldenDir, rel)), { recursive: true });
          writeFileSync(join(goldenDir, rel), content);
        }
      }
      const committed = listFiles(siteDir).map((p) => relative(goldenDir, p)).sort();
      expect(Object.keys(files).sort()).toEqual(committed);
      for (const [rel, content] of Object.entries(files)) {
        expect(content, rel).toBe(readFileSync(join(goldenDir, rel), 'utf8'));
      }
    });
  }

  it('renders the same bytes twice (determinism)', () => {
    for (const example of exampleFiles()) expect(renderFile(example)).toEqual(renderFile(example));
  });
});
