import type { Plan } from '../../plan/types.js';
import type { Site } from '../../spec/types.js';
import type { Refusal, SettingsContract } from '../types.js';
import { checkModel } from './model.js';

export interface PfsenseSettings {
  interface: string;
  acceptRules?: string[];
  /** The admin's config.xml backup, relative to the spec: an input this target declares (backups.ts reads it, merges the sites that share it in turn, and locates its errors here). */
  backup?: string;
  commitMerged?: boolean;
}

export const pfsenseSettings: SettingsContract<PfsenseSettings> = {
  schema: {
    type: 'object',
    description: 'pfSense CE 2.7 / Plus 23+.',
    additionalProperties: false,
    properties: {
      interface: {
        type: 'string',
        pattern: '^(lan|opt[0-9]{1,3})$',
        default: 'opt1',
        description: 'pfSense interface id of the charger segment (lan, opt1, opt2, ...).',
      },
      acceptRules: {
        type: 'array',
        description:
          "Floating or interface-group pass rules of the backup that match charger traffic before chargewall's rules, accepted on purpose: each entry is the rule's tracker (Firewall > Rules > edit > Tracking ID) or its exact description.",
        items: { type: 'string', minLength: 1, maxLength: 200 },
        uniqueItems: true,
      },
      backup: {
        type: 'string',
        minLength: 1,
        description:
          "The firewall's config.xml backup (Diagnostics > Backup & Restore, unencrypted), as a path relative to this spec. render and render --check merge into it without flags; sites naming the same backup share one merged config.xml. The backup is the whole firewall configuration: keep it out of public repositories.",
      },
      commitMerged: {
        type: 'boolean',
        default: false,
        description:
          'Allow the merged config.xml (the whole firewall configuration, password hashes included) to be written where git would commit it: only in a private repository. Off: render refuses unless git ignores the file.',
      },
    },
  },
  // commitMerged is read with its default where it is used: filling it here would change every site's spec hash.
  normalize: (input) => ({ interface: 'opt1', ...input }),
};

/** What the pfSense model cannot hold for this plan (tracker range, alias names, DHCP server lists): every one. */
export function pfsenseCheck(plan: Plan, site: Site): Refusal[] {
  return checkModel(plan, site.targets.pfsense.interface);
}
