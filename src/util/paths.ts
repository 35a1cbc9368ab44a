import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The package root (holds schemas/ and profiles/). Found by walking up from this module,
 * so it is right from src/ (tests), dist/ (tsc output) and the bundled CLI alike.
 */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schemas'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('chargewall: cannot find its package folder (schemas/ and package.json)');
    dir = parent;
  }
}

export const packageRoot = findPackageRoot();
