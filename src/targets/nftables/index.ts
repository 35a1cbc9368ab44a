import type { ForwardRule } from '../../plan/types.js';
import { objectName } from '../../plan/names.js';
import type { Target } from '../types.js';
import { linuxSettings, type LinuxSettings } from '../linux/settings.js';
import { headerLines, linuxSets, sharedLinuxFiles, type LinuxSet } from '../linux/files.js';
import { nftComment, nftInterface } from './escape.js';
import { chargewallNft } from './emit.js';

/**
 * Linux with nftables: one table of its own (`inet cw-<site>`), whose base chains sit just before the
 * usual filter priority. Sets are filled by dnsmasq (`nftset=`) from its answers to the chargers, like
 * the iptables target's ipsets; dnsmasq.conf, hostapd.conf and apply.sh are the shared Linux files.
 *
 * Compatibility: a router keeps the table between loads (flush, not delete), so a later version
 * must not change a set's type or flags or a base chain's hook or priority: `nft -f` then fails
 * with "File exists" / "Operation not supported" on every router that has the old table (checked
 * with nft 1.0.6). Such a change needs new names, or a `delete table` step and a note on the
 * addresses it forgets. A set's timeout, the rules and new sets or chains are free to change.
 */
export const nftablesTarget: Target<LinuxSettings> = {
  id: 'nftables',
  description: 'Linux router: one nftables table (nft -f) with sets filled by dnsmasq, dnsmasq DHCP/DNS, hostapd 2.4 GHz, apply.sh',
  settings: linuxSettings('nftables', 'Linux router with nftables (its own table), dnsmasq and hostapd.'),
  files: ['chargewall.nft', 'dnsmasq.conf', 'hostapd.conf', 'apply.sh', 'chargewall-<site>.service', 'chargewall-<site>-dnsmasq.service', 'chargewall-<site>-hostapd.service', '10-chargewall-<site>-*.netdev', '10-chargewall-<site>-*.network', 'chargewall-<site>.interfaces'],
  placement:
    'an nftables table of its own, whose forward and input chains run just before the usual filter priority and match the charger interface; its drops are final, but its accepts do not override a drop in another table, so a ruleset with a drop policy must also let the charger interface through',
  capabilities: () => ({ resolverFilledSets: true, redirect: true, ntpServer: true }),
  render(plan, site, options) {
    const t = site.targets.nftables;
    const id = plan.site.id;
    const table = objectName('cw', id, '', 64);
    const header = headerLines(plan);
    const drop = plan.defaultAction === 'drop';
    // `allow-` keeps a group id from ever reading as an nft keyword (a set named `counter` would not parse).
    const sets = linuxSets(plan, (group) => `allow-${group}`);
    const lan = nftInterface(t.lanInterface);
    const note = (text: string) => nftComment(`chargewall ${id}: ${text}`);

    // The forward chain jumps here for every packet entering the charger interface: a source outside
    // the charger subnet is no charger of this site (spoofed, or a stray device), and never passes.
    const out = [
      `ip saddr != ${plan.network.subnet} counter drop ${note('source outside the charger subnet')}`,
      'ct state established,related accept',
      ...plan.rules.flatMap((r) => forwardLines(r, sets, note)),
      ...(plan.log && drop ? [`limit rate 10/minute log prefix "${table.slice(0, 20)} drop: "`] : []),
      // Counters on the last rule of each chain: `nft list chain` shows what the chargers were denied.
      `counter ${drop ? 'drop' : 'accept'} ${note(drop ? 'default deny' : 'default allow')}`,
    ];
    const into = ['ct state established,related accept', `counter ${drop ? 'drop' : 'return'} ${note('no inbound connections to chargers')}`];
    const router = [
      ...plan.routerRules.flatMap((r) => r.protocols.map((p) => `${p} dport ${portList(r.ports)} accept ${note(r.id)}`)),
      'ct state established,related accept',
      `counter ${drop ? 'drop' : 'return'} ${note('chargers need nothing else on the router')}`,
    ];
    const dnat = plan.redirects.flatMap((r) =>
      r.protocols.map((p) => `iifname ${lan} ${p} dport ${r.port} redirect to :${r.port} ${note(`${r.id} to the router`)}`),
    );

    const nft = chargewallNft({
      header,
      table,
      sets: sets.filter((s) => s.names.length),
      lanQuoted: lan,
      wanQuoted: nftInterface(t.wanInterface),
      subnet: plan.network.subnet,
      out,
      in: into,
      router,
      dnat,
      ntpRedirect: plan.ntp.strategy === 'redirect',
      masqComment: note('masquerade'),
    });
    return {
      'chargewall.nft': nft,
      ...sharedLinuxFiles(plan, t, options, {
        target: 'nftables',
        tag: table,
        header,
        sets,
        setWord: 'nft sets',
        directive: (s) => ({ option: 'nftset', target: `4#inet#${table}#${s.name}` }),
        loader: {
          nft: { table },
          status: [
            ...sets.filter((s) => s.names.length).map((s) => `nft list set inet ${table} ${s.name}`),
            ...['chargers-out', 'chargers-in', 'chargers-router'].map((c) => `nft list chain inet ${table} ${c}`),
          ],
        },
      }),
    };
  },
};

/** One port, or an anonymous set of ports (nft sets have no 15-port limit, unlike iptables multiport). */
const portList = (ports: number[]) => (ports.length === 1 ? `${ports[0]}` : `{ ${ports.join(', ')} }`);

function forwardLines(r: ForwardRule, sets: LinuxSet[], note: (text: string) => string): string[] {
  const comment = note(`${r.id} ${r.protocols.join('/')} ${r.ports.join(',')}`);
  const to = r.to;
  return r.protocols.flatMap((p) => {
    const port = `${p} dport ${portList(r.ports)}`;
    switch (to.kind) {
      case 'group': {
        const set = sets.find((s) => s.group === to.group);
        if (!set) throw new Error(`internal: no set for endpoint group ${to.group}`);
        // Literal addresses in a group are permanent: they go in the rule, not in the set whose entries expire.
        return [
          ...(set.names.length ? [`ip daddr @${set.name} ${port} accept ${comment}`] : []),
          ...(set.addresses.length ? [`ip daddr { ${set.addresses.join(', ')} } ${port} accept ${comment}`] : []),
        ];
      }
      case 'any':
        // "Any address" is any IPv4 address: IPv6 from the chargers meets the default like everything else.
        return [`meta nfproto ipv4 ${port} accept ${comment}`];
      case 'addresses':
        return [`ip daddr { ${to.addresses.join(', ')} } ${port} accept ${comment}`];
    }
  });
}
