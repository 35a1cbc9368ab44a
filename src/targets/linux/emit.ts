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

/**
 * What apply.sh prints. Every value is an id, an interface name, an address, a chain/table/set name or
 * a command built from those, or the passphrase variable's name (a validated environment name, files.ts
 * pskView): `shellSafe` refuses anything else, so no value can close a quote or start a command.
 */
export interface ApplyView {
  header: string[];
  id: string;
  target: string;
  lan: string;
  wan: string;
  wifiInterface: string;
  subnet: string;
  gateway: string;
  prefix: number;
  chains?: Record<string, string>;
  hasDnat: boolean;
  nft?: { table: string };
  tag: string;
  hasWifi: boolean;
  /** Set when hostapd reads the passphrase from pskFile, written by apply.sh from $pskEnv. */
  wifi?: { pskEnv: string; pskVar: string; pskFile: string };
  ntpServer: boolean;
  unit: string;
  hostapdUnit: string;
  services: string[];
  statusCommands: string[];
  tools: string[];
  packages: string;
  networkHint: string;
}

/** A value for apply.sh: only characters no shell quoting context treats specially. */
function shellSafe(value: string | number): string {
  const text = String(value);
  if (!/^[A-Za-z0-9 _.,:/@*+=-]*$/.test(text)) throw new Error(`internal: unsafe value for apply.sh ${JSON.stringify(text)}`);
  return text;
}

export function applySh(raw: ApplyView): string {
  const s = shellSafe;
  const v = { ...raw, id: s(raw.id), lan: s(raw.lan), wan: s(raw.wan), wifiInterface: s(raw.wifiInterface), subnet: s(raw.subnet), gateway: s(raw.gateway), prefix: s(raw.prefix), tag: s(raw.tag), target: s(raw.target) };
  const w = v.hasWifi;
  const psk = raw.wifi && { env: s(raw.wifi.pskEnv), file: s(raw.wifi.pskFile), read: `\${${s(raw.wifi.pskEnv)}:-}` };
  const status = raw.statusCommands.map(s);
  const services = raw.services.map(s);
  const hint = s(raw.networkHint);
  const chains = raw.chains && Object.fromEntries(Object.entries(raw.chains).map(([k, c]) => [k, s(c)]));
  return lines(
    '#!/bin/sh',
    prefixed('# ', v.header),
    '#',
    raw.nft
      ? [
          '# Applies the charger rules on a Linux router with nftables. Safe to run again: it replaces the rules',
          `# of chargewall's own table, ${s(raw.nft.table)}, and keeps the addresses its sets have learnt.`,
        ]
      : [
          "# Applies the charger rules on a Linux router. Safe to run again: it replaces only chargewall's own",
          '# chains and sets, and adds each jump only when it is missing (iptables-save stays the same).',
        ],
    `#   sudo sh apply.sh            check this box, then load sets and rules (what ${s(raw.unit)} runs at boot)`,
    `#   sudo sh apply.sh --restart  also restart this site's dnsmasq${w ? ' and hostapd' : ''} (${services.join(', ')})`,
    '#   sudo sh apply.sh --status   change nothing; show the allow-sets dnsmasq filled and the rule counters',
    `# Before the first change it checks the box (interfaces, gateway address, tools${psk ? ', passphrase' : ''}): on any`,
    '# problem it prints one line per problem, changes nothing and exits 1.',
    '#',
    '# What the chargers were allowed and denied, on the router:',
    prefixed('#   ', status),
    'set -eu',
    psk && ['# The passphrase is read before this script sets anything of its own (its own names all start with CW_).', `CW_PSK=${psk.read}`],
    'export LC_ALL=C',
    'cd "$(dirname "$0")"',
    '',
    `CW_SITE='${v.id}'`,
    `CW_LAN='${v.lan}'`,
    `CW_WAN='${v.wan}'`,
    w && `CW_WIFI='${v.wifiInterface}'`,
    `CW_SUBNET='${v.subnet}'`,
    `CW_GATEWAY='${v.gateway}'`,
    `CW_PREFIX='${v.prefix}'`,
    '',
    w && [
      'if [ "${1:-}" = "--isolate-radio" ]; then',
      `  # Run by ${s(raw.hostapdUnit)} once hostapd is up: hostapd adds the radio to $CW_LAN itself, and an isolated`,
      '  # port reaches the router but no other charger port.',
      '  for CW_TRY in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do',
      '    if [ -e "/sys/class/net/$CW_LAN/brif/$CW_WIFI" ]; then',
      '      bridge link set dev "$CW_WIFI" isolated on',
      '      exit 0',
      '    fi',
      '    sleep 0.5',
      '  done',
      '  echo "chargewall: error: hostapd did not add $CW_WIFI to $CW_LAN within 10 s" >&2',
      '  exit 1',
      'fi',
    ],
    'if [ "${1:-}" = "--status" ]; then',
    status.flatMap((c) => [`  echo '# ${c}'`, `  ${c} || true`]),
    '  exit 0',
    'fi',
    '',
    '# Preflight: nothing below changes the box until every check has passed.',
    'CW_PROBLEMS=0',
    'cw_problem() {',
    '  echo "chargewall: error: $*" >&2',
    '  CW_PROBLEMS=$((CW_PROBLEMS + 1))',
    '}',
    `for CW_TOOL in ip sysctl${raw.tools.map((t) => ` ${s(t)}`).join('')}; do`,
    `  command -v "$CW_TOOL" >/dev/null 2>&1 || cw_problem "$CW_TOOL is not installed: apt-get install ${s(raw.packages)}"`,
    'done',
    'if [ ! -e "/sys/class/net/$CW_WAN" ]; then',
    `  cw_problem "the uplink $CW_WAN does not exist (the chargers would get no internet): set targets.${v.target}.wanInterface to the uplink ('ip -br link' lists the interfaces) and render again"`,
    'fi',
    'if [ ! -e "/sys/class/net/$CW_LAN" ]; then',
    `  cw_problem "the charger interface $CW_LAN does not exist: install this site's network files and restart the network (see the guide: ${hint}), or set targets.${v.target}.lanInterface"`,
    'else',
    '  if ! ip -4 addr show dev "$CW_LAN" | grep -qF "inet $CW_GATEWAY/$CW_PREFIX "; then',
    `    cw_problem "$CW_LAN does not have the gateway address $CW_GATEWAY/$CW_PREFIX the chargers are given: install this site's network files (${hint}) or run: ip addr add $CW_GATEWAY/$CW_PREFIX dev $CW_LAN"`,
    '  fi',
    "  # Everything on $CW_LAN meets the chargers' allow-list: it must be the chargers' own segment.",
    '  for CW_ADDR in $(ip -4 -o addr show dev "$CW_LAN" | while read -r _ _ _ CW_A _; do echo "$CW_A"; done); do',
    '    if [ "$CW_ADDR" != "$CW_GATEWAY/$CW_PREFIX" ]; then',
    `      cw_problem "$CW_LAN also has $CW_ADDR, so it serves another network, whose traffic the chargers' allow-list would filter: give the chargers an interface of their own (targets.${v.target}.lanInterface)"`,
    '    fi',
    '  done',
    w && [
      '  # hostapd adds the radio to $CW_LAN (bridge= in hostapd.conf): that only works when it is a Linux bridge.',
      '  if [ ! -d "/sys/class/net/$CW_LAN/bridge" ]; then',
      `    cw_problem "$CW_LAN is not a bridge, so hostapd cannot add the radio $CW_WIFI to it: install this site's network files (${hint}), which create it as a bridge"`,
      '  fi',
    ],
    'fi',
    w && [
      'if [ ! -e "/sys/class/net/$CW_WIFI" ]; then',
      `  cw_problem "the radio $CW_WIFI does not exist: plug in the Wi-Fi adapter, or set targets.${v.target}.wifiInterface to its name ('iw dev' lists the radios) and render again"`,
      'elif [ -e "/sys/class/net/$CW_WIFI/master" ]; then',
      '  CW_MASTER=$(basename "$(readlink "/sys/class/net/$CW_WIFI/master")")',
      '  if [ "$CW_MASTER" != "$CW_LAN" ]; then',
      '    cw_problem "the radio $CW_WIFI is a port of $CW_MASTER, another network\'s bridge (an office access point?): give the chargers a radio of their own, or take it out of $CW_MASTER"',
      '  fi',
      'fi',
    ],
    psk && [
      '# hostapd accepts a passphrase of 8 to 63 printable ASCII characters (a longer, shorter or multi-line',
      '# value would leave the access point down, or add lines to its PSK file).',
      'if [ -n "$CW_PSK" ]; then',
      '  case "$CW_PSK" in',
      '    *[!\\ -~]*) CW_PSK_LEN=0 ;; # a character outside printable ASCII',
      '    *) CW_PSK_LEN=${#CW_PSK} ;;',
      '  esac',
      '  if [ "$CW_PSK_LEN" -lt 8 ] || [ "$CW_PSK_LEN" -gt 63 ]; then',
      `    cw_problem "${psk.env} must hold 8 to 63 printable ASCII characters"`,
      '  fi',
      `elif [ ! -s '${psk.file}' ]; then`,
      `  cw_problem "set ${psk.env} to the Wi-Fi passphrase (8 to 63 printable ASCII characters) and run again: hostapd reads it from ${psk.file}, which does not exist yet"`,
      'fi',
    ],
    'if [ "$CW_PROBLEMS" -gt 0 ]; then',
    '  echo "chargewall: $CW_SITE: $CW_PROBLEMS problem(s) above; nothing was changed" >&2',
    '  exit 1',
    'fi',
    '',
    raw.nft ? ['# One atomic transaction: the whole table loads, or nothing changes.', 'nft -f chargewall.nft', ''] : iptablesLoad(chains!, raw.hasDnat),
    '# Chargers never talk to each other: every port of $CW_LAN is an isolated bridge port (isolated ports',
    `# reach the router, not one another; the network files set it at boot${w ? ", hostapd's unit for the radio" : ''}).`,
    'for CW_PORT in /sys/class/net/"$CW_LAN"/brif/*; do',
    '  if [ -e "$CW_PORT" ]; then bridge link set dev "${CW_PORT##*/}" isolated on; fi',
    'done',
    '',
    "# The chargers' traffic is routed through this host.",
    'sysctl -qw net.ipv4.ip_forward=1',
    psk && [
      '',
      `# hostapd reads the Wi-Fi passphrase from a root-only file that this script writes from $${psk.env}.`,
      'if [ -n "$CW_PSK" ]; then',
      `  mkdir -p "$(dirname '${psk.file}')"`,
      `  (umask 077 && printf '00:00:00:00:00:00 %s\\n' "$CW_PSK" > '${psk.file}')`,
      'fi',
    ],
    v.ntpServer && ['', "# The chargers' NTP is answered by this router: an NTP server (chrony, ntpsec) must serve $CW_LAN."],
    '',
    'if [ "${1:-}" = "--restart" ]; then',
    `  if [ -d /run/systemd/system ] && systemctl cat ${services.map((u) => `${u} `).join('')}>/dev/null 2>&1; then`,
    '    # The supervised units (Restart=on-failure). Run from a unit (an older boot unit ran --restart),',
    '    # do not wait: they require the rules unit, whose start would then wait for itself.',
    `    systemctl \${INVOCATION_ID:+--no-block} restart ${services.join(' ')}`,
    '  else',
    '    # Without systemd, or without this site\'s units (an older install): start them directly',
    '    # (nothing restarts them if they stop).',
    '    if [ -d /run/systemd/system ]; then',
    `      echo "chargewall: warning: ${services.join(' and ')} not installed: starting the daemons directly, unsupervised; install the units (see the guide)" >&2`,
    '    fi',
    `    if [ -s /run/${v.tag}-dnsmasq.pid ]; then kill "$(cat /run/${v.tag}-dnsmasq.pid)" 2>/dev/null || true; sleep 1; fi`,
    '    dnsmasq --conf-file="$PWD/dnsmasq.conf"',
    w && ['    pkill -f "hostapd -B $PWD/hostapd.conf" 2>/dev/null || true', '    hostapd -B "$PWD/hostapd.conf"'],
    '  fi',
    'fi',
    `echo "chargewall: ${v.id} applied"`,
  );
}

/** apply.sh's iptables part: sets, rules, and the jumps into the site's chains. */
function iptablesLoad(chains: Record<string, string>, hasDnat: boolean): string[] {
  return [
    '# Sets first: the rules refer to them.',
    'ipset -exist restore < ipset.conf',
    'iptables-restore --noflush < rules.v4',
    'ip6tables-restore --noflush < rules.v6',
    '',
    '# cw_ensure COMMAND TABLE CHAIN RULE...: insert the jump at the top unless it is already there.',
    'cw_ensure() {',
    '  CW_CMD=$1; CW_TABLE=$2; CW_CHAIN=$3; shift 3',
    '  "$CW_CMD" -t "$CW_TABLE" -C "$CW_CHAIN" "$@" 2>/dev/null || "$CW_CMD" -t "$CW_TABLE" -I "$CW_CHAIN" 1 "$@"',
    '}',
    '# cw_retire COMMAND TABLE CHAIN RULE...: delete a jump an earlier version added (after the new one is in).',
    'cw_retire() {',
    '  CW_CMD=$1; CW_TABLE=$2; CW_CHAIN=$3; shift 3',
    '  while "$CW_CMD" -t "$CW_TABLE" -D "$CW_CHAIN" "$@" 2>/dev/null; do :; done',
    '}',
    "# Every packet entering or leaving the charger interface meets the chargers' chains, whatever its",
    '# address (the chains drop a source outside $CW_SUBNET first).',
    `cw_ensure iptables filter FORWARD -i "$CW_LAN" -j ${chains.fwd}`,
    `cw_ensure iptables filter FORWARD -o "$CW_LAN" -j ${chains.ret}`,
    `cw_ensure iptables filter INPUT -i "$CW_LAN" -j ${chains.input}`,
    ...(hasDnat ? [`cw_ensure iptables nat PREROUTING -i "$CW_LAN" -j ${chains.dnat}`] : []),
    `cw_ensure iptables nat POSTROUTING -s "$CW_SUBNET" -o "$CW_WAN" -j ${chains.snat}`,
    `cw_ensure ip6tables filter FORWARD -i "$CW_LAN" -j ${chains.fwd}`,
    `cw_ensure ip6tables filter FORWARD -o "$CW_LAN" -j ${chains.ret}`,
    '# Earlier versions jumped on the subnet only; such jumps go once the interface jumps above are in.',
    `cw_retire iptables filter FORWARD -i "$CW_LAN" -s "$CW_SUBNET" -j ${chains.fwd}`,
    `cw_retire iptables filter FORWARD -o "$CW_LAN" -d "$CW_SUBNET" -j ${chains.ret}`,
    '',
  ];
}
