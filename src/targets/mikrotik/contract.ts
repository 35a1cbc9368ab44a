import type { Refusal, SettingsContract } from '../types.js';
import type { Rule } from '../../spec/rules.js';
import type { Plan } from '../../plan/types.js';
import type { Site } from '../../spec/types.js';
import { routerosCountry, supportedCountries } from './countries.js';

export interface MikrotikSettings {
  routeros: 6 | 7;
  interface: string;
  wifi: 'wireless' | 'wifiwave2' | 'wifi' | 'none';
  wifiInterface: string;
  /** Default `virtual-ap` (read with the default in the target, so the spec hash of other targets stays): the charger SSID is a virtual AP on wifiInterface (the office SSID stays); `take-over`: the whole radio. */
  radio?: 'virtual-ap' | 'take-over';
  /** With `take-over`: move the radio out of another bridge (on a default configuration: the LAN bridge) instead of refusing. */
  moveRadio?: boolean;
}

/**
 * The 2.4 GHz radio's default name for a RouterOS Wi-Fi package: the legacy `wireless` package names
 * it wlan1; `wifi`/`wifiwave2` name radios wifi1, wifi2, ... and on the dual-band routers chargewall
 * documents (hAP ax2/ax3, hAP ac2 with wifi-qcom-ac) wifi1 is the 5 GHz radio, so the 2.4 GHz one is
 * wifi2 (the same default `init` offers). The preflight still refuses a radio that is not 2.4 GHz.
 */
export function mikrotikRadio(pkg: string): string {
  return pkg === 'wifi' || pkg === 'wifiwave2' ? 'wifi2' : 'wlan1';
}

const wifiVersion: Rule = ({ site, raw, error }) => {
  const m = site.targets.mikrotik;
  if (m.routeros === 6 && (m.wifi === 'wifi' || m.wifi === 'wifiwave2')) {
    error('mikrotik-wifi-version', raw.targets?.mikrotik?.wifi ? ['targets', 'mikrotik', 'wifi'] : ['targets', 'mikrotik', 'routeros'], `RouterOS 6 has only the 'wireless' package; '${m.wifi}' needs RouterOS 7`);
  }
};
Object.defineProperty(wifiVersion, 'name', { value: 'mikrotikWifiVersion' });

const NAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$';

export const mikrotikSettings: SettingsContract<MikrotikSettings> = {
  schema: {
    type: 'object',
    description: 'MikroTik RouterOS 6 or 7.',
    additionalProperties: false,
    properties: {
      routeros: { enum: [6, 7], default: 7, description: 'RouterOS major version.' },
      interface: {
        type: 'string',
        pattern: NAME,
        default: 'bridge-chargers',
        description: 'Interface (usually a bridge) of the charger segment; with network.vlan a VLAN interface is created on it.',
      },
      wifi: {
        enum: ['wireless', 'wifiwave2', 'wifi', 'none'],
        description: 'Wi-Fi package: wireless (legacy, v6 and v7), wifiwave2 (v7 before 7.13), wifi (v7.13+), none.',
      },
      wifiInterface: {
        type: 'string',
        pattern: NAME,
        description:
          'The 2.4 GHz radio interface. Default: wifi2 with the wifi or wifiwave2 package (on dual-band routers wifi1 is the 5 GHz radio; set wifi1 on a single-band router), wlan1 with wireless.',
      },
      radio: {
        enum: ['virtual-ap', 'take-over'],
        description:
          "Default virtual-ap: the charger SSID is a virtual AP on wifiInterface; the office SSID, its security and bridge stay (the radio's channel becomes the spec's). take-over: the whole radio carries only the charger SSID.",
      },
      moveRadio: {
        type: 'boolean',
        description: 'Default false. With radio: take-over, move the radio out of another bridge (on a default configuration the LAN bridge) instead of refusing in the preflight.',
      },
    },
  },
  normalize(input, spec) {
    const routeros = input?.routeros ?? 7;
    const wifi = input?.wifi ?? (spec.wifi ? (routeros === 7 ? 'wifi' : 'wireless') : 'none');
    return { routeros, interface: 'bridge-chargers', wifiInterface: mikrotikRadio(wifi), wifi, ...input };
  },
  rules: [{ rule: wifiVersion, reads: ['targets.mikrotik'] }],
};

/** What chargewall.rsc cannot express: a regulatory domain RouterOS names are not known here for. */
export function mikrotikCheck(plan: Plan, site: Site): Refusal[] {
  const w = plan.wifi;
  if (!w || site.targets.mikrotik.wifi === 'none' || routerosCountry(w.country)) return [];
  return [{ feature: `wifi.country ${w.country}`, detail: `RouterOS country names are known here for ${supportedCountries().join(', ')}; configure the radio by hand or use one of those`, path: ['wifi', 'country'] }];
}
