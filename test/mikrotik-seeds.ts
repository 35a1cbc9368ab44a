/**
 * Router states the model (test/mikrotik-model.ts) starts from.
 *
 * The factory-default ones follow MikroTik's Default configurations page (help.mikrotik.com ROS
 * pages/167706788: the home AP/SOHO defconf script) and First Time Configuration (pages/328151): every
 * LAN port and every radio in `bridge`, interface lists WAN (ether1) and LAN (bridge),
 * 192.168.88.1/24 with a DHCP server on bridge, `allow-remote-requests=yes`, the defconf input and
 * forward rules (fasttrack, "drop all not coming from LAN", "drop all from WAN not DSTNATed") and a
 * masquerade out-interface-list=WAN. On a `wifi`-package ax device the defconf writes SSID, security
 * (passphrase from the sticker, ft, ft-over-ds) and channel values directly on wifi1/wifi2 (WiFi manual);
 * on a `wireless` device the passphrase is in the `default` security profile (Wireless manual).
 * Each seed also has the charger bridge the admin prepared (`bridge-chargers`, with ether5 moved out of
 * `bridge`), because the preflight refuses a missing one; `bare` gives the untouched factory state.
 */
import type { Props, RouterState, Row } from './mikrotik-model.js';

export const STICKER = 'sticker-PASS-1234';

let n = 0;
const r = (props: Props, dynamic = false): Row => ({ id: `*s${(n++).toString(16)}`, props, ...(dynamic && { dynamic }) });
const ethers = (count = 5) => Array.from({ length: count }, (_, i) => r({ name: `ether${i + 1}` }));

function defconfFirewall(): Pick<RouterState['menus'], string> {
  return {
    '/ip firewall filter': [
      r({ chain: 'input', action: 'accept', 'connection-state': 'established,related,untracked', comment: 'defconf: accept established,related,untracked' }),
      r({ chain: 'input', action: 'drop', 'connection-state': 'invalid', comment: 'defconf: drop invalid' }),
      r({ chain: 'input', action: 'accept', protocol: 'icmp', comment: 'defconf: accept ICMP' }),
      r({ chain: 'input', action: 'accept', 'dst-address': '127.0.0.1', comment: 'defconf: accept to local loopback (for CAPsMAN)' }),
      r({ chain: 'input', action: 'drop', 'in-interface-list': '!LAN', comment: 'defconf: drop all not coming from LAN' }),
      r({ chain: 'forward', action: 'accept', 'ipsec-policy': 'in,ipsec', comment: 'defconf: accept in ipsec policy' }),
      r({ chain: 'forward', action: 'accept', 'ipsec-policy': 'out,ipsec', comment: 'defconf: accept out ipsec policy' }),
      r({ chain: 'forward', action: 'fasttrack-connection', 'connection-state': 'established,related', comment: 'defconf: fasttrack' }),
      r({ chain: 'forward', action: 'accept', 'connection-state': 'established,related,untracked', comment: 'defconf: accept established,related, untracked' }),
      r({ chain: 'forward', action: 'drop', 'connection-state': 'invalid', comment: 'defconf: drop invalid' }),
      r({ chain: 'forward', action: 'drop', 'connection-state': 'new', 'connection-nat-state': '!dstnat', 'in-interface-list': 'WAN', comment: 'defconf: drop all from WAN not DSTNATed' }),
    ],
    '/ip firewall nat': [r({ chain: 'srcnat', action: 'masquerade', 'out-interface-list': 'WAN', 'ipsec-policy': 'out,none', comment: 'defconf: masquerade' })],
  };
}

function defconfBase(radios: string[], prepared: boolean): RouterState['menus'] {
  const lanPorts = ['ether2', 'ether3', 'ether4', ...(prepared ? [] : ['ether5']), ...radios];
  return {
    '/interface ethernet': ethers(),
    '/interface bridge': [r({ name: 'bridge', comment: 'defconf', 'vlan-filtering': 'no' }), ...(prepared ? [r({ name: 'bridge-chargers', 'vlan-filtering': 'no' })] : [])],
    '/interface bridge port': [
      ...lanPorts.map((p) => r({ bridge: 'bridge', interface: p, comment: 'defconf' })),
      ...(prepared ? [r({ bridge: 'bridge-chargers', interface: 'ether5' })] : []),
    ],
    '/interface list': [r({ name: 'WAN', comment: 'defconf' }), r({ name: 'LAN', comment: 'defconf' })],
    '/interface list member': [r({ list: 'LAN', interface: 'bridge', comment: 'defconf' }), r({ list: 'WAN', interface: 'ether1', comment: 'defconf' })],
    '/ip address': [r({ address: '192.168.88.1/24', interface: 'bridge', comment: 'defconf' })],
    '/ip pool': [r({ name: 'default-dhcp', ranges: '192.168.88.10-192.168.88.254' })],
    '/ip dhcp-server': [r({ name: 'defconf', interface: 'bridge', 'address-pool': 'default-dhcp' })],
    '/ip dhcp-server network': [r({ address: '192.168.88.0/24', gateway: '192.168.88.1', 'dns-server': '192.168.88.1', comment: 'defconf' })],
    '/ip dns static': [r({ name: 'router.lan', address: '192.168.88.1', type: 'A', comment: 'defconf' })],
    ...defconfFirewall(),
  };
}

/** hAP ax² (C52iG-5HaxD2HaxD), RouterOS 7.x with the `wifi` menu (wifiwave2 before 7.13). */
export function hapAx2(version = '7.18.2 (stable)', prepared = true): RouterState {
  const menu = version.startsWith('7.') && Number(version.split('.')[1]) < 13 ? '/interface wifiwave2' : '/interface wifi';
  const security = { 'security.authentication-types': 'wpa2-psk,wpa3-psk', 'security.ft': 'yes', 'security.ft-over-ds': 'yes', 'security.passphrase': STICKER };
  return {
    version,
    menus: {
      ...defconfBase(['wifi1', 'wifi2'], prepared),
      [menu]: [
        r({ name: 'wifi1', 'configuration.mode': 'ap', 'configuration.ssid': 'MikroTik-5E0A11', 'channel.band': '5ghz-ax', 'channel.width': '20/40/80mhz', 'channel.skip-dfs-channels': '10min-cac', ...security, disabled: 'no' }),
        r({ name: 'wifi2', 'configuration.mode': 'ap', 'configuration.ssid': 'MikroTik-5E0A11', 'channel.band': '2ghz-ax', 'channel.width': '20/40mhz', ...security, disabled: 'no' }),
      ],
      [`${menu} radio`]: [r({ interface: 'wifi1', bands: '5ghz-a,5ghz-n,5ghz-ac,5ghz-ax' }), r({ interface: 'wifi2', bands: '2ghz-g,2ghz-n,2ghz-ax' })],
    },
    settings: {
      '/system resource': { version },
      '/ip dns': { 'allow-remote-requests': 'yes', servers: '', 'dynamic-servers': '192.0.2.53' },
      '/system ntp client': { enabled: 'no' },
      '/system ntp server': { enabled: 'no' },
    },
  };
}

/** hAP ac² (RBD52G-5HacD2HnD), RouterOS 6.49 with the legacy `wireless` package. */
export function hapAc2(version = '6.49.10 (long-term)', prepared = true): RouterState {
  return {
    version,
    menus: {
      ...defconfBase(['wlan1', 'wlan2'], prepared),
      '/interface wireless': [
        r({ name: 'wlan1', band: '2ghz-b/g/n', 'channel-width': '20/40mhz-XX', frequency: 'auto', mode: 'ap-bridge', ssid: 'MikroTik-A1B2C3', 'wireless-protocol': '802.11', 'security-profile': 'default', disabled: 'no' }),
        r({ name: 'wlan2', band: '5ghz-a/n/ac', 'channel-width': '20/40/80mhz-XXXX', frequency: 'auto', mode: 'ap-bridge', ssid: 'MikroTik-A1B2C4', 'wireless-protocol': '802.11', 'security-profile': 'default', disabled: 'no' }),
      ],
      '/interface wireless security-profiles': [r({ name: 'default', mode: 'dynamic-keys', 'authentication-types': 'wpa-psk,wpa2-psk', 'wpa2-pre-shared-key': STICKER })],
      '/system package': [r({ name: 'system' }), r({ name: 'wireless' }), r({ name: 'ipv6', disabled: 'yes' })],
    },
    settings: {
      '/system resource': { version },
      '/ip dns': { 'allow-remote-requests': 'yes', servers: '', 'dynamic-servers': '192.0.2.53' },
      '/system ntp client': { enabled: 'no' },
    },
  };
}

/**
 * A router reset without the default configuration (First Time Configuration: "no default
 * configuration"): no bridge, lists, firewall or NAT; radios present but disabled. The admin added
 * the charger bridge and a DNS server.
 */
export function noDefconf(version = '7.18.2 (stable)'): RouterState {
  return {
    version,
    menus: {
      '/interface ethernet': ethers(),
      '/interface bridge': [r({ name: 'bridge-chargers', 'vlan-filtering': 'no' })],
      '/interface bridge port': [r({ bridge: 'bridge-chargers', interface: 'ether5' })],
      '/interface wifi': [r({ name: 'wifi1', disabled: 'yes' }), r({ name: 'wifi2', disabled: 'yes' })],
      '/interface wifi radio': [r({ interface: 'wifi1', bands: '5ghz-a,5ghz-n,5ghz-ac,5ghz-ax' }), r({ interface: 'wifi2', bands: '2ghz-g,2ghz-n,2ghz-ax' })],
    },
    settings: {
      '/system resource': { version },
      '/ip dns': { 'allow-remote-requests': 'no', servers: '192.0.2.53', 'dynamic-servers': '' },
      '/system ntp client': { enabled: 'no' },
      '/system ntp server': { enabled: 'no' },
    },
  };
}

/**
 * An admin's own configuration: a custom input chain that ends in a drop of everything, a forward
 * chain that accepts the office LAN and drops the rest, the office SSID on wifi2 from configuration
 * and security profiles (not interface values), in the LAN bridge.
 */
export function customInputDrop(version = '7.18.2 (stable)'): RouterState {
  return {
    version,
    menus: {
      '/interface ethernet': ethers(),
      '/interface bridge': [r({ name: 'bridge-lan', 'vlan-filtering': 'no' }), r({ name: 'bridge-chargers', 'vlan-filtering': 'no' })],
      '/interface bridge port': [
        r({ bridge: 'bridge-lan', interface: 'ether2' }),
        r({ bridge: 'bridge-lan', interface: 'ether3' }),
        r({ bridge: 'bridge-lan', interface: 'wifi2' }),
        r({ bridge: 'bridge-chargers', interface: 'ether5' }),
      ],
      '/interface list': [r({ name: 'LAN' })],
      '/interface list member': [r({ list: 'LAN', interface: 'bridge-lan' })],
      '/ip address': [r({ address: '10.1.0.1/24', interface: 'bridge-lan' })],
      '/interface wifi security': [r({ name: 'office-sec', 'authentication-types': 'wpa2-psk', passphrase: 'office-passphrase' })],
      '/interface wifi channel': [r({ name: 'office-ch', band: '2ghz-ax', frequency: '2412', width: '20/40mhz' })],
      '/interface wifi configuration': [r({ name: 'office-cfg', mode: 'ap', ssid: 'Office', country: 'Sweden', security: 'office-sec', channel: 'office-ch' })],
      '/interface wifi': [r({ name: 'wifi1', configuration: 'office-cfg', disabled: 'yes' }), r({ name: 'wifi2', configuration: 'office-cfg', disabled: 'no' })],
      '/interface wifi radio': [r({ interface: 'wifi1', bands: '5ghz-a,5ghz-n,5ghz-ac' }), r({ interface: 'wifi2', bands: '2ghz-g,2ghz-n,2ghz-ax' })],
      '/ip firewall filter': [
        r({ chain: 'input', action: 'accept', 'connection-state': 'established,related', comment: 'admin: replies' }),
        r({ chain: 'input', action: 'accept', 'in-interface': 'bridge-lan', comment: 'admin: LAN' }),
        r({ chain: 'input', action: 'drop', comment: 'admin: drop everything else' }),
        r({ chain: 'forward', action: 'accept', 'connection-state': 'established,related', comment: 'admin: replies' }),
        r({ chain: 'forward', action: 'accept', 'in-interface': 'bridge-lan', comment: 'admin: LAN out' }),
        r({ chain: 'forward', action: 'drop', comment: 'admin: drop everything else' }),
      ],
      '/ip firewall nat': [r({ chain: 'srcnat', action: 'masquerade', 'out-interface': 'ether1', comment: 'admin: masquerade' })],
    },
    settings: {
      '/system resource': { version },
      '/ip dns': { 'allow-remote-requests': 'yes', servers: '192.0.2.53', 'dynamic-servers': '' },
      '/system ntp client': { enabled: 'yes' },
      '/system ntp server': { enabled: 'no' },
    },
  };
}
