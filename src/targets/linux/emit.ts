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
