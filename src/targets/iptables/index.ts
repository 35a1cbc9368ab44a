import type { Plan, ForwardRule } from '../../plan/types.js';
import { objectName } from '../../plan/names.js';
import type { Target } from '../types.js';
import { linuxSettings, type LinuxSettings } from '../linux/settings.js';
import { headerLines, linuxSets, sharedLinuxFiles } from '../linux/files.js';
import { ruleComment } from './escape.js';
import { ipsetConf, rulesV4, rulesV6 } from './emit.js';

/** iptables chain names hold 28 characters, ipset names 31. */
const CHAIN_MAX = 28;
const SET_MAX = 31;

export const iptablesTarget: Target<LinuxSettings> = {
  id: 'iptables',
  description: 'Linux router: iptables-restore rules (IPv6: ip6tables, default only), ipset sets filled by dnsmasq, dnsmasq DHCP/DNS, hostapd 2.4 GHz, apply.sh',
  settings: linuxSettings('iptables', 'Linux router with iptables, ipset, dnsmasq and hostapd.'),
  files: ['rules.v4', 'rules.v6', 'ipset.conf', 'dnsmasq.conf', 'hostapd.conf', 'apply.sh', 'chargewall-<site>.service', 'chargewall-<site>-dnsmasq.service', 'chargewall-<site>-hostapd.service', '10-chargewall-<site>-*.netdev', '10-chargewall-<site>-*.network', 'chargewall-<site>.interfaces'],
  placement: 'own chains, each reached by one jump that apply.sh inserts at the top of FORWARD, INPUT and PREROUTING (nat, for the redirects), matching the charger interface, and POSTROUTING (nat, masquerade: the charger subnet to the uplink), and at the top of ip6tables FORWARD for IPv6 on the charger interface; every other rule on the router stays as it is',
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

    // apply.sh jumps here for every packet entering the charger interface: a source outside the
    // charger subnet is no charger of this site (spoofed, or a stray device), and never passes.
    const fwd = [
      `-A ${chains.fwd} ! -s ${plan.network.subnet} -m comment --comment ${ruleComment(`chargewall ${id}: source outside the charger subnet`)} -j DROP`,
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
    // IPv6 has its own tables (ip6tables): the same chain names hold only the default, so a router that
    // routes IPv6 to the charger segment neither bypasses the IPv4 allow-list nor exposes the chargers.
    const fwd6 = [
      `-A ${chains.fwd} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `-A ${chains.fwd} -m comment --comment ${ruleComment(`chargewall ${id}: IPv6 ${drop ? 'default deny' : 'default allow'}`)} -j ${drop ? 'DROP' : 'ACCEPT'}`,
    ];
    const ret6 = [
      `-A ${chains.ret} -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT`,
      `-A ${chains.ret} -m comment --comment ${ruleComment(`chargewall ${id}: IPv6 no inbound connections to chargers`)} -j ${drop ? 'DROP' : 'RETURN'}`,
    ];

    const sets = linuxSets(plan, setName);
    const files: Record<string, string> = {};
    files['rules.v4'] = rulesV4({ header, chains, fwd, ret, input, dnat, snat });
    files['rules.v6'] = rulesV6({ header, chains, fwd6, ret6, drop });
    files['ipset.conf'] = ipsetConf({ header, sets });
    return {
      ...files,
      ...sharedLinuxFiles(plan, t, options, {
        target: 'iptables',
        tag,
        header,
        sets,
        setWord: 'ipsets',
        directive: (s) => ({ option: 'ipset', target: s.name }),
        loader: {
          chains,
          hasDnat: dnat.length > 0,
          status: [
            ...sets.map((s) => `ipset list ${s.name}`),
            ...[chains.fwd, chains.ret, chains.input].map((c) => `iptables -L ${c} -v -n -x`),
          ],
        },
      }),
    };
  },
};

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
