/** A charger model's network requirements (profiles/*.yaml, schemas/profile.schema.json). */
export interface Profile {
  id: string;
  name: string;
  vendor: string;
  source: string;
  endpoints: ProfileEndpoint[];
  ntp: { host: string; fixed: boolean; requirement: string };
  dns: { fallbackResolvers: string[]; requirement: string };
  dhcp?: { requirement?: string };
  wifi: {
    band: '2.4GHz';
    standards: string[];
    channels: { min: number; max: number; reason: string };
    minSignalDbm: number;
    widthMHz: 20;
    requirement: string;
  };
  traffic: { perChargerPerDayMB: number; perChargeCycleMB?: number; requirement?: string };
  /** The vendor's own tools, as the vendor names them ("Zaptec app", "Zaptec Portal"); reports and steps use these words. */
  tools?: { app?: string; appSignalView?: string; portal?: string };
}

export interface ProfileEndpoint {
  id: string;
  name: string;
  protocol: 'tcp' | 'udp';
  ports: number[];
  hosts: string[];
  purpose: string;
  requirement: string;
}

/**
 * Ids chargewall's own rules use: `ntp` is the NTP group (its set is `allow-ntp`, its rule id `ntp`),
 * `dns`, `dhcp` and `dns-fallback` are router rules and redirects. A group with one of these ids would
 * share a set or rule with them (issue 17: `id: ntp` with port 22 opened TCP 22 to the NTP pool).
 */
export const RESERVED_GROUP_IDS = ['ntp', 'dns', 'dhcp', 'dns-fallback'];
