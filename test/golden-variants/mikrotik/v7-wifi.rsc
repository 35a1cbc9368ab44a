# chargewall 0.1.0: RouterOS 7 script for site brf-solgarden (BRF Solgarden garage, plan -1)
# Spec sha256:3dff1eab547f, profile zaptec-pro, 40 chargers on 10.40.0.0/24 VLAN 40. Do not edit: change the spec and render again.
#
# Apply (STEPS.md has the whole procedure): take an /export first, turn on Safe Mode (Ctrl+X in the
# terminal, or the Safe Mode button in Winbox), upload this file and run
#   /import file-name=chargewall.rsc verbose=yes
# (RouterOS 7.16+: add dry-run to check it first). Do not paste it into a terminal: a paste runs every
# line even after a failed one, /import stops at the first error.
# The order is fail-closed: preflight, interface list, address lists, the filter chain and its jumps,
# input, NAT, and only then address, DHCP, router DNS/NTP and Wi-Fi. Stopping after any line leaves
# the charger segment either unrouted or behind the complete chain.
# Safe to run again: every item it creates has a comment starting with "chargewall:brf-solgarden:". A changed chain is
# built next to the old one before the jumps switch to it (make before break).

# ---- Preflight: stop before any change when the router does not fit
# Nothing before the first change: RouterOS version per feature, the interface (exists, not a bridge port, not the LAN, no foreign address or DHCP server),
# VLAN filtering, the radio (2.4 GHz, bridge membership, virtual AP master running). Warnings only: masquerade and DNS servers.
:if (([/system resource get version] . " ") ~ "^7[.]") do={} else={ :error "chargewall: this script is for RouterOS 7 - set targets.mikrotik.routeros and render again" }
:if (([/system resource get version] . " ") ~ "^7[.](1[3-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={} else={ :error "chargewall: the /interface wifi menu \28before 7.13: set targets.mikrotik.wifi to wifiwave2\29 needs RouterOS 7.13 or newer - upgrade RouterOS \28System \3E Packages\29 and import again" }
:if ([:len [/interface find where name="bridge-chargers"]] = 0) do={ :error "chargewall: interface bridge-chargers does not exist - create it or set targets.mikrotik.interface" }
:if ([:len [/interface bridge port find where interface="bridge-chargers"]] > 0) do={ :error "chargewall: bridge-chargers is a port of a bridge - a VLAN or address on a bridge port gets no traffic\3B set targets.mikrotik.interface to the bridge" }
:if ([:len [/interface list member find where list="LAN" and interface="bridge-chargers"]] > 0) do={ :error "chargewall: bridge-chargers is in the interface list LAN - it is the office network, not a charger segment\3B create a separate bridge for the chargers" }
:if ([:len [/ip address find where interface="bridge-chargers"]] > [:len [/ip address find where interface="bridge-chargers" and comment~"^chargewall:brf-solgarden:"]]) do={ :error "chargewall: bridge-chargers carries addresses chargewall did not add - it is in use\3B give the chargers their own bridge" }
:if ([:len [/ip dhcp-server find where interface="bridge-chargers" and name!="cw-brf-solgarden-dhcp"]] > 0) do={ :error "chargewall: bridge-chargers already has a DHCP server - it is in use\3B give the chargers their own bridge" }
:if ([:len [/interface bridge find where name="bridge-chargers" and vlan-filtering=yes]] > 0) do={ :if ([:len [/interface bridge vlan find where bridge="bridge-chargers" and vlan-ids=40 and tagged~"bridge-chargers"]] = 0) do={ :error "chargewall: bridge-chargers filters VLANs and is not a tagged member of VLAN 40 - add /interface bridge vlan bridge=bridge-chargers tagged=bridge-chargers vlan-ids=40 \28and the charger ports\29, then import again" } }
:if ([:len [/interface wifi find where name="wifi2"]] = 0) do={ :error "chargewall: Wi-Fi interface wifi2 does not exist - set targets.mikrotik.wifiInterface" }
:if ([:len [/interface wifi radio find where interface="wifi2" and bands~"2ghz"]] = 0) do={ :error "chargewall: wifi2 is not a 2.4 GHz radio - set targets.mikrotik.wifiInterface to the 2.4 GHz one" }
:if ([:len [/interface wifi find where name="wifi2" and disabled=no]] = 0) do={ :error "chargewall: wifi2 is disabled - a virtual AP runs only on a running radio\3B set targets.mikrotik.radio to take-over to use the whole radio" }
:if ([:len [/interface wifi find where name="cw-brf-solgarden-ap"]] > [:len [/interface wifi find where name="cw-brf-solgarden-ap" and comment~"^chargewall:brf-solgarden:"]]) do={ :error "chargewall: an interface cw-brf-solgarden-ap exists that chargewall did not create - rename it" }
:if ([:len [/interface bridge port find where interface="cw-brf-solgarden-ap" and bridge!="bridge-chargers"]] > 0) do={ :error "chargewall: cw-brf-solgarden-ap is a port of another bridge than bridge-chargers - remove that port" }
:if ([:len [/ip firewall nat find where chain="srcnat" and action=masquerade]] = 0) do={ :put "chargewall: WARNING no masquerade rule in srcnat - the chargers reach the internet only if the router NATs them some other way" }
:if (([:len [/ip dns get servers]] + [:len [/ip dns get dynamic-servers]]) = 0) do={ :put "chargewall: WARNING the router has no DNS servers - it answers the chargers lookups only once /ip dns has servers" }

# ---- Charger segment: VLAN 40 on bridge-chargers (cw-brf-solgarden-vlan), interface list cw-brf-solgarden
:if ([:len [/interface vlan find where name="cw-brf-solgarden-vlan"]] = 0) do={ /interface vlan add name="cw-brf-solgarden-vlan" interface="bridge-chargers" vlan-id=40 comment="chargewall:brf-solgarden: charger VLAN 40" } else={ /interface vlan set [/interface vlan find where name="cw-brf-solgarden-vlan"] interface="bridge-chargers" vlan-id=40 comment="chargewall:brf-solgarden: charger VLAN 40" }
:if ([:len [/interface list find where name="cw-brf-solgarden"]] = 0) do={ /interface list add name="cw-brf-solgarden" comment="chargewall:brf-solgarden: charger segment of BRF Solg\C3\A5rden garage, plan -1" } else={ /interface list set [/interface list find where name="cw-brf-solgarden"] comment="chargewall:brf-solgarden: charger segment of BRF Solg\C3\A5rden garage, plan -1" }
:if ([:len [/interface list member find where list="cw-brf-solgarden" and interface="cw-brf-solgarden-vlan"]] = 0) do={ /interface list member add list="cw-brf-solgarden" interface="cw-brf-solgarden-vlan" comment="chargewall:brf-solgarden: charger segment" }
/interface list member remove [/interface list member find where comment~"^chargewall:brf-solgarden:" and interface!="cw-brf-solgarden-vlan"]

# ---- Cloud hosts: address lists
# One list per endpoint group, so each port opens only to its own hosts.
# Name entries: the router resolves each name itself and adds the addresses as dynamic entries.
# RouterOS 7.17+: DNS FWD entries with address-list add exactly the addresses the router answers a charger
# (the DNS redirect makes the router see every charger lookup). address-list-extra-time keeps them 1h past the TTL.
# The FWD entries and their lists (cw-fwd-<group>-<hash of its hosts>) are shared by every chargewall site on this router with the same hosts:
# one entry per name can feed only one list, so each site's chain accepts that shared list too. Their comment starts chargewall:fwd: , not a site's tag.
/ip firewall address-list set [/ip firewall address-list find where comment~"^chargewall:brf-solgarden:" and dynamic=no] comment="chargewall:brf-solgarden: stale"
:if ([:len [/ip firewall address-list find where list="cw-brf-solgarden-https" and address="zapcloud-api.azurewebsites.net" and dynamic=no]] = 0) do={ /ip firewall address-list add list="cw-brf-solgarden-https" address="zapcloud-api.azurewebsites.net" comment="chargewall:brf-solgarden: https zapcloud-api.azurewebsites.net" } else={ /ip firewall address-list set [/ip firewall address-list find where list="cw-brf-solgarden-https" and address="zapcloud-api.azurewebsites.net" and dynamic=no] comment="chargewall:brf-solgarden: https zapcloud-api.azurewebsites.net" }
:if ([:len [/ip firewall address-list find where list="cw-brf-solgarden-https" and address="devices.zaptec.com" and dynamic=no]] = 0) do={ /ip firewall address-list add list="cw-brf-solgarden-https" address="devices.zaptec.com" comment="chargewall:brf-solgarden: https devices.zaptec.com" } else={ /ip firewall address-list set [/ip firewall address-list find where list="cw-brf-solgarden-https" and address="devices.zaptec.com" and dynamic=no] comment="chargewall:brf-solgarden: https devices.zaptec.com" }
:if ([:len [/ip firewall address-list find where list="cw-brf-solgarden-https" and address="api.zaptec.com" and dynamic=no]] = 0) do={ /ip firewall address-list add list="cw-brf-solgarden-https" address="api.zaptec.com" comment="chargewall:brf-solgarden: https api.zaptec.com" } else={ /ip firewall address-list set [/ip firewall address-list find where list="cw-brf-solgarden-https" and address="api.zaptec.com" and dynamic=no] comment="chargewall:brf-solgarden: https api.zaptec.com" }
:if ([:len [/ip firewall address-list find where list="cw-brf-solgarden-mqtt" and address="zapcloud.azure-devices.net" and dynamic=no]] = 0) do={ /ip firewall address-list add list="cw-brf-solgarden-mqtt" address="zapcloud.azure-devices.net" comment="chargewall:brf-solgarden: mqtt zapcloud.azure-devices.net" } else={ /ip firewall address-list set [/ip firewall address-list find where list="cw-brf-solgarden-mqtt" and address="zapcloud.azure-devices.net" and dynamic=no] comment="chargewall:brf-solgarden: mqtt zapcloud.azure-devices.net" }
:if ([:len [/ip firewall address-list find where list="cw-brf-solgarden-ntp" and address="no.pool.ntp.org" and dynamic=no]] = 0) do={ /ip firewall address-list add list="cw-brf-solgarden-ntp" address="no.pool.ntp.org" comment="chargewall:brf-solgarden: ntp no.pool.ntp.org" } else={ /ip firewall address-list set [/ip firewall address-list find where list="cw-brf-solgarden-ntp" and address="no.pool.ntp.org" and dynamic=no] comment="chargewall:brf-solgarden: ntp no.pool.ntp.org" }
:if ([:len [/ip firewall address-list find where list="cw-brf-solgarden-ocpp" and address="csms.example.com" and dynamic=no]] = 0) do={ /ip firewall address-list add list="cw-brf-solgarden-ocpp" address="csms.example.com" comment="chargewall:brf-solgarden: ocpp csms.example.com" } else={ /ip firewall address-list set [/ip firewall address-list find where list="cw-brf-solgarden-ocpp" and address="csms.example.com" and dynamic=no] comment="chargewall:brf-solgarden: ocpp csms.example.com" }
/ip firewall address-list remove [/ip firewall address-list find where comment="chargewall:brf-solgarden: stale" and dynamic=no]
/ip dns static remove [/ip dns static find where comment~"^chargewall:brf-solgarden:"]
:if (([/system resource get version] . " ") ~ "^7[.](1[7-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={ :if ([:len [/ip dns static find where name="zapcloud-api.azurewebsites.net" and type=FWD and address-list="cw-fwd-https-fe25d5"]] = 0) do={ :if ([:len [/ip dns static find where name="zapcloud-api.azurewebsites.net"]] = 0) do={ /ip dns static add name="zapcloud-api.azurewebsites.net" type=FWD address-list="cw-fwd-https-fe25d5" comment="chargewall:fwd: https zapcloud-api.azurewebsites.net" } else={ :put "chargewall: DNS static entry for zapcloud-api.azurewebsites.net exists already and was left alone" } } }
:if (([/system resource get version] . " ") ~ "^7[.](1[7-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={ :if ([:len [/ip dns static find where name="devices.zaptec.com" and type=FWD and address-list="cw-fwd-https-fe25d5"]] = 0) do={ :if ([:len [/ip dns static find where name="devices.zaptec.com"]] = 0) do={ /ip dns static add name="devices.zaptec.com" type=FWD address-list="cw-fwd-https-fe25d5" comment="chargewall:fwd: https devices.zaptec.com" } else={ :put "chargewall: DNS static entry for devices.zaptec.com exists already and was left alone" } } }
:if (([/system resource get version] . " ") ~ "^7[.](1[7-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={ :if ([:len [/ip dns static find where name="api.zaptec.com" and type=FWD and address-list="cw-fwd-https-fe25d5"]] = 0) do={ :if ([:len [/ip dns static find where name="api.zaptec.com"]] = 0) do={ /ip dns static add name="api.zaptec.com" type=FWD address-list="cw-fwd-https-fe25d5" comment="chargewall:fwd: https api.zaptec.com" } else={ :put "chargewall: DNS static entry for api.zaptec.com exists already and was left alone" } } }
:if (([/system resource get version] . " ") ~ "^7[.](1[7-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={ :if ([:len [/ip dns static find where name="zapcloud.azure-devices.net" and type=FWD and address-list="cw-fwd-mqtt-94e878"]] = 0) do={ :if ([:len [/ip dns static find where name="zapcloud.azure-devices.net"]] = 0) do={ /ip dns static add name="zapcloud.azure-devices.net" type=FWD address-list="cw-fwd-mqtt-94e878" comment="chargewall:fwd: mqtt zapcloud.azure-devices.net" } else={ :put "chargewall: DNS static entry for zapcloud.azure-devices.net exists already and was left alone" } } }
:if (([/system resource get version] . " ") ~ "^7[.](1[7-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={ :if ([:len [/ip dns static find where name="no.pool.ntp.org" and type=FWD and address-list="cw-fwd-ntp-31ee81"]] = 0) do={ :if ([:len [/ip dns static find where name="no.pool.ntp.org"]] = 0) do={ /ip dns static add name="no.pool.ntp.org" type=FWD address-list="cw-fwd-ntp-31ee81" comment="chargewall:fwd: ntp no.pool.ntp.org" } else={ :put "chargewall: DNS static entry for no.pool.ntp.org exists already and was left alone" } } }
:if (([/system resource get version] . " ") ~ "^7[.](1[7-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={ :if ([:len [/ip dns static find where name="csms.example.com" and type=FWD and address-list="cw-fwd-ocpp-1b2973"]] = 0) do={ :if ([:len [/ip dns static find where name="csms.example.com"]] = 0) do={ /ip dns static add name="csms.example.com" type=FWD address-list="cw-fwd-ocpp-1b2973" comment="chargewall:fwd: ocpp csms.example.com" } else={ :put "chargewall: DNS static entry for csms.example.com exists already and was left alone" } } }
:if (([/system resource get version] . " ") ~ "^7[.](1[7-9]|[2-9][0-9]|[1-9][0-9][0-9])") do={ /ip dns set address-list-extra-time=1h } else={ :put "chargewall: RouterOS before 7.17: no DNS FWD entries - the lists fill from the router\27s own lookups of the names only" }

# ---- Firewall: chain cw-brf-solgarden-6b3866, jumps at the top of forward
# The chain name carries a hash of its rules: a changed spec builds a new chain next to the old one, the jumps switch to it
# only once it is complete, then the old chain goes. An unchanged chain that a jump uses is left as it is.
# The jumps are added once, before the first forward rule (the default configuration's fasttrack), and kept on later runs.
# IPv6 from and to the charger segment is dropped at the top of the IPv6 forward chain.
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter remove [/ip firewall filter find where chain="cw-brf-solgarden-6b3866" and comment~"^chargewall:brf-solgarden:"] }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept connection-state=established,related comment="chargewall:brf-solgarden: replies and long-lived connections" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=drop out-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: no new connections into the charger segment" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=tcp dst-port=443 dst-address-list="cw-brf-solgarden-https" comment="chargewall:brf-solgarden: https tcp 443" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=tcp dst-port=443 dst-address-list="cw-fwd-https-fe25d5" comment="chargewall:brf-solgarden: fwd https tcp 443" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=tcp dst-port=8883 dst-address-list="cw-brf-solgarden-mqtt" comment="chargewall:brf-solgarden: mqtt tcp 8883" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=tcp dst-port=8883 dst-address-list="cw-fwd-mqtt-94e878" comment="chargewall:brf-solgarden: fwd mqtt tcp 8883" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=udp dst-port=123 dst-address-list="cw-brf-solgarden-ntp" comment="chargewall:brf-solgarden: ntp udp 123" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=udp dst-port=123 dst-address-list="cw-fwd-ntp-31ee81" comment="chargewall:brf-solgarden: fwd ntp udp 123" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=tcp dst-port=443 dst-address-list="cw-brf-solgarden-ocpp" comment="chargewall:brf-solgarden: ocpp tcp 443 Native OCPP 1.6J central system of the operator" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=accept protocol=tcp dst-port=443 dst-address-list="cw-fwd-ocpp-1b2973" comment="chargewall:brf-solgarden: fwd ocpp tcp 443 Native OCPP 1.6J central system of the operator" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=log limit=10/1m,5:packet log-prefix="cw-brf-solgarden" comment="chargewall:brf-solgarden: log dropped \28rate limited\29" }
:if ([:len [/ip firewall filter find where action=jump and jump-target="cw-brf-solgarden-6b3866"]] = 0) do={ /ip firewall filter add chain="cw-brf-solgarden-6b3866" action=drop comment="chargewall:brf-solgarden: default deny" }
:if ([:len [/ip firewall filter find where comment="chargewall:brf-solgarden: jump for traffic from the chargers"]] = 0) do={ :if ([:len [/ip firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ip firewall filter add chain=forward action=jump jump-target="cw-brf-solgarden-6b3866" in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: jump for traffic from the chargers" } else={ /ip firewall filter add chain=forward action=jump jump-target="cw-brf-solgarden-6b3866" in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: jump for traffic from the chargers" place-before=[:pick [/ip firewall filter find where chain="forward" and dynamic=no] 0] } } else={ /ip firewall filter set [/ip firewall filter find where comment="chargewall:brf-solgarden: jump for traffic from the chargers"] jump-target="cw-brf-solgarden-6b3866" }
:if ([:len [/ip firewall filter find where comment="chargewall:brf-solgarden: jump for traffic to the chargers"]] = 0) do={ :if ([:len [/ip firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ip firewall filter add chain=forward action=jump jump-target="cw-brf-solgarden-6b3866" out-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: jump for traffic to the chargers" } else={ /ip firewall filter add chain=forward action=jump jump-target="cw-brf-solgarden-6b3866" out-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: jump for traffic to the chargers" place-before=[:pick [/ip firewall filter find where chain="forward" and dynamic=no] 0] } } else={ /ip firewall filter set [/ip firewall filter find where comment="chargewall:brf-solgarden: jump for traffic to the chargers"] jump-target="cw-brf-solgarden-6b3866" }
/ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:brf-solgarden:" and chain="forward" and comment!="chargewall:brf-solgarden: jump for traffic from the chargers" and comment!="chargewall:brf-solgarden: jump for traffic to the chargers"]
/ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:brf-solgarden:" and chain!="cw-brf-solgarden-6b3866" and chain!="forward" and chain!="input"]
:if ([:len [/ipv6 firewall filter find where comment="chargewall:brf-solgarden: no IPv6 from the chargers"]] = 0) do={ :if ([:len [/ipv6 firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ipv6 firewall filter add chain=forward action=drop in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: no IPv6 from the chargers" } else={ /ipv6 firewall filter add chain=forward action=drop in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: no IPv6 from the chargers" place-before=[:pick [/ipv6 firewall filter find where chain="forward" and dynamic=no] 0] } }
:if ([:len [/ipv6 firewall filter find where comment="chargewall:brf-solgarden: no IPv6 to the chargers"]] = 0) do={ :if ([:len [/ipv6 firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ipv6 firewall filter add chain=forward action=drop out-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: no IPv6 to the chargers" } else={ /ipv6 firewall filter add chain=forward action=drop out-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: no IPv6 to the chargers" place-before=[:pick [/ipv6 firewall filter find where chain="forward" and dynamic=no] 0] } }

# ---- Firewall input: router services for the chargers, at the top of input
# Accepts for DHCP/DNS(/NTP) from the chargers and a drop for the rest, then new DNS(/NTP) requests from anywhere but the LAN list are dropped
# (without a default configuration nothing else would keep the router's resolver off the WAN). Old rules are removed after the new ones are in.
/ip firewall filter set [/ip firewall filter find where chain="input" and comment~"^chargewall:brf-solgarden:"] comment="chargewall:brf-solgarden: stale"
:if ([:len [/interface list find where name="LAN"]] = 1) do={ :if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=drop connection-state=new protocol=tcp dst-port=53 in-interface-list=!LAN comment="chargewall:brf-solgarden: router DNS only for the chargers and the LAN" } else={ /ip firewall filter add chain=input action=drop connection-state=new protocol=tcp dst-port=53 in-interface-list=!LAN comment="chargewall:brf-solgarden: router DNS only for the chargers and the LAN" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] } } else={ :if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=drop connection-state=new protocol=tcp dst-port=53 in-interface-list=!cw-brf-solgarden comment="chargewall:brf-solgarden: router DNS only for the chargers and the LAN" } else={ /ip firewall filter add chain=input action=drop connection-state=new protocol=tcp dst-port=53 in-interface-list=!cw-brf-solgarden comment="chargewall:brf-solgarden: router DNS only for the chargers and the LAN" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] } }
:if ([:len [/interface list find where name="LAN"]] = 1) do={ :if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=drop connection-state=new protocol=udp dst-port=53 in-interface-list=!LAN comment="chargewall:brf-solgarden: router DNS/NTP only for the chargers and the LAN" } else={ /ip firewall filter add chain=input action=drop connection-state=new protocol=udp dst-port=53 in-interface-list=!LAN comment="chargewall:brf-solgarden: router DNS/NTP only for the chargers and the LAN" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] } } else={ :if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=drop connection-state=new protocol=udp dst-port=53 in-interface-list=!cw-brf-solgarden comment="chargewall:brf-solgarden: router DNS/NTP only for the chargers and the LAN" } else={ /ip firewall filter add chain=input action=drop connection-state=new protocol=udp dst-port=53 in-interface-list=!cw-brf-solgarden comment="chargewall:brf-solgarden: router DNS/NTP only for the chargers and the LAN" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] } }
:if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=drop in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: nothing else to the router" } else={ /ip firewall filter add chain=input action=drop in-interface-list="cw-brf-solgarden" comment="chargewall:brf-solgarden: nothing else to the router" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] }
:if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=accept in-interface-list="cw-brf-solgarden" protocol=tcp dst-port=53 comment="chargewall:brf-solgarden: dns tcp 53 to the router" } else={ /ip firewall filter add chain=input action=accept in-interface-list="cw-brf-solgarden" protocol=tcp dst-port=53 comment="chargewall:brf-solgarden: dns tcp 53 to the router" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] }
:if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=accept in-interface-list="cw-brf-solgarden" protocol=udp dst-port=53 comment="chargewall:brf-solgarden: dns udp 53 to the router" } else={ /ip firewall filter add chain=input action=accept in-interface-list="cw-brf-solgarden" protocol=udp dst-port=53 comment="chargewall:brf-solgarden: dns udp 53 to the router" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] }
:if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input action=accept in-interface-list="cw-brf-solgarden" protocol=udp dst-port=67 comment="chargewall:brf-solgarden: dhcp udp 67 to the router" } else={ /ip firewall filter add chain=input action=accept in-interface-list="cw-brf-solgarden" protocol=udp dst-port=67 comment="chargewall:brf-solgarden: dhcp udp 67 to the router" place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0] }
/ip firewall filter remove [/ip firewall filter find where comment="chargewall:brf-solgarden: stale"]
:if ([:len [/interface list find where name="LAN"]] = 0) do={ :put "chargewall: WARNING no interface list LAN - the router answers DNS and NTP only to the chargers now" }

# ---- NAT: DNS and NTP from the chargers to the router
# dns: every DNS query from the chargers is answered by the router, including the fallback 8.8.8.8/1.1.1.1: the router sees every answer and fills the allow-sets exactly.
/ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:brf-solgarden:"]
:if ([:len [/ip firewall nat find where chain="dstnat" and dynamic=no]] = 0) do={ /ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-brf-solgarden" protocol=tcp dst-port=53 to-ports=53 comment="chargewall:brf-solgarden: dns tcp 53 to the router" } else={ /ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-brf-solgarden" protocol=tcp dst-port=53 to-ports=53 comment="chargewall:brf-solgarden: dns tcp 53 to the router" place-before=[:pick [/ip firewall nat find where chain="dstnat" and dynamic=no] 0] }
:if ([:len [/ip firewall nat find where chain="dstnat" and dynamic=no]] = 0) do={ /ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-brf-solgarden" protocol=udp dst-port=53 to-ports=53 comment="chargewall:brf-solgarden: dns udp 53 to the router" } else={ /ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-brf-solgarden" protocol=udp dst-port=53 to-ports=53 comment="chargewall:brf-solgarden: dns udp 53 to the router" place-before=[:pick [/ip firewall nat find where chain="dstnat" and dynamic=no] 0] }

# ---- Address 10.40.0.1/24, pool 10.40.0.100-10.40.0.159 (60 for 40 chargers, 50 needed with headroom), DHCP, 40 static leases
# DHCP hands out the router as gateway and DNS.
/ip address remove [/ip address find where comment~"^chargewall:brf-solgarden:" and address!="10.40.0.1/24"]
:if ([:len [/ip address find where address="10.40.0.1/24" and comment~"^chargewall:brf-solgarden:"]] = 0) do={ :if ([:len [/ip address find where address="10.40.0.1/24"]] = 0) do={ /ip address add address=10.40.0.1/24 interface="cw-brf-solgarden-vlan" comment="chargewall:brf-solgarden: gateway" } else={ :put "chargewall: address 10.40.0.1/24 exists already and was left alone" } }
:if ([:len [/ip pool find where name="cw-brf-solgarden-pool"]] = 0) do={ /ip pool add name="cw-brf-solgarden-pool" ranges=10.40.0.100-10.40.0.159 comment="chargewall:brf-solgarden: 60 addresses for 40 chargers" } else={ /ip pool set [/ip pool find where name="cw-brf-solgarden-pool"] ranges=10.40.0.100-10.40.0.159 comment="chargewall:brf-solgarden: 60 addresses for 40 chargers" }
:if ([:len [/ip dhcp-server find where name="cw-brf-solgarden-dhcp"]] = 0) do={ /ip dhcp-server add name="cw-brf-solgarden-dhcp" interface="cw-brf-solgarden-vlan" address-pool="cw-brf-solgarden-pool" lease-time=24h disabled=no comment="chargewall:brf-solgarden: chargers" } else={ /ip dhcp-server set [/ip dhcp-server find where name="cw-brf-solgarden-dhcp"] interface="cw-brf-solgarden-vlan" address-pool="cw-brf-solgarden-pool" lease-time=24h disabled=no comment="chargewall:brf-solgarden: chargers" }
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
# The router answers DNS for the chargers the input rules above keep it closed to everything but the chargers and the LAN list.
/ip dns set allow-remote-requests=yes

# ---- Wi-Fi (wifi): virtual AP cw-brf-solgarden-ap on wifi2, 2.4 GHz b/g/n, channel 6 (2437 MHz), 20 MHz, WPA2-PSK, country SE
# Virtual AP cw-brf-solgarden-ap on wifi2 (targets.mikrotik.radio virtual-ap): the office SSID, its security and bridge stay as they are.
# The channel is the radio's: wifi2 is set to channel 6, 20 MHz, for both SSIDs.
# VLAN 40: the cw-brf-solgarden-ap clients must land in VLAN 40 on bridge-chargers this script does not change bridge VLAN filtering, so cw-brf-solgarden-ap is in no bridge.
# With vlan-filtering on bridge-chargers: make cw-brf-solgarden-ap a port with pvid=40 and bridge-chargers a tagged member of VLAN 40.
# Values set on the interface win over the profiles (WiFi manual): the script writes every managed value there and removes
# the profiles assigned directly to it and its own passphrase (the default configuration sets the sticker one there).
# Survey check, not enforced: every charger must see this AP at -75 dBm or better (Zaptec app).
# The passphrase is not in this file (environment variable CHARGER_WIFI_PSK, render with --with-secrets to include it) cw-brf-solgarden-ap stays disabled until it is set:
#   /interface wifi security set [/interface wifi security find where name="cw-brf-solgarden-sec"] passphrase="..."
#   /interface wifi enable [/interface wifi find where name="cw-brf-solgarden-ap"]
:if ([:len [/interface wifi channel find where name="cw-brf-solgarden-ch"]] = 0) do={ /interface wifi channel add name="cw-brf-solgarden-ch" band=2ghz-n frequency=2437 width=20mhz comment="chargewall:brf-solgarden: charger Wi-Fi channel" } else={ /interface wifi channel set [/interface wifi channel find where name="cw-brf-solgarden-ch"] band=2ghz-n frequency=2437 width=20mhz comment="chargewall:brf-solgarden: charger Wi-Fi channel" }
:if ([:len [/interface wifi security find where name="cw-brf-solgarden-sec"]] = 0) do={ /interface wifi security add name="cw-brf-solgarden-sec" authentication-types=wpa2-psk encryption=ccmp ft=no ft-over-ds=no comment="chargewall:brf-solgarden: charger Wi-Fi security" } else={ /interface wifi security set [/interface wifi security find where name="cw-brf-solgarden-sec"] authentication-types=wpa2-psk encryption=ccmp ft=no ft-over-ds=no comment="chargewall:brf-solgarden: charger Wi-Fi security" }
:if ([:len [/interface wifi configuration find where name="cw-brf-solgarden-cfg"]] = 0) do={ /interface wifi configuration add name="cw-brf-solgarden-cfg" mode=ap ssid="BRF Solg\C3\A5rden Laddare" country="Sweden" channel="cw-brf-solgarden-ch" security="cw-brf-solgarden-sec" comment="chargewall:brf-solgarden: charger Wi-Fi" } else={ /interface wifi configuration set [/interface wifi configuration find where name="cw-brf-solgarden-cfg"] mode=ap ssid="BRF Solg\C3\A5rden Laddare" country="Sweden" channel="cw-brf-solgarden-ch" security="cw-brf-solgarden-sec" comment="chargewall:brf-solgarden: charger Wi-Fi" }
:put "chargewall: NOTE wifi2 now runs on channel 6 \282437 MHz, 20 MHz\29 - the office SSID on it moves there too"
/interface wifi set [/interface wifi find where name="wifi2"] channel.frequency=2437 channel.width=20mhz
:if ([:len [/interface wifi find where name="cw-brf-solgarden-ap"]] = 0) do={ /interface wifi add name="cw-brf-solgarden-ap" master-interface="wifi2" configuration="cw-brf-solgarden-cfg" disabled=yes comment="chargewall:brf-solgarden: charger Wi-Fi \28virtual AP\29" } else={ /interface wifi set [/interface wifi find where name="cw-brf-solgarden-ap"] master-interface="wifi2" configuration="cw-brf-solgarden-cfg" disabled=yes comment="chargewall:brf-solgarden: charger Wi-Fi \28virtual AP\29" }
/interface wifi unset [/interface wifi find where name="cw-brf-solgarden-ap"] value-name=security
/interface wifi unset [/interface wifi find where name="cw-brf-solgarden-ap"] value-name=channel
/interface wifi unset [/interface wifi find where name="cw-brf-solgarden-ap"] value-name=security.passphrase
/interface wifi set [/interface wifi find where name="cw-brf-solgarden-ap"] configuration="cw-brf-solgarden-cfg" configuration.mode=ap configuration.ssid="BRF Solg\C3\A5rden Laddare" security.authentication-types=wpa2-psk security.encryption=ccmp security.ft=no security.ft-over-ds=no
/interface wifi access-list remove [/interface wifi access-list find where comment~"^chargewall:brf-solgarden:"]
:if ([:len [/interface wifi security find where name="cw-brf-solgarden-sec" and passphrase=""]] = 0) do={ /interface wifi set [/interface wifi find where name="cw-brf-solgarden-ap"] disabled=no } else={ :put "chargewall: WARNING no Wi-Fi passphrase yet - cw-brf-solgarden-ap stays disabled\3B set it \28see STEPS.md\29, then enable cw-brf-solgarden-ap" }
:put "chargewall: TODO by hand: put cw-brf-solgarden-ap in VLAN 40 on bridge-chargers \28see the comments above\29, or chargers on Wi-Fi get no address"

# ---- Undo: paste these lines (without the leading "# ") to remove everything this script added,
# in fail-closed order (Wi-Fi and addressing first, the rules last).
# /interface wifi remove [/interface wifi find where name="cw-brf-solgarden-ap" and comment~"^chargewall:brf-solgarden:"]
# /interface wifi access-list remove [/interface wifi access-list find where comment~"^chargewall:brf-solgarden:"]
# /interface wifi configuration remove [/interface wifi configuration find where comment~"^chargewall:brf-solgarden:"]
# /interface wifi security remove [/interface wifi security find where comment~"^chargewall:brf-solgarden:"]
# /interface wifi channel remove [/interface wifi channel find where comment~"^chargewall:brf-solgarden:"]
# /ip dhcp-server remove [/ip dhcp-server find where name="cw-brf-solgarden-dhcp"]
# /ip dhcp-server lease remove [/ip dhcp-server lease find where comment~"^chargewall:brf-solgarden:"]
# /ip dhcp-server network remove [/ip dhcp-server network find where comment~"^chargewall:brf-solgarden:"]
# /ip address remove [/ip address find where comment~"^chargewall:brf-solgarden:"]
# /ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:brf-solgarden:"]
# :if ([:len [/interface list find where name="LAN"]] = 0) do={ /ip dns set allow-remote-requests=no }
# /ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:brf-solgarden:" and comment!="chargewall:brf-solgarden: router DNS/NTP only for the chargers and the LAN" and comment!="chargewall:brf-solgarden: router DNS only for the chargers and the LAN"]
# :if ([:len [/interface list find where name="LAN"]] = 0) do={ /ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:brf-solgarden:"] }
# /ipv6 firewall filter remove [/ipv6 firewall filter find where comment~"^chargewall:brf-solgarden:"]
# /ip firewall address-list remove [/ip firewall address-list find where comment~"^chargewall:brf-solgarden:" and dynamic=no]
# /ip dns static remove [/ip dns static find where comment~"^chargewall:brf-solgarden:"]
# /interface list member remove [/interface list member find where comment~"^chargewall:brf-solgarden:"]
# /ip pool remove [/ip pool find where name="cw-brf-solgarden-pool"]
# /interface list remove [/interface list find where name="cw-brf-solgarden"]
# /interface vlan remove [/interface vlan find where name="cw-brf-solgarden-vlan"]
# Then restore what the script changed but cannot know the earlier value of, from your /export:
#   /ip dns allow-remote-requests and address-list-extra-time: the values in your /export
#   With a LAN list, two input rules keep the router's DNS/NTP closed to everything but the LAN remove them once /ip dns (and NTP) are as in your /export
#     /ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:brf-solgarden:"]
#   wifi2: the channel it had (frequency and width in your /export)
#   DNS FWD entries with comment chargewall:fwd: are shared by the chargewall sites of this router when no site is left, remove them with
#     /ip dns static remove [/ip dns static find where comment~"^chargewall:fwd:"]
