# chargewall 0.1.0: RouterOS 7 script for site parkering-hamnen (Hamnen car park (PLC))
# Profile zaptec-pro, 12 chargers on 172.16.8.0/26. Do not edit: change the spec and render again.
#
# Apply: upload this file and run  /import file-name=chargewall.rsc verbose=yes
# (RouterOS 7.16+: add dry-run to check it first), or paste it into a terminal.
# Safe to run again: every item it creates has a comment starting with "chargewall:parkering-hamnen:".
# It removes those items before adding them again, creates named items (interface list, VLAN,
# pool, DHCP server, Wi-Fi profiles) only when missing, and leaves everything else alone.

# ---- Preflight: stop before any change when the router does not fit
:if ([:pick [/system resource get version] 0 1] != "7") do={ :error "chargewall: this script is for RouterOS 7 - set targets.mikrotik.routeros and render again" }
:if ([:len [/interface find where name="bridge-chargers"]] = 0) do={ :error "chargewall: interface bridge-chargers does not exist - create it or set targets.mikrotik.interface" }

# ---- Charger segment: bridge-chargers, interface list cw-parkering-hamnen
:if ([:len [/interface list find where name="cw-parkering-hamnen"]] = 0) do={ /interface list add name="cw-parkering-hamnen" comment="chargewall:parkering-hamnen: charger segment of Hamnen car park \28PLC\29" } else={ /interface list set [/interface list find where name="cw-parkering-hamnen"] comment="chargewall:parkering-hamnen: charger segment of Hamnen car park \28PLC\29" }
/interface list member remove [/interface list member find where comment~"^chargewall:parkering-hamnen:"]
/interface list member add list="cw-parkering-hamnen" interface="bridge-chargers" comment="chargewall:parkering-hamnen: charger segment"

# ---- Address 172.16.8.1/26, pool 172.16.8.45-172.16.8.62 (18 for 12 chargers, 18 needed with headroom), DHCP, 2 static leases
# DHCP hands out the router as gateway and DNS.
/ip address remove [/ip address find where comment~"^chargewall:parkering-hamnen:"]
:if ([:len [/ip address find where address="172.16.8.1/26"]] = 0) do={ /ip address add address=172.16.8.1/26 interface="bridge-chargers" comment="chargewall:parkering-hamnen: gateway" } else={ :put "chargewall: address 172.16.8.1/26 exists already and was left alone" }
:if ([:len [/ip pool find where name="cw-parkering-hamnen-pool"]] = 0) do={ /ip pool add name="cw-parkering-hamnen-pool" ranges=172.16.8.45-172.16.8.62 comment="chargewall:parkering-hamnen: 18 addresses for 12 chargers" } else={ /ip pool set [/ip pool find where name="cw-parkering-hamnen-pool"] ranges=172.16.8.45-172.16.8.62 comment="chargewall:parkering-hamnen: 18 addresses for 12 chargers" }
:if ([:len [/ip dhcp-server find where name="cw-parkering-hamnen-dhcp"]] = 0) do={ /ip dhcp-server add name="cw-parkering-hamnen-dhcp" interface="bridge-chargers" address-pool="cw-parkering-hamnen-pool" lease-time=12h disabled=no comment="chargewall:parkering-hamnen: chargers" } else={ /ip dhcp-server set [/ip dhcp-server find where name="cw-parkering-hamnen-dhcp"] interface="bridge-chargers" address-pool="cw-parkering-hamnen-pool" lease-time=12h disabled=no comment="chargewall:parkering-hamnen: chargers" }
/ip dhcp-server network remove [/ip dhcp-server network find where comment~"^chargewall:parkering-hamnen:"]
:if ([:len [/ip dhcp-server network find where address="172.16.8.0/26"]] = 0) do={ /ip dhcp-server network add address=172.16.8.0/26 gateway=172.16.8.1 dns-server=172.16.8.1 comment="chargewall:parkering-hamnen: charger network" } else={ :put "chargewall: DHCP network 172.16.8.0/26 exists already and was left alone" }
/ip dhcp-server lease remove [/ip dhcp-server lease find where comment~"^chargewall:parkering-hamnen:"]
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-parkering-hamnen-dhcp" and mac-address="98:3D:AE:20:00:01" and dynamic=yes]
/ip dhcp-server lease add server="cw-parkering-hamnen-dhcp" mac-address=98:3D:AE:20:00:01 address=172.16.8.10 comment="chargewall:parkering-hamnen: lease Row A \231"
/ip dhcp-server lease remove [/ip dhcp-server lease find where server="cw-parkering-hamnen-dhcp" and mac-address="98:3D:AE:20:00:02" and dynamic=yes]
/ip dhcp-server lease add server="cw-parkering-hamnen-dhcp" mac-address=98:3D:AE:20:00:02 address=172.16.8.11 comment="chargewall:parkering-hamnen: lease Row A \232"

# ---- Router DNS and NTP
# The router answers DNS for the chargers. The input rules below limit who may ask.
/ip dns set allow-remote-requests=yes

# ---- Cloud hosts: address lists
# One list per endpoint group, so each port opens only to its own hosts.
# Name entries: the router resolves each name itself and adds the addresses as dynamic entries.
# DNS FWD entries with address-list: every answer the router gives a charger adds exactly those addresses to the list
# (the DNS redirect makes the router see every charger lookup).
/ip firewall address-list remove [/ip firewall address-list find where comment~"^chargewall:parkering-hamnen:" and dynamic=no]
/ip firewall address-list add list="cw-parkering-hamnen-https" address="zapcloud-api.azurewebsites.net" comment="chargewall:parkering-hamnen: https zapcloud-api.azurewebsites.net"
/ip firewall address-list add list="cw-parkering-hamnen-https" address="devices.zaptec.com" comment="chargewall:parkering-hamnen: https devices.zaptec.com"
/ip firewall address-list add list="cw-parkering-hamnen-https" address="api.zaptec.com" comment="chargewall:parkering-hamnen: https api.zaptec.com"
/ip firewall address-list add list="cw-parkering-hamnen-mqtt" address="zapcloud.azure-devices.net" comment="chargewall:parkering-hamnen: mqtt zapcloud.azure-devices.net"
/ip dns static remove [/ip dns static find where comment~"^chargewall:parkering-hamnen:"]
:if ([:len [/ip dns static find where name="zapcloud-api.azurewebsites.net"]] = 0) do={ /ip dns static add name="zapcloud-api.azurewebsites.net" type=FWD address-list="cw-parkering-hamnen-https" comment="chargewall:parkering-hamnen: https zapcloud-api.azurewebsites.net" } else={ :put "chargewall: DNS static entry for zapcloud-api.azurewebsites.net exists already and was left alone" }
:if ([:len [/ip dns static find where name="devices.zaptec.com"]] = 0) do={ /ip dns static add name="devices.zaptec.com" type=FWD address-list="cw-parkering-hamnen-https" comment="chargewall:parkering-hamnen: https devices.zaptec.com" } else={ :put "chargewall: DNS static entry for devices.zaptec.com exists already and was left alone" }
:if ([:len [/ip dns static find where name="api.zaptec.com"]] = 0) do={ /ip dns static add name="api.zaptec.com" type=FWD address-list="cw-parkering-hamnen-https" comment="chargewall:parkering-hamnen: https api.zaptec.com" } else={ :put "chargewall: DNS static entry for api.zaptec.com exists already and was left alone" }
:if ([:len [/ip dns static find where name="zapcloud.azure-devices.net"]] = 0) do={ /ip dns static add name="zapcloud.azure-devices.net" type=FWD address-list="cw-parkering-hamnen-mqtt" comment="chargewall:parkering-hamnen: mqtt zapcloud.azure-devices.net" } else={ :put "chargewall: DNS static entry for zapcloud.azure-devices.net exists already and was left alone" }

# ---- Firewall: chain cw-parkering-hamnen, one jump at the top of forward, router services in input
# The jump is added once, before the first forward rule, and kept on later runs (move it and it stays moved).
# Input accepts go before the default configuration rule drop all not coming from LAN when it exists, else at the end.
# Outbound NAT: the default configuration's masquerade (out-interface-list=WAN) covers the charger segment.
/ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:parkering-hamnen:" and comment!="chargewall:parkering-hamnen: jump to charger rules"]
/ip firewall filter add chain="cw-parkering-hamnen" action=accept connection-state=established,related comment="chargewall:parkering-hamnen: replies and long-lived connections"
/ip firewall filter add chain="cw-parkering-hamnen" action=accept protocol=tcp dst-port=443 dst-address-list="cw-parkering-hamnen-https" comment="chargewall:parkering-hamnen: https tcp 443"
/ip firewall filter add chain="cw-parkering-hamnen" action=accept protocol=tcp dst-port=8883 dst-address-list="cw-parkering-hamnen-mqtt" comment="chargewall:parkering-hamnen: mqtt tcp 8883"
/ip firewall filter add chain="cw-parkering-hamnen" action=accept protocol=udp dst-port=123 comment="chargewall:parkering-hamnen: ntp udp 123"
/ip firewall filter add chain="cw-parkering-hamnen" action=drop comment="chargewall:parkering-hamnen: default deny"
:if ([:len [/ip firewall filter find where comment="chargewall:parkering-hamnen: jump to charger rules"]] = 0) do={ :if ([:len [/ip firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ip firewall filter add chain=forward action=jump jump-target="cw-parkering-hamnen" in-interface-list="cw-parkering-hamnen" comment="chargewall:parkering-hamnen: jump to charger rules" } else={ /ip firewall filter add chain=forward action=jump jump-target="cw-parkering-hamnen" in-interface-list="cw-parkering-hamnen" comment="chargewall:parkering-hamnen: jump to charger rules" place-before=[:pick [/ip firewall filter find where chain="forward" and dynamic=no] 0] } }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=accept protocol=udp dst-port=67 comment="chargewall:parkering-hamnen: dhcp udp 67 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=accept protocol=udp dst-port=67 comment="chargewall:parkering-hamnen: dhcp udp 67 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=accept protocol=udp dst-port=53 comment="chargewall:parkering-hamnen: dns udp 53 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=accept protocol=udp dst-port=53 comment="chargewall:parkering-hamnen: dns udp 53 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=accept protocol=tcp dst-port=53 comment="chargewall:parkering-hamnen: dns tcp 53 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=accept protocol=tcp dst-port=53 comment="chargewall:parkering-hamnen: dns tcp 53 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=drop comment="chargewall:parkering-hamnen: nothing else to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-parkering-hamnen" action=drop comment="chargewall:parkering-hamnen: nothing else to the router" }

# ---- NAT: DNS and NTP from the chargers to the router
# dns: every DNS query from the chargers is answered by the router, including the fallback 8.8.8.8/1.1.1.1: the router sees every answer and fills the allow-sets exactly.
/ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:parkering-hamnen:"]
/ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-parkering-hamnen" protocol=udp dst-port=53 to-ports=53 comment="chargewall:parkering-hamnen: dns udp 53 to the router"
/ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-parkering-hamnen" protocol=tcp dst-port=53 to-ports=53 comment="chargewall:parkering-hamnen: dns tcp 53 to the router"

# ---- Undo: paste these lines (without the leading "# ") to remove everything this script added.
# The Wi-Fi profiles it created stay until you point the radio elsewhere and remove them by name.
# /ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:parkering-hamnen:"]
# /ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:parkering-hamnen:"]
# /ip dns static remove [/ip dns static find where comment~"^chargewall:parkering-hamnen:"]
# /ip dhcp-server lease remove [/ip dhcp-server lease find where comment~"^chargewall:parkering-hamnen:"]
# /ip dhcp-server network remove [/ip dhcp-server network find where comment~"^chargewall:parkering-hamnen:"]
# /ip address remove [/ip address find where comment~"^chargewall:parkering-hamnen:"]
# /interface list member remove [/interface list member find where comment~"^chargewall:parkering-hamnen:"]
# /ip firewall address-list remove [/ip firewall address-list find where comment~"^chargewall:parkering-hamnen:" and dynamic=no]
# /ip dhcp-server remove [/ip dhcp-server find where name="cw-parkering-hamnen-dhcp"]
# /ip pool remove [/ip pool find where name="cw-parkering-hamnen-pool"]
# /interface list remove [/interface list find where name="cw-parkering-hamnen"]
