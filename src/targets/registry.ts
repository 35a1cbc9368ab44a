import type { Target } from './types.js';
import { iptablesTarget } from './iptables/index.js';
import { unifiTarget } from './unifi/index.js';

/** Every target, by id. Adding a target: a folder in src/targets/, templates/<id>/, and one line here. */
export const targets: ReadonlyMap<string, Target> = new Map<string, Target>([
  [iptablesTarget.id, iptablesTarget],
  [unifiTarget.id, unifiTarget],
]);

export const targetIds = (): string[] => [...targets.keys()];
