import type { TargetSettings } from '../targets/registry.js';

export type { TargetSettings };
export type { LinuxSettings } from '../targets/linux/settings.js';

/** The site spec after validation, with every default filled in. */
export interface Site {
  version: 1;
  site: { id: string; name: string };
  /** Built-in profile id or a path (resolved against the spec's folder). */
  profile: string;
  chargers: { count: number; units: Unit[] };
  network: {
    subnet: string;
    gateway: string;
    vlan?: number;
    dhcp: { pool: 'auto' | { first: string; last: string }; headroom: number; leaseTime: string };
  };
  wifi?: Wifi;
  policy: Policy;
  extraEndpoints: ExtraEndpoint[];
  targets: TargetSettings;
  /** Warning codes the spec acknowledges (`acknowledge:`): not printed, not failing --strict, for this site. Absent when empty (the spec hash of older specs stays the same). */
  acknowledge?: string[];
  /** Which target keys the spec names, in spec order (the default targets). */
  targetKeys: string[];
}

export interface Unit {
  name: string;
  /** Lower-case, colon-separated. */
  mac?: string;
  ip?: string;
  rssi?: number;
}

export type Passphrase = { kind: 'env'; name: string } | { kind: 'literal'; value: string };

export interface Wifi {
  ssid: string;
  passphrase: Passphrase;
  channel: number;
  country: string;
  enforceMinSignal: boolean;
}

export interface Policy {
  dns: 'redirect' | 'allow-fallback' | 'router-only';
  ntp: 'auto' | 'redirect' | 'fqdn' | 'any';
  defaultDeny: boolean;
  log: boolean;
}

export interface ExtraEndpoint {
  name: string;
  description: string;
  protocol: 'tcp' | 'udp';
  ports: number[];
  hosts: string[];
}

/**
 * The spec as written, once it passed the JSON Schema (schemas/site.schema.json): no defaults filled.
 * Normalisation and the rules read it to know what the user actually set. After a schema failure the
 * repaired document (repair.ts) has this shape too, with placeholders where parts did not parse.
 */
export interface SpecDocument {
  $schema?: string;
  version: 1;
  site: { id: string; name?: string };
  profile: string;
  chargers: { count: number; units?: { name: string; mac?: string; ip?: string; rssi?: number }[] };
  network: {
    subnet: string;
    gateway?: string;
    vlan?: number;
    dhcp?: { pool?: string; headroom?: number; leaseTime?: string };
  };
  wifi?: { ssid: string; passphrase: string | { env: string }; channel: number; country: string; enforceMinSignal?: boolean };
  policy?: Partial<Policy>;
  extraEndpoints?: { name: string; description?: string; protocol: 'tcp' | 'udp'; ports: number[]; hosts: string[] }[];
  acknowledge?: string[];
  /** Each target's settings as written (its contract's schema): the keys present are the default targets. */
  targets?: { [K in keyof TargetSettings]?: Partial<TargetSettings[K]> };
}
