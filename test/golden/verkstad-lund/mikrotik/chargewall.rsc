# chargewall 0.1.0: RouterOS 7 script for site verkstad-lund (Lund workshop garage)
# Profile zaptec-pro, 6 chargers on 192.168.50.0/24. Do not edit: change the spec and render again.
#
# Apply: upload this file and run  /import file-name=chargewall.rsc verbose=yes
# (RouterOS 7.16+: add dry-run to check it first), or paste it into a terminal.
# Safe to run again: every item it creates has a comment starting with "chargewall:verkstad-lund:".
# It removes those items before adding them again, creates named items (interface list, VLAN,
# pool, DHCP server, Wi-Fi profiles) only when missing, and leaves everything else alone.

# ---- Preflight: stop before any change when the router does not fit
:if ([:pick [/system resource get version] 0 1] != "7") do={ :error "chargewall: this script is for RouterOS 7 - set targets.mikrotik.routeros and render again" }
:if ([:len [/interface find where name="bridge-chargers"]] = 0) do={ :error "chargewall: interface bridge-chargers does not exist - create it or set targets.mikrotik.interface" }
:if ([:len [/interface find where name="wlan1"]] = 0) do={ :error "chargewall: Wi-Fi interface wlan1 does not exist - set targets.mikrotik.wifiInterface" }

# ---- Charger segment: bridge-chargers, interface list cw-verkstad-lund
:if ([:len [/interface list find where name="cw-verkstad-lund"]] = 0) do={ /interface list add name="cw-verkstad-lund" comment="chargewall:verkstad-lund: charger segment of Lund workshop garage" } else={ /interface list set [/interface list find where name="cw-verkstad-lund"] comment="chargewall:verkstad-lund: charger segment of Lund workshop garage" }
/interface list member remove [/interface list member find where comment~"^chargewall:verkstad-lund:"]
/interface list member add list="cw-verkstad-lund" interface="bridge-chargers" comment="chargewall:verkstad-lund: charger segment"

# ---- Address 192.168.50.1/24, pool 192.168.50.247-192.168.50.254 (8 for 6 chargers, 8 needed with headroom), DHCP, 0 static leases
# DHCP hands out the router as gateway and DNS.
/ip address remove [/ip address find where comment~"^chargewall:verkstad-lund:"]
:if ([:len [/ip address find where address="192.168.50.1/24"]] = 0) do={ /ip address add address=192.168.50.1/24 interface="bridge-chargers" comment="chargewall:verkstad-lund: gateway" } else={ :put "chargewall: address 192.168.50.1/24 exists already and was left alone" }
:if ([:len [/ip pool find where name="cw-verkstad-lund-pool"]] = 0) do={ /ip pool add name="cw-verkstad-lund-pool" ranges=192.168.50.247-192.168.50.254 comment="chargewall:verkstad-lund: 8 addresses for 6 chargers" } else={ /ip pool set [/ip pool find where name="cw-verkstad-lund-pool"] ranges=192.168.50.247-192.168.50.254 comment="chargewall:verkstad-lund: 8 addresses for 6 chargers" }
:if ([:len [/ip dhcp-server find where name="cw-verkstad-lund-dhcp"]] = 0) do={ /ip dhcp-server add name="cw-verkstad-lund-dhcp" interface="bridge-chargers" address-pool="cw-verkstad-lund-pool" lease-time=24h disabled=no comment="chargewall:verkstad-lund: chargers" } else={ /ip dhcp-server set [/ip dhcp-server find where name="cw-verkstad-lund-dhcp"] interface="bridge-chargers" address-pool="cw-verkstad-lund-pool" lease-time=24h disabled=no comment="chargewall:verkstad-lund: chargers" }
/ip dhcp-server network remove [/ip dhcp-server network find where comment~"^chargewall:verkstad-lund:"]
:if ([:len [/ip dhcp-server network find where address="192.168.50.0/24"]] = 0) do={ /ip dhcp-server network add address=192.168.50.0/24 gateway=192.168.50.1 dns-server=192.168.50.1 comment="chargewall:verkstad-lund: charger network" } else={ :put "chargewall: DHCP network 192.168.50.0/24 exists already and was left alone" }
/ip dhcp-server lease remove [/ip dhcp-server lease find where comment~"^chargewall:verkstad-lund:"]

# ---- Router DNS and NTP
# The router answers DNS for the chargers. The input rules below limit who may ask.
/ip dns set allow-remote-requests=yes

# ---- Cloud hosts: address lists
# One list per endpoint group, so each port opens only to its own hosts.
# Name entries: the router resolves each name itself and adds the addresses as dynamic entries.
# DNS FWD entries with address-list: every answer the router gives a charger adds exactly those addresses to the list
# (the DNS redirect makes the router see every charger lookup).
/ip firewall address-list remove [/ip firewall address-list find where comment~"^chargewall:verkstad-lund:" and dynamic=no]
/ip firewall address-list add list="cw-verkstad-lund-https" address="zapcloud-api.azurewebsites.net" comment="chargewall:verkstad-lund: https zapcloud-api.azurewebsites.net"
/ip firewall address-list add list="cw-verkstad-lund-https" address="devices.zaptec.com" comment="chargewall:verkstad-lund: https devices.zaptec.com"
/ip firewall address-list add list="cw-verkstad-lund-https" address="api.zaptec.com" comment="chargewall:verkstad-lund: https api.zaptec.com"
/ip firewall address-list add list="cw-verkstad-lund-mqtt" address="zapcloud.azure-devices.net" comment="chargewall:verkstad-lund: mqtt zapcloud.azure-devices.net"
/ip firewall address-list add list="cw-verkstad-lund-ntp" address="no.pool.ntp.org" comment="chargewall:verkstad-lund: ntp no.pool.ntp.org"
/ip dns static remove [/ip dns static find where comment~"^chargewall:verkstad-lund:"]
:if ([:len [/ip dns static find where name="zapcloud-api.azurewebsites.net"]] = 0) do={ /ip dns static add name="zapcloud-api.azurewebsites.net" type=FWD address-list="cw-verkstad-lund-https" comment="chargewall:verkstad-lund: https zapcloud-api.azurewebsites.net" } else={ :put "chargewall: DNS static entry for zapcloud-api.azurewebsites.net exists already and was left alone" }
:if ([:len [/ip dns static find where name="devices.zaptec.com"]] = 0) do={ /ip dns static add name="devices.zaptec.com" type=FWD address-list="cw-verkstad-lund-https" comment="chargewall:verkstad-lund: https devices.zaptec.com" } else={ :put "chargewall: DNS static entry for devices.zaptec.com exists already and was left alone" }
:if ([:len [/ip dns static find where name="api.zaptec.com"]] = 0) do={ /ip dns static add name="api.zaptec.com" type=FWD address-list="cw-verkstad-lund-https" comment="chargewall:verkstad-lund: https api.zaptec.com" } else={ :put "chargewall: DNS static entry for api.zaptec.com exists already and was left alone" }
:if ([:len [/ip dns static find where name="zapcloud.azure-devices.net"]] = 0) do={ /ip dns static add name="zapcloud.azure-devices.net" type=FWD address-list="cw-verkstad-lund-mqtt" comment="chargewall:verkstad-lund: mqtt zapcloud.azure-devices.net" } else={ :put "chargewall: DNS static entry for zapcloud.azure-devices.net exists already and was left alone" }
:if ([:len [/ip dns static find where name="no.pool.ntp.org"]] = 0) do={ /ip dns static add name="no.pool.ntp.org" type=FWD address-list="cw-verkstad-lund-ntp" comment="chargewall:verkstad-lund: ntp no.pool.ntp.org" } else={ :put "chargewall: DNS static entry for no.pool.ntp.org exists already and was left alone" }

# ---- Firewall: chain cw-verkstad-lund, one jump at the top of forward, router services in input
# The jump is added once, before the first forward rule, and kept on later runs (move it and it stays moved).
# Input accepts go before the default configuration rule drop all not coming from LAN when it exists, else at the end.
# Outbound NAT: the default configuration's masquerade (out-interface-list=WAN) covers the charger segment.
/ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:verkstad-lund:" and comment!="chargewall:verkstad-lund: jump to charger rules"]
/ip firewall filter add chain="cw-verkstad-lund" action=accept connection-state=established,related comment="chargewall:verkstad-lund: replies and long-lived connections"
/ip firewall filter add chain="cw-verkstad-lund" action=accept protocol=tcp dst-port=443 dst-address-list="cw-verkstad-lund-https" comment="chargewall:verkstad-lund: https tcp 443"
/ip firewall filter add chain="cw-verkstad-lund" action=accept protocol=tcp dst-port=8883 dst-address-list="cw-verkstad-lund-mqtt" comment="chargewall:verkstad-lund: mqtt tcp 8883"
/ip firewall filter add chain="cw-verkstad-lund" action=accept protocol=udp dst-port=123 dst-address-list="cw-verkstad-lund-ntp" comment="chargewall:verkstad-lund: ntp udp 123"
/ip firewall filter add chain="cw-verkstad-lund" action=drop comment="chargewall:verkstad-lund: default deny"
:if ([:len [/ip firewall filter find where comment="chargewall:verkstad-lund: jump to charger rules"]] = 0) do={ :if ([:len [/ip firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ip firewall filter add chain=forward action=jump jump-target="cw-verkstad-lund" in-interface-list="cw-verkstad-lund" comment="chargewall:verkstad-lund: jump to charger rules" } else={ /ip firewall filter add chain=forward action=jump jump-target="cw-verkstad-lund" in-interface-list="cw-verkstad-lund" comment="chargewall:verkstad-lund: jump to charger rules" place-before=[:pick [/ip firewall filter find where chain="forward" and dynamic=no] 0] } }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=accept protocol=udp dst-port=67 comment="chargewall:verkstad-lund: dhcp udp 67 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=accept protocol=udp dst-port=67 comment="chargewall:verkstad-lund: dhcp udp 67 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=accept protocol=udp dst-port=53 comment="chargewall:verkstad-lund: dns udp 53 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=accept protocol=udp dst-port=53 comment="chargewall:verkstad-lund: dns udp 53 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=accept protocol=tcp dst-port=53 comment="chargewall:verkstad-lund: dns tcp 53 to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=accept protocol=tcp dst-port=53 comment="chargewall:verkstad-lund: dns tcp 53 to the router" }
:if ([:len [/ip firewall filter find where comment="defconf: drop all not coming from LAN"]] = 1) do={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=drop comment="chargewall:verkstad-lund: nothing else to the router" place-before=[/ip firewall filter find where comment="defconf: drop all not coming from LAN"] } else={ /ip firewall filter add chain=input in-interface-list="cw-verkstad-lund" action=drop comment="chargewall:verkstad-lund: nothing else to the router" }

# ---- NAT: DNS and NTP from the chargers to the router
# dns: every DNS query from the chargers is answered by the router, including the fallback 8.8.8.8/1.1.1.1: the router sees every answer and fills the allow-sets exactly.
/ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:verkstad-lund:"]
/ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-verkstad-lund" protocol=udp dst-port=53 to-ports=53 comment="chargewall:verkstad-lund: dns udp 53 to the router"
/ip firewall nat add chain=dstnat action=redirect in-interface-list="cw-verkstad-lund" protocol=tcp dst-port=53 to-ports=53 comment="chargewall:verkstad-lund: dns tcp 53 to the router"

# ---- Wi-Fi (wifi): wlan1, 2.4 GHz b/g/n, channel 1 (2412 MHz), 20 MHz, WPA2-PSK, country SE
# Interface-level settings override the profiles: the script unsets the ones it manages on the radio.
# The passphrase is not in this file (environment variable CHARGER_WIFI_PSK, render with --with-secrets to include it). Set it once:
#   /interface wifi security set [/interface wifi security find where name="cw-verkstad-lund-sec"] passphrase="..."
# When bridge-chargers is a bridge and wlan1 is in no bridge yet, the radio becomes a port of it.
# Survey check, not enforced: every charger must see this AP at -75 dBm or better (Zaptec app).
:if ([:len [/interface wifi channel find where name="cw-verkstad-lund-ch"]] = 0) do={ /interface wifi channel add name="cw-verkstad-lund-ch" band=2ghz-n frequency=2412 width=20mhz comment="chargewall:verkstad-lund: charger Wi-Fi channel" } else={ /interface wifi channel set [/interface wifi channel find where name="cw-verkstad-lund-ch"] band=2ghz-n frequency=2412 width=20mhz comment="chargewall:verkstad-lund: charger Wi-Fi channel" }
:if ([:len [/interface wifi security find where name="cw-verkstad-lund-sec"]] = 0) do={ /interface wifi security add name="cw-verkstad-lund-sec" authentication-types=wpa2-psk encryption=ccmp comment="chargewall:verkstad-lund: charger Wi-Fi security" } else={ /interface wifi security set [/interface wifi security find where name="cw-verkstad-lund-sec"] authentication-types=wpa2-psk encryption=ccmp comment="chargewall:verkstad-lund: charger Wi-Fi security" }
:if ([:len [/interface wifi configuration find where name="cw-verkstad-lund-cfg"]] = 0) do={ /interface wifi configuration add name="cw-verkstad-lund-cfg" mode=ap ssid="Zaptec Chargers" country="Sweden" channel="cw-verkstad-lund-ch" security="cw-verkstad-lund-sec" comment="chargewall:verkstad-lund: charger Wi-Fi" } else={ /interface wifi configuration set [/interface wifi configuration find where name="cw-verkstad-lund-cfg"] mode=ap ssid="Zaptec Chargers" country="Sweden" channel="cw-verkstad-lund-ch" security="cw-verkstad-lund-sec" comment="chargewall:verkstad-lund: charger Wi-Fi" }
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=configuration.ssid
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=configuration.country
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=configuration.mode
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=channel.band
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=channel.frequency
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=channel.width
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=security.authentication-types
/interface wifi unset [/interface wifi find where name="wlan1"] value-name=security.encryption
/interface wifi set [/interface wifi find where name="wlan1"] configuration="cw-verkstad-lund-cfg" disabled=no
:if ([:len [/interface bridge find where name="bridge-chargers"]] = 1) do={ :if ([:len [/interface bridge port find where interface="wlan1"]] = 0) do={ /interface bridge port add bridge="bridge-chargers" interface="wlan1" comment="chargewall:verkstad-lund: charger Wi-Fi" } }

# ---- Undo: paste these lines (without the leading "# ") to remove everything this script added.
# The Wi-Fi profiles it created stay until you point the radio elsewhere and remove them by name.
# /ip firewall filter remove [/ip firewall filter find where comment~"^chargewall:verkstad-lund:"]
# /ip firewall nat remove [/ip firewall nat find where comment~"^chargewall:verkstad-lund:"]
# /ip dns static remove [/ip dns static find where comment~"^chargewall:verkstad-lund:"]
# /ip dhcp-server lease remove [/ip dhcp-server lease find where comment~"^chargewall:verkstad-lund:"]
# /ip dhcp-server network remove [/ip dhcp-server network find where comment~"^chargewall:verkstad-lund:"]
# /ip address remove [/ip address find where comment~"^chargewall:verkstad-lund:"]
# /interface list member remove [/interface list member find where comment~"^chargewall:verkstad-lund:"]
# /ip firewall address-list remove [/ip firewall address-list find where comment~"^chargewall:verkstad-lund:" and dynamic=no]
# /interface bridge port remove [/interface bridge port find where comment~"^chargewall:verkstad-lund:"]
# /ip dhcp-server remove [/ip dhcp-server find where name="cw-verkstad-lund-dhcp"]
# /ip pool remove [/ip pool find where name="cw-verkstad-lund-pool"]
# /interface list remove [/interface list find where name="cw-verkstad-lund"]
