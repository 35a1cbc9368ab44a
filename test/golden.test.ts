import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { exampleFiles, renderFile, root } from './helpers.js';

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
