# chargewall 0.1.0: RouterOS 6 script for site brf-solgarden (BRF Solgarden garage, plan -1)
# Profile zaptec-pro, 40 chargers on 10.40.0.0/24. Do not edit: change the spec and render again.
#
# Apply: upload this file and run  /import file-name=chargewall.rsc verbose=yes
# (RouterOS 7.16+: add dry-run to check it first), or paste it into a terminal.
# Safe to run again: every item it creates has a comment starting with "chargewall:brf-solgarden:".
# It removes those items before adding them again, creates named items (interface list, VLAN,
# pool, DHCP server, Wi-Fi profiles) only when missing, and leaves everything else alone.

# ---- Preflight: stop before any change when the router does not fit
# Host names in address lists need RouterOS 6.36 or newer.
:if ([:pick [/system resource get version] 0 1] != "6") do={ :error "chargewall: this script is for RouterOS 6 - set targets.mikrotik.routeros and render again" }
:if ([:len [/interface find where name="bridge-chargers"]] = 0) do={ :error "chargewall: interface bridge-chargers does not exist - create it or set targets.mikrotik.interface" }
:if ([:len [/interface find where name="wlan1"]] = 0) do={ :error "chargewall: Wi-Fi interface wlan1 does not exist - set targets.mikrotik.wifiInterface" }

# ---- Charger segment: bridge-chargers, interface list cw-brf-solgarden
:if ([:len [/interface list find where name="cw-brf-solgarden"]] = 0) do={ /interface list add name="cw-brf-solgarden" comment="chargewall:brf-solgarden: charger segment of BRF Solg\C3\A5rden garage, plan -1" } else={ /interface list set [/interface list find where name="cw-brf-solgarden"] comment="chargewall:brf-solgarden: charger segment of BRF Solg\C3\A5rden garage, plan -1" }
/interface list member remove [/interface list member find where comment~"^chargewall:brf-solgarden:"]
/interface list member add list="cw-brf-solgarden" interface="bridge-chargers" comment="chargewall:brf-solgarden: charger segment"

# ---- Address 10.40.0.1/24, pool 10.40.0.100-10.40.0.159 (60 for 40 chargers, 50 needed with headroom), DHCP, 40 static leases
# DHCP hands out the router as gateway and DNS.
/ip address remove [/ip address find where comment~"^chargewall:brf-solgarden:"]
:if ([:len [/ip address find where address="10.40.0.1/24"]] = 0) do={ /ip address add address=10.40.0.1/24 interface="bridge-chargers" comment="chargewall:brf-solgarden: gateway" } else={ :put "chargewall: address 10.40.0.1/24 exists already and was left alone" }
:if ([:len [/ip pool find where name="cw-brf-solgarden-pool"]] = 0) do={ /ip pool add name="cw-brf-solgarden-pool" ranges=10.40.0.100-10.40.0.159 comment="chargewall:brf-solgarden: 60 addresses for 40 chargers" } else={ /ip pool set [/ip pool find where name="cw-brf-solgarden-pool"] ranges=10.40.0.100-10.40.0.159 comment="chargewall:brf-solgarden: 60 addresses for 40 chargers" }
:if ([:len [/ip dhcp-server find where name="cw-brf-solgarden-dhcp"]] = 0) do={ /ip dhcp-server add name="cw-brf-solgarden-dhcp" interface="bridge-chargers" address-pool="cw-brf-solgarden-pool" lease-time=24h disabled=no comment="chargewall:brf-solgarden: chargers" } else={ /ip dhcp-server set [/ip dhcp-server find where name="cw-brf-solgarden-dhcp"] interface="bridge-chargers" address-pool="cw-brf-solgarden-pool" lease-time=24h disabled=no comment="chargewall:brf-solgarden: chargers" }
/ip dhcp-server network remove [/ip dhcp-server network find where comment~"^chargewall:brf-solgarden:"]
:if ([:len [/ip dhcp-server network find where address="10.40.0.0/24"]] = 0) do={ /ip dhcp-server network add address=10.40.0.0/24 gateway=10.40.0.1 dns-server=10.40.0.1 comment="chargewall:brf-solgarden: charger network" } else={ :put "chargewall: DHCP network 10.40.0.0/24 exists already and was left alone" }
/ip dhcp-server lease remove [/ip dhcp-server lease find where comment~"^chargewall:brf-solgarden:"]
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:01" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:01 address=10.40.0.11 comment="chargewall:brf-solgarden: lease P-01"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:02" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:02 address=10.40.0.12 comment="chargewall:brf-solgarden: lease P-02"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:03" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:03 address=10.40.0.13 comment="chargewall:brf-solgarden: lease P-03"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:04" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:04 address=10.40.0.14 comment="chargewall:brf-solgarden: lease P-04"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:05" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:05 address=10.40.0.15 comment="chargewall:brf-solgarden: lease P-05"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:06" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:06 address=10.40.0.16 comment="chargewall:brf-solgarden: lease P-06"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:07" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:07 address=10.40.0.17 comment="chargewall:brf-solgarden: lease P-07"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:08" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:08 address=10.40.0.18 comment="chargewall:brf-solgarden: lease P-08"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:09" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:09 address=10.40.0.19 comment="chargewall:brf-solgarden: lease P-09"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:0A" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:0A address=10.40.0.20 comment="chargewall:brf-solgarden: lease P-10"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:0B" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:0B address=10.40.0.21 comment="chargewall:brf-solgarden: lease P-11"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:0C" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:0C address=10.40.0.22 comment="chargewall:brf-solgarden: lease P-12"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:0D" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:0D address=10.40.0.23 comment="chargewall:brf-solgarden: lease P-13"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:0E" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:0E address=10.40.0.24 comment="chargewall:brf-solgarden: lease P-14"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:0F" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:0F address=10.40.0.25 comment="chargewall:brf-solgarden: lease P-15"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:10" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:10 address=10.40.0.26 comment="chargewall:brf-solgarden: lease P-16"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:11" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:11 address=10.40.0.27 comment="chargewall:brf-solgarden: lease P-17"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:12" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:12 address=10.40.0.28 comment="chargewall:brf-solgarden: lease P-18"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:13" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:13 address=10.40.0.29 comment="chargewall:brf-solgarden: lease P-19"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:14" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:14 address=10.40.0.30 comment="chargewall:brf-solgarden: lease P-20"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:15" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:15 address=10.40.0.31 comment="chargewall:brf-solgarden: lease P-21"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:16" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:16 address=10.40.0.32 comment="chargewall:brf-solgarden: lease P-22"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:17" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:17 address=10.40.0.33 comment="chargewall:brf-solgarden: lease P-23"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:18" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:18 address=10.40.0.34 comment="chargewall:brf-solgarden: lease P-24"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:19" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:19 address=10.40.0.35 comment="chargewall:brf-solgarden: lease P-25"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:1A" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:1A address=10.40.0.36 comment="chargewall:brf-solgarden: lease P-26"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:1B" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:1B address=10.40.0.37 comment="chargewall:brf-solgarden: lease P-27"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:1C" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:1C address=10.40.0.38 comment="chargewall:brf-solgarden: lease P-28"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:1D" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:1D address=10.40.0.39 comment="chargewall:brf-solgarden: lease P-29"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:1E" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:1E address=10.40.0.40 comment="chargewall:brf-solgarden: lease P-30"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:1F" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:1F address=10.40.0.41 comment="chargewall:brf-solgarden: lease P-31"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:20" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:20 address=10.40.0.42 comment="chargewall:brf-solgarden: lease P-32"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:21" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:21 address=10.40.0.43 comment="chargewall:brf-solgarden: lease P-33"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:22" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:22 address=10.40.0.44 comment="chargewall:brf-solgarden: lease P-34"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:23" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:23 address=10.40.0.45 comment="chargewall:brf-solgarden: lease P-35"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:24" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:24 address=10.40.0.46 comment="chargewall:brf-solgarden: lease P-36"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:25" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:25 address=10.40.0.47 comment="chargewall:brf-solgarden: lease P-37"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:26" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:26 address=10.40.0.48 comment="chargewall:brf-solgarden: lease P-38"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:27" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:27 address=10.40.0.49 comment="chargewall:brf-solgarden: lease P-39"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-brf-solgarden-dhcp" and mac-address="98:3D:AE:10:00:28" and dynamic=yes]
/ip dhcp-server lease add server="cw-brf-solgarden-dhcp" mac-address=98:3D:AE:10:00:28 address=10.40.0.50 comment="chargewall:brf-solgarden: lease P-40"

# ---- Router DNS and NTP
# The router answers DNS for the chargers. The input rules below limit who may ask.
/ip dns set allow-remote-requests=yes

# ---- Cloud hosts: address lists
# One list per endpoint group, so each port opens only to its own hosts.
# Name entries: the router resolves each name itself and adds the addresses as dynamic entries.
/ip firewall address-list remove [/ip firewall address-list find where comment~"^chargewall:brf-solgarden:" and dynamic=no]
/ip firewall address-list add list="cw-brf-solgarden-https" address="zapcloud-api.azurewebsites.net" comment="chargewall:brf-solgarden: https zapcloud-api.azurewebsites.net"
/ip firewall address-list add list="cw-brf-solgarden-https" address="devices.zaptec.com" comment="chargewall:brf-solgarden: https devices.zaptec.com"
/ip firewall address-list add list="cw-brf-solgarden-https" address="api.zaptec.com" comment="chargewall:brf-solgarden: https api.zaptec.com"
/ip firewall address-list add list="cw-brf-solgarden-mqtt" address="zapcloud.azure-devices.net" comment="chargewall:brf-solgarden: mqtt zapcloud.azure-devices.net"
/ip firewall address-list add list="cw-brf-solgarden-ocpp" address="csms.example.com" comment="chargewall:brf-solgarden: ocpp csms.example.com"

# ---- Firewall: chain cw-brf-solgarden, one jump at the top of forward, router services in input
# The jump is added once, before the first forward rule, and kept on later runs (move it and it stays moved).
# Input accepts go before the default configuration rule drop all not coming from LAN when it exists, else at the end.
# Outbound NAT: the default configuration's masquerade (out-interface-list=WAN) covers the charger segment.
/ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:brf-solgarden:" and comment!="chargewall:brf-solgarden: jump to charger rules"]
/ip firewall filter add chain="cw-brf-solgarden" action=accept connection-state=established,related comment="chargewall:brf-solgarden: replies and long-lived connections"
/ip firewall filter add chain="cw-brf-solgarden" action=accept protocol=tcp dst-port=443 dst-address-list="cw-brf-solgarden-https" comment="chargewall:brf-solgarden: https tcp 443"
/ip firewall filter add chain="cw-brf-solgarden" action=accept protocol=tcp dst-port=8883 dst-address-list="cw-brf-solgarden-mqtt" comment="chargewall:brf-solgarden: mqtt tcp 8883"
/ip firewall filter add chain="cw-brf-solgarden" action=accept protocol=tcp dst-port=443 dst-address-list="cw-brf-solgarden-ocpp" comment="chargewall:brf-solgarden: ocpp tcp 443 Native OCPP 1.6J central system of the operator"
/ip firewall filter add chain="cw-brf-solgarden" action=accept protocol=udp dst-port=123 comment="chargewall:brf-solgarden: ntp udp 123"
/ip firewall filter add chain="cw-brf-solgarden" action=drop log=yes log-prefix="cw-brf-solgarden" comment="chargewall:brf-solgarden: default deny"
:if ([:len [/ip firewall filter find where comment="chargewall:brf-solgarden: jump to charger rules"]] = 0) do={ :if ([:len [/ip firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ip firewall filter add chain=forward action=jump jump-target="cw-brf-solgarden" in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: jump to charger rules" } else={ /ip firewall filter add chain=forward action=jump jump-target="cw-brf-solgarden" in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: jump to charger rules" place-before=[:pick [/ip firewall filter find where chain="forward" and dynamic=no] 0] } }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=accept protocol=udp dst-port=67 comment="chargewall:brf-solgarden: dhcp udp 67 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=accept protocol=udp dst-port=67 comment="chargewall:brf-solgarden: dhcp udp 67 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=accept protocol=udp dst-port=53 comment="chargewall:brf-solgarden: dns udp 53 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=accept protocol=udp dst-port=53 comment="chargewall:brf-solgarden: dns udp 53 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=accept protocol=tcp dst-port=53 comment="chargewall:brf-solgarden: dns tcp 53 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=accept protocol=tcp dst-port=53 comment="chargewall:brf-solgarden: dns tcp 53 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=drop comment="chargewall:brf-solgarden: nothing else to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-brf-solgarden" action=drop comment="chargewall:brf-solgarden: nothing else to the router" }

# ---- NAT: DNS and NTP from the chargers to the router
# dns: every DNS query from the chargers is answered by the router, including the fallback 8.8.8.8/1.1.1.1: chargers and firewall resolve the cloud hosts through the same resolver.
/ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:brf-solgarden:"]
/ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-brf-solgarden" protocol=udp dst-port=53 to-ports=53 comment="chargewall:brf-solgarden: dns udp 53 to the router"
/ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-brf-solgarden" protocol=tcp dst-port=53 to-ports=53 comment="chargewall:brf-solgarden: dns tcp 53 to the router"

# ---- Wi-Fi (wireless): wlan1, 2.4 GHz b/g/n, channel 6 (2437 MHz), 20 MHz, WPA2-PSK, country SE
# The passphrase is not in this file (environment variable CHARGER_WIFI_PSK, render with --with-secrets to include it). Set it once:
#   /interface wireless security-profiles set [/interface wireless security-profiles find where name="cw-brf-solgarden-sec"] wpa2-pre-shared-key="..."
# When bridge-chargers is a bridge and wlan1 is in no bridge yet, the radio becomes a port of it.
# Minimum signal -75 dBm is enforced (wifi.enforceMinSignal): weaker clients are rejected.
:if ([:len [/interface wireless security-profiles find where name="cw-brf-solgarden-sec"]] = 0) do={ /interface wireless security-profiles add name="cw-brf-solgarden-sec" mode=dynamic-keys authentication-types=wpa2-psk unicast-ciphers=aes-ccm group-ciphers=aes-ccm comment="chargewall:brf-solgarden: charger Wi-Fi security" } else={ /interface wireless security-profiles set [/interface wireless security-profiles find where name="cw-brf-solgarden-sec"] mode=dynamic-keys authentication-types=wpa2-psk unicast-ciphers=aes-ccm group-ciphers=aes-ccm comment="chargewall:brf-solgarden: charger Wi-Fi security" }
/interface wireless set [/interface wireless find where name="wlan1"] mode=ap-bridge ssid="BRF Solg\C3\A5rden Laddare" band=2ghz-b/g/n channel-width=20mhz frequency=2437 frequency-mode=regulatory-domain country="sweden" wireless-protocol=802.11 security-profile="cw-brf-solgarden-sec" disabled=no
:if ([:len [/interface bridge find where name="bridge-chargers"]] = 1) do={ :if ([:len [/interface bridge port find where interface="wlan1"]] = 0) do={ /interface bridge port add bridge="bridge-chargers" interface="wlan1" comment="chargewall:brf-solgarden: charger Wi-Fi" } }
/interface wireless access-list remove [/interface wireless access-list find where comment~"^chargewall:brf-solgarden:"]
/interface wireless access-list add interface="wlan1" signal-range=-75..120 authentication=yes forwarding=yes comment="chargewall:brf-solgarden: signal -75 dBm or better"
/interface wireless access-list add interface="wlan1" signal-range=-120..-76 authentication=no forwarding=no comment="chargewall:brf-solgarden: reject weaker clients"

# ---- Undo: paste these lines (without the leading "# ") to remove everything this script added.
# The Wi-Fi profiles it created stay until you point the radio elsewhere and remove them by name.
# /ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:brf-solgarden:"]
# /ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:brf-solgarden:"]
# /ip dns static remove [/ip dns static find where comment~"^chargewall:brf-solgarden:"]
# /ip dhcp-server lease remove [/ip dhcp-server lease find where comment~"^chargewall:brf-solgarden:"]
# /ip dhcp-server network remove [/ip dhcp-server network find where comment~"^chargewall:brf-solgarden:"]
# /ip address remove [/ip address find where comment~"^chargewall:brf-solgarden:"]
# /interface list member remove [/interface list member find where comment~"^chargewall:brf-solgarden:"]
# /ip firewall address-list remove [/ip firewall address-list find where comment~"^chargewall:brf-solgarden:" and dynamic=no]
# /interface wireless access-list remove [/interface wireless access-list find where comment~"^chargewall:brf-solgarden:"]
# /interface bridge port remove [/interface bridge port find where comment~"^chargewall:brf-solgarden:"]
# /ip dhcp-server remove [/ip dhcp-server find where name="cw-brf-solgarden-dhcp"]
# /ip pool remove [/ip pool find where name="cw-brf-solgarden-pool"]
# /interface list remove [/interface list find where name="cw-brf-solgarden"]
