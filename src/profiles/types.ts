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
