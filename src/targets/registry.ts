import type { Target } from './types.js';
import { iptablesTarget } from './iptables/index.js';
import { pfsenseTarget } from './pfsense/index.js';

/** Every target, by id. Adding a target: a folder in src/targets/, templates/<id>/, and one line here. */
export const targets: ReadonlyMap<string, Target> = new Map<string, Target>([
  [iptablesTarget.id, iptablesTarget],
  [pfsenseTarget.id, pfsenseTarget],
]);

export const targetIds = (): string[] => [...targets.keys()];
