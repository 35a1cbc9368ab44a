import type { Plan, ForwardRule } from '../../plan/types.js';
import { objectName } from '../../plan/names.js';
import { isIPv4 } from '../../util/ipv4.js';
import { renderTemplate } from '../../render/templates.js';
import { passphraseFor, passphraseSource } from '../../render/secrets.js';
import type { Target } from '../types.js';
import { chunkJoin, commentText, hex, LINE_MAX, ruleComment } from './escape.js';

/** iptables chain names hold 28 characters, ipset names 31. */
const CHAIN_MAX = 28;
const SET_MAX = 31;

export const iptablesTarget: Target = {
  id: 'iptables',
  description: 'Linux router: iptables-restore rules, ipset sets filled by dnsmasq, dnsmasq DHCP/DNS, hostapd 2.4 GHz, apply.sh',
  files: ['rules.v4', 'ipset.conf', 'dnsmasq.conf', 'hostapd.conf', 'apply.sh'],
  placement: 'own chains, each reached by one jump that apply.sh inserts at the top of FORWARD, INPUT, PREROUTING (nat, for the redirects) and POSTROUTING (nat, masquerade), matching the charger interface or subnet; every other rule on the router stays as it is',
  capabilities: () => ({ resolverFilledSets: true, redirect: true, ntpServer: true }),
  render(plan, site, options) {
    const t = site.targets.iptables;
    const id = plan.site.id;
    const chains = {
      fwd: objectName('cw', id, 'fwd', CHAIN_MAX),
      ret: objectName('cw', id, 'ret', CHAIN_MAX),
      input: objectName('cw', id, 'in', CHAIN_MAX),
      dnat: objectName('cw', id, 'dnat', CHAIN_MAX),
      snat: objectName('cw', id, 'snat', CHAIN_MAX),
    };
    const setName = (group: string) => objectName('cw', id, group, SET_MAX);
    const tag = objectName('cw', id, '', 31);
    const header = headerLines(plan);
    const drop = plan.defaultAction === 'drop';

    const fwd = [
      `-A ${chains.fwd} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      ...plan.rules.flatMap((r) => forwardLines(chains.fwd, r, setName, id)),
      ...(plan.log && drop ? [`-A ${chains.fwd} -m limit --limit 10/min -j LOG --log-prefix "${tag.slice(0, 20)} drop: "`] : []),
      `-A ${chains.fwd} -m comment --comment ${ruleComment(`chargewall ${id}: ${drop ? 'default deny' : 'default allow'}`)} -j ${drop ? 'DROP' : 'ACCEPT'}`,
    ];
    const ret = [
      `-A ${chains.ret} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `-A ${chains.ret} -m comment --comment ${ruleComment(`chargewall ${id}: no inbound connections to chargers`)} -j ${drop ? 'DROP' : 'RETURN'}`,
    ];
    const input = [
      ...plan.routerRules.flatMap((r) =>
        r.protocols.map((p) => `-A ${chains.input} -p ${p} -m ${p} --dport ${r.ports.join(',')} -m comment --comment ${ruleComment(`chargewall ${id}: ${r.id}`)} -j ACCEPT`),
      ),
      `-A ${chains.input} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `-A ${chains.input} -m comment --comment ${ruleComment(`chargewall ${id}: chargers need nothing else on the router`)} -j ${drop ? 'DROP' : 'RETURN'}`,
    ];
    const dnat = plan.redirects.flatMap((r) =>
      r.protocols.map((p) => `-A ${chains.dnat} -p ${p} -m ${p} --dport ${r.port} -m comment --comment ${ruleComment(`chargewall ${id}: ${r.id} to the router`)} -j REDIRECT --to-ports ${r.port}`),
    );
    const snat = [`-A ${chains.snat} -m comment --comment ${ruleComment(`chargewall ${id}: masquerade`)} -j MASQUERADE`];

    const sets = plan.endpoints.map((e) => ({
      name: setName(e.id),
      labels: chunkJoin(e.hosts, ', ', 200).map((hosts, i) => commentText(i === 0 ? `${e.label}: ${hosts}` : `  ${hosts}`)),
      names: e.hosts.filter((h) => !isIPv4(h)),
      addresses: e.hosts.filter(isIPv4),
    }));

    const files: Record<string, string> = {};
    files['rules.v4'] = renderTemplate('iptables', 'rules.v4', { header, chains, fwd, ret, input, dnat, snat });
    files['ipset.conf'] = renderTemplate('iptables', 'ipset.conf', { header, sets });
    files['dnsmasq.conf'] = renderTemplate('iptables', 'dnsmasq.conf', {
      header,
      id,
      lan: t.lanInterface,
      tag,
      dhcp: plan.dhcp,
      netmask: plan.network.netmask,
      leases: plan.dhcp.staticLeases.map((l) => ({ mac: l.mac, ip: l.ip, host: l.hostname, name: commentText(l.name) })),
      // Several ipset= lines for one set add up (dnsmasq keeps every one); each stays under its line limit.
      ipsets: sets.filter((s) => s.names.length).flatMap((s) => chunkJoin(s.names, '/', LINE_MAX - s.name.length - 10).map((names) => `/${names}/${s.name}`)),
      ntp: plan.ntp,
      dns: plan.dns,
    });
    if (plan.wifi) {
      const passphrase = passphraseFor(plan.wifi, options);
      files['hostapd.conf'] = renderTemplate('iptables', 'hostapd.conf', {
        header,
        wifi: plan.wifi,
        wifiInterface: t.wifiInterface,
        lan: t.lanInterface,
        ssidHex: hex(plan.wifi.ssid),
        ssidText: commentText(plan.wifi.ssid),
        utf8: /[^\x00-\x7f]/.test(plan.wifi.ssid),
        passphrase,
        ...pskView(plan, id),
        pskSource: passphraseSource(plan.wifi),
      });
    }
    files['apply.sh'] = renderTemplate('iptables', 'apply.sh', {
      header,
      id,
      lan: t.lanInterface,
      wan: t.wanInterface,
      subnet: plan.network.subnet,
      gateway: plan.network.gateway,
      prefix: plan.network.prefix,
      chains,
      hasDnat: dnat.length > 0,
      tag,
      hasWifi: !!plan.wifi,
      wifi: plan.wifi && !passphraseFor(plan.wifi, options) ? pskView(plan, id) : undefined,
      ntpServer: plan.ntp.strategy === 'redirect',
    });
    return files;
  },
};

/** Where hostapd reads the passphrase when it is not in the file, and the variable apply.sh takes it from. */
function pskView(plan: Plan, id: string) {
  const env = plan.wifi?.passphrase.kind === 'env' ? plan.wifi.passphrase.name : 'CHARGER_WIFI_PSK';
  return { pskEnv: env, pskVar: `\${${env}:-}`, pskFile: `/etc/chargewall/${id}/hostapd.psk` };
}

/** `-m multiport` takes at most 15 ports (iptables-restore: "too many ports specified"). */
const MULTIPORT_MAX = 15;

function forwardLines(chain: string, r: ForwardRule, setName: (g: string) => string, id: string): string[] {
  // More ports than one multiport match holds: one rule per run of 15, in order (same set, same action).
  const chunks: number[][] = [];
  for (let i = 0; i < r.ports.length; i += MULTIPORT_MAX) chunks.push(r.ports.slice(i, i + MULTIPORT_MAX));
  return chunks.flatMap((ports) => {
    const port = (p: string) => (ports.length > 1 ? `-m multiport --dports ${ports.join(',')}` : `-m ${p} --dport ${ports[0]}`);
    const comment = `-m comment --comment ${ruleComment(`chargewall ${id}: ${r.id} ${r.protocols.join('/')} ${ports.join(',')}`)}`;
    return r.protocols.flatMap((p) => {
      switch (r.to.kind) {
        case 'group':
          return [`-A ${chain} -p ${p} ${port(p)} -m set --match-set ${setName(r.to.group)} dst ${comment} -j ACCEPT`];
        case 'any':
          return [`-A ${chain} -p ${p} ${port(p)} ${comment} -j ACCEPT`];
        case 'addresses':
          return r.to.addresses.map((a) => `-A ${chain} -d ${a}/32 -p ${p} ${port(p)} ${comment} -j ACCEPT`);
      }
    });
  });
}

/** The header every Linux file starts with (`#` comments; free text passes through commentText). */
function headerLines(plan: Plan): string[] {
  return [
    `Generated by chargewall ${plan.generator.version} from a site spec (sha256:${plan.specHash}). Do not edit: change the spec and render again.`,
    `Site: ${plan.site.id} (${commentText(plan.site.name)}), profile ${plan.profile.id}, ${plan.chargerCount} chargers on ${plan.network.subnet}${plan.network.vlan ? ` VLAN ${plan.network.vlan}` : ''}.`,
  ];
}
