import type { Target } from './types.js';
import { iptablesTarget } from './iptables/index.js';
import { nftablesTarget } from './nftables/index.js';
import { mikrotikTarget } from './mikrotik/index.js';
import { pfsenseTarget } from './pfsense/index.js';
import { unifiTarget } from './unifi/index.js';

/** Every target, by id. Adding a target: a folder in src/targets/, templates/<id>/, and one line here (the Linux targets share src/targets/linux/ and templates/linux/). */
export const targets: ReadonlyMap<string, Target> = new Map<string, Target>([
  [iptablesTarget.id, iptablesTarget],
  [nftablesTarget.id, nftablesTarget],
  [mikrotikTarget.id, mikrotikTarget],
  [pfsenseTarget.id, pfsenseTarget],
  [unifiTarget.id, unifiTarget],
]);

export const targetIds = (): string[] => [...targets.keys()];
