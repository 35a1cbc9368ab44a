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

/** The Linux targets' settings (iptables, nftables): the charger segment, the uplink, the radio. */
export interface LinuxSettings {
  lanInterface: string;
  wanInterface: string;
  wifiInterface: string;
  /**
   * Wired ports the Linux targets' network files put into the lanInterface bridge (with network.vlan:
   * the VLAN interface `<port>.<vlan>` on each). Absent: the lanInterface is the port itself (no Wi-Fi)
   * or a bridge holding only the radio.
   */
  lanPorts?: string[];
}

export interface TargetSettings {
  iptables: LinuxSettings;
  nftables: LinuxSettings;
  mikrotik: {
    routeros: 6 | 7;
    interface: string;
    wifi: 'wireless' | 'wifiwave2' | 'wifi' | 'none';
    wifiInterface: string;
    /** Default `virtual-ap` (read with the default in the target, so the spec hash of other targets stays): the charger SSID is a virtual AP on wifiInterface (the office SSID stays); `take-over`: the whole radio. */
    radio?: 'virtual-ap' | 'take-over';
    /** With `take-over`: move the radio out of another bridge (on a default configuration: the LAN bridge) instead of refusing. */
    moveRadio?: boolean;
  };
  pfsense: { interface: string; acceptRules?: string[]; backup?: string; commitMerged?: boolean };
  unifi: {
    apiVersion: string;
    fqdnFallback: 'refuse' | 'port-only';
    /** Device tags whose APs broadcast the charger SSID (absent: every AP). */
    apDeviceTags?: string[];
    /** The charger network may use the gateway's cellular backup (absent: yes). */
    cellularBackup?: boolean;
  };
}
