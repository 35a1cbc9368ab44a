/**
 * The Linux targets' shared config files, built in code (no template). Values reach them validated
 * (interface names by the schema's pattern, ids, addresses, numbers) or through ./escape.ts: free
 * text only as `commentText` in `#` lines, the SSID as hex. `lines()` refuses any part that would
 * add a line, so no value can start another directive.
 */
import type { Dhcp, Plan, WifiPlan } from '../../plan/types.js';
import { lines, prefixed } from '../../render/lines.js';

export interface DnsmasqView {
  header: string[];
  id: string;
  lan: string;
  wan: string;
  tag: string;
  dhcp: Dhcp;
  netmask: string;
  /** `name` is comment text (commentText), `host` a DNS label. */
  leases: { mac: string; ip: string; host: string; name: string }[];
  setWord: string;
  setLines: string[];
  dns: Plan['dns'];
}

export function dnsmasqConf(v: DnsmasqView): string {
  const { dhcp, tag, lan } = v;
  return lines(
    prefixed('# ', v.header),
    '#',
    `# DHCP and DNS for the charger segment, run as its own dnsmasq instance (chargewall-${v.id}-dnsmasq.service):`,
    `#   dnsmasq --keep-in-foreground --conf-file=/etc/chargewall/${v.id}/dnsmasq.conf`,
    "# Upstream resolvers come from the router's /etc/resolv.conf. A dnsmasq already running on the",
    `# router must not bind ${lan} (give it bind-interfaces and except-interface=${lan}).`,
    `# It answers on ${lan} only: never on the uplink ${v.wan}, and not on loopback, where the router's own`,
    `# resolver may listen (bind-dynamic binds each address of ${lan}, also when it appears later).`,
    `interface=${lan}`,
    'except-interface=lo',
    'bind-dynamic',
    'domain-needed',
    'bogus-priv',
    `# Cached answers do not refill the ${v.setWord}, so keep the cache short: every lookup after 5 minutes`,
    '# goes upstream and re-adds the current addresses.',
    'max-cache-ttl=300',
    'dhcp-authoritative',
    `dhcp-leasefile=/var/lib/misc/${tag}.leases`,
    `pid-file=/run/${tag}-dnsmasq.pid`,
    '',
    `# Pool: ${dhcp.size} addresses for ${dhcp.needed} needed (chargers + headroom).`,
    `dhcp-range=set:${tag},${dhcp.first},${dhcp.last},${v.netmask},${dhcp.leaseTime}`,
    `dhcp-option=tag:${tag},option:router,${dhcp.router}`,
    `dhcp-option=tag:${tag},option:dns-server,${dhcp.dnsServers.join(',')}`,
    dhcp.ntpServers.length > 0 && `dhcp-option=tag:${tag},option:ntp-server,${dhcp.ntpServers.join(',')}`,
    v.leases.length > 0 && [
      '',
      '# Static leases (units with a MAC and an address in the spec).',
      ...v.leases.flatMap((l) => [`# ${l.name}`, `dhcp-host=${l.mac},${l.ip},${l.host}`]),
    ],
    '',
    `# Allow-sets filled from the answers this resolver gives the chargers (DNS policy: ${v.dns.strategy}).`,
    v.setLines,
  );
}

export interface HostapdView {
  header: string[];
  wifi: WifiPlan;
  wifiInterface: string;
  lan: string;
  /** The SSID as hex (escape.ts `hex`) for ssid2=, and as comment text for the # line. */
  ssidHex: string;
  ssidText: string;
  utf8: boolean;
  /** Printable ASCII, 8-63 characters (render/secrets.ts), or undefined: hostapd reads pskFile. */
  passphrase: string | undefined;
  pskEnv: string;
  pskFile: string;
  pskSource: string;
}

export function hostapdConf(v: HostapdView): string {
  const { wifi } = v;
  return lines(
    prefixed('# ', v.header),
    '#',
    `# 2.4 GHz access point for the chargers: 802.11b/g/n, 20 MHz, fixed channel ${wifi.channel}, WPA2-PSK (CCMP).`,
    `# SSID: ${v.ssidText} (written as hex below so no character can break the file).`,
    `interface=${v.wifiInterface}`,
    `bridge=${v.lan}`,
    'driver=nl80211',
    'ctrl_interface=/run/hostapd',
    `ssid2=${v.ssidHex}`,
    v.utf8 && 'utf8_ssid=1',
    `country_code=${wifi.country}`,
    'ieee80211d=1',
    'hw_mode=g',
    `channel=${wifi.channel}`,
    'ieee80211n=1',
    'ht_capab=[SHORT-GI-20]',
    'wmm_enabled=1',
    'ignore_broadcast_ssid=0',
    'auth_algs=1',
    'wpa=2',
    'wpa_key_mgmt=WPA-PSK',
    'rsn_pairwise=CCMP',
    '# Chargers never talk to each other (Zaptec balances load through its cloud): the access point does',
    `# not pass frames between its stations, and the radio is an isolated port of ${v.lan}.`,
    'ap_isolate=1',
    v.passphrase
      ? `wpa_passphrase=${v.passphrase}`
      : [
          '# The passphrase is not in this file (render with --with-secrets to put it here). hostapd reads it',
          `# from the file below and will not start without it; apply.sh writes it from $${v.pskEnv} (${v.pskSource}).`,
          `wpa_psk_file=${v.pskFile}`,
        ],
    wifi.enforceMinSignal && [
      `# Reject chargers weaker than ${wifi.minSignalDbm} dBm (asked for in the spec: wifi.enforceMinSignal).`,
      `rssi_reject_assoc_rssi=${wifi.minSignalDbm}`,
      'rssi_reject_assoc_timeout=30',
    ],
  );
}

/**
 * What the systemd units print: only ids, interface names and the device units made from them
 * (files.ts `deviceUnit`); a `#` line ending in a backslash would swallow the next line in systemd's
 * parser, and no free text reaches them.
 */
export interface UnitsView {
  version: string;
  id: string;
  target: string;
  folder: string;
  units: { rules: string; dnsmasq: string; hostapd: string };
  hasWifi: boolean;
  lanDevice: string;
  wanDevice: string;
  wifiDevice: string;
  wifiInterface: string;
}

const unitHeader = (v: UnitsView) => `# Generated by chargewall ${v.version} from a site spec. Do not edit: change the spec and render again.`;

/** chargewall-<site>.service: the boot oneshot that runs apply.sh. */
export function rulesUnit(v: UnitsView): string {
  const w = v.hasWifi;
  const devices = `${v.lanDevice} ${v.wanDevice}${w ? ` ${v.wifiDevice}` : ''}`;
  return lines(
    unitHeader(v),
    `# Site ${v.id}: checks the box and loads its ${v.target} rules at every boot (they live in the kernel only),`,
    `# once the charger interface, the uplink${w ? ' and the radio' : ''} exist. ${v.units.dnsmasq}${w ? ` and ${v.units.hostapd}` : ''}`,
    `# require it: without the rules there is no DHCP${w ? ' and no access point' : ''} for the chargers.`,
    `#   cp chargewall-${v.id}*.service /etc/systemd/system/ && systemctl daemon-reload`,
    `#   systemctl enable --now ${v.units.rules} ${v.units.dnsmasq}${w ? ` ${v.units.hostapd}` : ''}`,
    "# The folder below must hold this target's files (apply.sh and what it loads).",
    '[Unit]',
    `Description=chargewall ${v.id}: charger firewall (${v.target})`,
    `Wants=network-online.target ${devices}`,
    "# After the router's own firewall has loaded (its nftables.conf starts with flush ruleset), and after",
    '# the interfaces apply.sh checks exist (a device that never comes fails the check: nothing is loaded).',
    `After=network-online.target nftables.service netfilter-persistent.service systemd-networkd.service ${devices}`,
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `ExecStart=/bin/sh ${v.folder}/apply.sh`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  );
}

/** chargewall-<site>-dnsmasq.service: the charger segment's dnsmasq, supervised, bound to the rules unit. */
export function dnsmasqUnit(v: UnitsView): string {
  return lines(
    unitHeader(v),
    `# Site ${v.id}: DHCP and DNS for the chargers, its own dnsmasq instance, restarted when it fails. It`,
    `# requires ${v.units.rules}: it starts only after the rules loaded, and stops with them.`,
    '[Unit]',
    `Description=chargewall ${v.id}: DHCP and DNS for the chargers (dnsmasq)`,
    `Requires=${v.units.rules}`,
    `After=${v.units.rules} network.target`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=/usr/sbin/dnsmasq --keep-in-foreground --conf-file=${v.folder}/dnsmasq.conf`,
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  );
}

/** chargewall-<site>-hostapd.service: the access point, supervised, bound to the radio's device. */
export function hostapdUnit(v: UnitsView): string {
  return lines(
    unitHeader(v),
    `# Site ${v.id}: the chargers' access point on ${v.wifiInterface}, restarted when it fails. Bound to the radio:`,
    '# a USB radio that goes away stops it, and starts it again when it is back (WantedBy= its device).',
    `# It requires ${v.units.rules}: no access point without the rules. The distribution's hostapd.service`,
    `# must not drive ${v.wifiInterface} as well.`,
    '[Unit]',
    `Description=chargewall ${v.id}: Wi-Fi access point for the chargers (hostapd on ${v.wifiInterface})`,
    `Requires=${v.units.rules}`,
    `BindsTo=${v.wifiDevice}`,
    `After=${v.units.rules} ${v.wifiDevice} ${v.lanDevice}`,
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=/usr/sbin/hostapd ${v.folder}/hostapd.conf`,
    '# hostapd adds the radio to the charger bridge; it then becomes an isolated port like the wired ones.',
    `ExecStartPost=/bin/sh ${v.folder}/apply.sh --isolate-radio`,
    'Restart=on-failure',
    'RestartSec=5',
    '',
    '[Install]',
    `WantedBy=multi-user.target ${v.wifiDevice}`,
  );
}

/**
 * What the network files print: ids, interface names, the VLAN id and the gateway address (no free
 * text: systemd's and ifupdown's parsers continue a line that ends in a backslash).
 */
export interface NetworkView {
  header: string[];
  id: string;
  lan: string;
  address: string;
  bridge: boolean;
  vlan: number | undefined;
  vlanByHand: boolean;
  target: string;
  members: string[];
  hasWifi: boolean;
  wifiInterface: string;
}

/** The note for network.vlan without lanPorts: the VLAN is the admin's to make. */
const vlanByHandNote = (v: NetworkView) =>
  v.vlanByHand && [
    `# network.vlan is ${v.vlan} but targets.${v.target}.lanPorts is empty, so no VLAN interface is made here: ${v.bridge ? 'put the port carrying' : `${v.lan} must be VLAN ${v.vlan}'s interface, or list the trunk port in lanPorts and render again.`}`,
    ...(v.bridge ? [`# VLAN ${v.vlan} into ${v.lan} yourself, or list the trunk port in lanPorts and render again.`] : []),
  ];

/** 10-chargewall-<site>-<lan>.netdev: the chargers' bridge. */
export function bridgeNetdev(v: NetworkView): string {
  return lines(
    prefixed('# ', v.header),
    `# The chargers' bridge${v.hasWifi ? ` (hostapd adds the radio ${v.wifiInterface} to it)` : ''}${v.members.length ? `; its wired ports: ${v.members.join(', ')}` : ''}.`,
    '[NetDev]',
    `Name=${v.lan}`,
    'Kind=bridge',
    '',
    '[Bridge]',
    'STP=no',
  );
}

/** One wired port of the segment: `port`, and `member` (port.vlan with network.vlan, else the port). */
export interface PortView {
  port: string;
  member: string;
}

/** 10-chargewall-<site>-<port>.<vlan>.netdev: the VLAN interface on a trunk port. */
export function vlanNetdev(v: NetworkView, p: PortView): string {
  return lines(prefixed('# ', v.header), `# VLAN ${v.vlan} of the charger segment on ${p.port}.`, '[NetDev]', `Name=${p.member}`, 'Kind=vlan', '', '[VLAN]', `Id=${v.vlan}`);
}

/** 10-chargewall-<site>-<lan>.network: the gateway address on the charger interface. */
export function lanNetwork(v: NetworkView): string {
  return lines(
    prefixed('# ', v.header),
    vlanByHandNote(v),
    '# The gateway address the chargers are given, on the charger interface, with or without a charger plugged in.',
    '[Match]',
    `Name=${v.lan}`,
    '',
    '[Link]',
    'RequiredForOnline=no',
    '',
    '[Network]',
    `Address=${v.address}`,
    'ConfigureWithoutCarrier=yes',
    'IgnoreCarrierLoss=yes',
    'LinkLocalAddressing=no',
    'IPv6AcceptRA=no',
  );
}

/** 10-chargewall-<site>-<port>.network for a trunk port: it carries the VLAN interface. */
export function trunkNetwork(v: NetworkView, p: PortView): string {
  return lines(
    prefixed('# ', v.header),
    `# ${p.port} carries VLAN ${v.vlan} (${p.member}) of the charger segment.`,
    '[Match]',
    `Name=${p.port}`,
    '',
    '[Link]',
    'RequiredForOnline=no',
    '',
    '[Network]',
    `VLAN=${p.member}`,
    'LinkLocalAddressing=no',
    'ConfigureWithoutCarrier=yes',
  );
}

/** 10-chargewall-<site>-<member>.network: a wired port of the bridge, isolated. */
export function portNetwork(v: NetworkView, p: PortView): string {
  return lines(
    prefixed('# ', v.header),
    `# ${p.member} is a port of the chargers' bridge ${v.lan}, isolated: it reaches the router, not another charger port.`,
    '[Match]',
    `Name=${p.member}`,
    '',
    '[Link]',
    'RequiredForOnline=no',
    '',
    '[Network]',
    `Bridge=${v.lan}`,
    'LinkLocalAddressing=no',
    'ConfigureWithoutCarrier=yes',
    '',
    '[Bridge]',
    'Isolated=yes',
  );
}

/** chargewall-<site>.interfaces: the same segment for ifupdown (an interfaces.d snippet). */
export function interfacesFile(v: NetworkView): string {
  return lines(
    prefixed('# ', v.header),
    vlanByHandNote(v),
    '# The charger segment for a router that uses ifupdown instead of systemd-networkd (use one of the two):',
    v.bridge && '#   apt-get install bridge-utils   (it also makes the VLAN ports named <port>.<id> in bridge_ports)',
    `#   cp chargewall-${v.id}.interfaces /etc/network/interfaces.d/chargewall-${v.id} && ifup ${v.lan}`,
    '# (/etc/network/interfaces must have: source /etc/network/interfaces.d/*)',
    `auto ${v.lan}`,
    `iface ${v.lan} inet static`,
    `\taddress ${v.address}`,
    v.bridge && [
      `\tbridge_ports ${v.members.length ? v.members.join(' ') : 'none'}`,
      '\tbridge_stp off',
      '\tbridge_fd 0',
      '\tbridge_waitport 0',
      '\tbridge_maxwait 0',
      ...v.members.map((m) => `\tpost-up bridge link set dev ${m} isolated on`),
    ],
  );
}
