import type { Plan } from '../../plan/types.js';
import type { Refusal, SettingsContract } from '../types.js';

export interface UnifiSettings {
  apiVersion: string;
  fqdnFallback: 'refuse' | 'port-only';
  /** Device tags whose APs broadcast the charger SSID (absent: every AP). */
  apDeviceTags?: string[];
  /** The charger network may use the gateway's cellular backup (absent: yes). */
  cellularBackup?: boolean;
}

export const unifiSettings: SettingsContract<UnifiSettings> = {
  schema: {
    type: 'object',
    description: 'UniFi Network application (Integration API).',
    additionalProperties: false,
    properties: {
      apiVersion: {
        type: 'string',
        pattern: '^[0-9]+(\\.[0-9]+){0,2}$',
        default: '10',
        description: 'UniFi Network version the requests are for; 10 or newer for domain-based policies.',
      },
      fqdnFallback: {
        enum: ['refuse', 'port-only'],
        default: 'refuse',
        description: 'Below Network 10: refuse, or accept port-only rules (wider than asked; the report says so).',
      },
      apDeviceTags: {
        type: 'array',
        minItems: 1,
        maxItems: 8,
        uniqueItems: true,
        items: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9 ._-]{0,47}$' },
        description:
          'Names of UniFi device tags (UniFi Devices > tag the APs) whose access points broadcast the charger SSID. Without it the SSID goes to every AP and the 2.4 GHz channel is not locked through the API.',
      },
      cellularBackup: {
        type: 'boolean',
        default: true,
        description: "Let the charger network use the gateway's cellular backup while the WAN is down (chargers stay online for authorisation; their traffic is small).",
      },
    },
  },
  // cellularBackup is read with its default where it is used (the spec hash of existing sites stays).
  normalize: (input) => ({ apiVersion: '10', fqdnFallback: 'refuse', ...input }),
};

/** What the UniFi network object cannot hold: every reason, so one run lists them all. */
export function unifiCheck(plan: Plan): Refusal[] {
  const refusals: Refusal[] = [];
  const vlan = plan.network.vlan;
  if (vlan === undefined || vlan < 2 || vlan > 4009) {
    refusals.push({
      feature: vlan === undefined ? 'a charger segment without network.vlan' : `network.vlan ${vlan}`,
      detail: 'every additional UniFi network is a VLAN 2-4009 (1 is the Default network) and a firewall zone takes whole networks; give the chargers their own VLAN in network.vlan',
    });
  }
  if (plan.network.prefix < 8 || plan.network.prefix > 30) {
    refusals.push({ feature: `a /${plan.network.prefix} subnet`, detail: 'UniFi networks take prefix lengths 8 to 30' });
  }
  if (plan.dhcp.leaseSeconds > 31536000) {
    refusals.push({ feature: `lease time ${plan.dhcp.leaseTime}`, detail: 'the UniFi DHCP server takes at most one year (31536000 s)' });
  }
  if (plan.dhcp.dnsServers.length < 1 || plan.dhcp.dnsServers.length > 4 || plan.dhcp.ntpServers.length > 2) {
    refusals.push({ feature: 'these DHCP DNS/NTP server lists', detail: 'UniFi hands out 1-4 DNS and at most 2 NTP servers' });
  }
  return refusals;
}
