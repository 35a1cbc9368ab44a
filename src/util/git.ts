import type * as cpType from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { lazyRequire } from './lazy-require.js';

/** node:child_process on first use: loading it costs ~4 ms of every run, and only a git question needs it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const spawnSync = ((...args: any[]) => (lazyRequire('node:child_process') as typeof cpType).spawnSync(...(args as [string]))) as typeof cpType.spawnSync;

/**
 * Does git ignore `path` (which need not exist)? undefined: not inside a git work tree, or no git.
 * An absent file git ignores is one kept out of the repository on purpose (a public clone in CI, a
 * pfSense backup); one git does not ignore is not: most likely a typo in the path that names it.
 */
export function gitIgnored(path: string): boolean | undefined {
  let dir = resolve(dirname(path));
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const inside = spawnSync('git', ['-C', dir, 'rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' });
  if (inside.status !== 0 || inside.stdout.trim() !== 'true') return undefined;
  return spawnSync('git', ['-C', dir, 'check-ignore', '-q', resolve(path)]).status === 0;
}
