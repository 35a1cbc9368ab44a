import type { SettingsSchema, Target } from './types.js';
import { iptablesTarget } from './iptables/index.js';
import { nftablesTarget } from './nftables/index.js';
import { mikrotikTarget } from './mikrotik/index.js';
import { pfsenseTarget } from './pfsense/index.js';
import { unifiTarget } from './unifi/index.js';

/**
 * Every target, by id, in the order of `chargewall targets`, the schema and the golden files. Adding a
 * target: a folder src/targets/<id>/ and one line here (docs/adding-a-target.md). The settings type,
 * the defaults, the validation rules and the `targets` part of schemas/site.schema.json follow from it.
 */
const registered = {
  iptables: iptablesTarget,
  nftables: nftablesTarget,
  mikrotik: mikrotikTarget,
  pfsense: pfsenseTarget,
  unifi: unifiTarget,
};

export type TargetId = keyof typeof registered;
type SettingsOf<T> = T extends Target<infer S> ? S : never;
/** The normalised settings of every target (Site['targets']), as each target's contract declares them. */
export type TargetSettings = { [K in TargetId]: SettingsOf<(typeof registered)[K]> };

export const targets: ReadonlyMap<string, Target> = new Map<string, Target>(Object.entries(registered));

export const targetIds = (): string[] => [...targets.keys()];

/** The `targets` object of schemas/site.schema.json, generated from the registry (test/targets.test.ts keeps the file in sync). */
export function targetsSchema(): { type: 'object'; description: string; additionalProperties: false; properties: Record<string, SettingsSchema> } {
  return {
    type: 'object',
    description: "Per-target settings. The keys present are the default targets of 'chargewall render'.",
    additionalProperties: false,
    properties: Object.fromEntries([...targets].map(([id, t]) => [id, t.settings.schema])),
  };
}
