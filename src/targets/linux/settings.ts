import type { SettingsContract, SettingsSchema, TargetRule } from '../types.js';
import type { Rule } from '../../spec/rules.js';

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

/** A Linux interface name: at most 15 characters (IFNAMSIZ - 1). */
const IFNAME = '^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$';

const schema = (description: string): SettingsSchema => ({
  type: 'object',
  description,
  additionalProperties: false,
  properties: {
    lanInterface: {
      type: 'string',
      pattern: IFNAME,
      default: 'br-chargers',
      description: 'Interface (or bridge) of the charger segment: at most 15 characters (the Linux limit), letters, digits, _ . -',
    },
    wanInterface: {
      type: 'string',
      pattern: IFNAME,
      default: 'eth0',
      description: "Uplink interface; chargers' traffic is masqueraded behind it. At most 15 characters (the Linux limit), letters, digits, _ . -",
    },
    wifiInterface: {
      type: 'string',
      pattern: IFNAME,
      default: 'wlan0',
      description: 'Wireless interface hostapd drives; it is bridged into lanInterface. At most 15 characters (the Linux limit), letters, digits, _ . -',
    },
    lanPorts: {
      type: 'array',
      items: { type: 'string', pattern: IFNAME },
      uniqueItems: true,
      maxItems: 16,
      description:
        'Wired ports the generated network files put into the lanInterface bridge (with network.vlan: the VLAN interface <port>.<vlan> on each), e.g. [eth1]. Absent: lanInterface is the port itself (no Wi-Fi) or a bridge holding only the radio.',
    },
  },
});

/**
 * A Linux router's charger segment, uplink and radio are three different interfaces: with the LAN
 * as the uplink the masquerade and the forward rules match the same traffic, and hostapd cannot
 * add a radio to itself (bridge=). Checked where the user set them (the defaults differ).
 */
const interfacesDistinct = (id: 'iptables' | 'nftables'): Rule => {
  const rule: Rule = ({ site, raw, error }) => {
    const set = raw.targets?.[id];
    if (!set) return;
    const t = site.targets[id];
    const at = (key: keyof LinuxSettings) => ['targets', id, set[key] !== undefined ? key : 'lanInterface'];
    if (t.wanInterface === t.lanInterface) {
      error('interface-clash', at('wanInterface'), `${id}: wanInterface and lanInterface are both '${t.lanInterface}': the uplink must be another interface than the charger segment`);
    }
    if (site.wifi && (t.wifiInterface === t.lanInterface || t.wifiInterface === t.wanInterface)) {
      const other = t.wifiInterface === t.lanInterface ? 'lanInterface' : 'wanInterface';
      error('interface-clash', at('wifiInterface'), `${id}: wifiInterface '${t.wifiInterface}' is also the ${other}: name the radio (e.g. wlan0), which hostapd adds to the lanInterface bridge`);
    }
    (t.lanPorts ?? []).forEach((port, i) => {
      const role = port === t.lanInterface ? 'lanInterface' : port === t.wanInterface ? 'wanInterface' : site.wifi && port === t.wifiInterface ? 'wifiInterface' : undefined;
      if (role) error('interface-clash', ['targets', id, 'lanPorts', String(i)], `${id}: lanPorts names '${port}', which is also the ${role}: list the wired ports that go into the ${t.lanInterface} bridge`);
      const vlan = site.network.vlan;
      if (vlan !== undefined && `${port}.${vlan}`.length > 15) {
        error('interface-name-long', ['targets', id, 'lanPorts', String(i)], `${id}: the VLAN interface '${port}.${vlan}' would be longer than Linux's 15 characters: rename the port (e.g. with a .link file) or use a shorter one`);
      }
    });
  };
  Object.defineProperty(rule, 'name', { value: `${id}InterfacesDistinct` });
  return rule;
};

/** The settings contract both Linux targets share (their folders differ in the firewall files only). */
export function linuxSettings(id: 'iptables' | 'nftables', description: string): SettingsContract<LinuxSettings> {
  const rules: TargetRule[] = [{ rule: interfacesDistinct(id), reads: [`targets.${id}`] }];
  return {
    schema: schema(description),
    normalize: (input) => ({ lanInterface: 'br-chargers', wanInterface: 'eth0', wifiInterface: 'wlan0', ...input }),
    rules,
  };
}
