import type { EndpointGroup, ForwardRule, Plan } from '../../plan/types.js';
import { objectName } from '../../plan/names.js';
import { isIPv4 } from '../../util/ipv4.js';
import { sha256Hex } from '../../util/sha256.js';
import { chargewallRsc } from './emit.js';
import { mikrotikSteps, type WifiSteps } from './steps.js';
import { passphraseFor, passphraseSource } from '../../render/secrets.js';
import type { Site } from '../../spec/types.js';
import { refusalError, type RenderOptions, type Target } from '../types.js';
import { routerosCountry } from './countries.js';
import { mikrotikCheck, mikrotikSettings, type MikrotikSettings } from './contract.js';
import { bare, commentText, lit, mdText, rx, str, versionAtLeast } from './escape.js';
import { checkSyntax } from './script.js';

/** Interface names stay short enough for every RouterOS version; other names get more room. */
const IFACE_MAX = 31;
const NAME_MAX = 48;
/** Comment of the DNS FWD entries: shared by every chargewall site on the router, so no site's tag. */
const FWD_TAG = 'chargewall:fwd:';
/** The address list a group's FWD entries fill: named from the group and its hosts, so sites with the same hosts share it. */
export function fwdList(g: EndpointGroup): string {
  return objectName('cw-fwd', g.id, sha256Hex([...g.hosts].sort().join(',')).slice(0, 6), NAME_MAX);
}

/**
 * Versions per feature (RouterOS manuals and changelogs; docs/routers/mikrotik.md lists the sources):
 * DNS names in address lists 6.36; `/interface wifi` 7.13 (the menu was `wifiwave2` up to 7.12);
 * a static DNS FWD entry without `forward-to` is documented from 7.17 (`address-list=` on it from 7.5).
 */
export const FEATURE_VERSIONS = { v6Names: [6, 36], wifi: [7, 13], fwd: [7, 17] } as const;

interface Section {
  title: string;
  notes: string[];
  lines: string[];
}

type Report = (code: string, message: string, path: string[], severity?: 'error' | 'warning') => void;

export const mikrotikTarget: Target<MikrotikSettings> = {
  id: 'mikrotik',
  settings: mikrotikSettings,
  check: mikrotikCheck,
  description: 'MikroTik RouterOS 6/7: chargewall.rsc (/import in Safe Mode) with a preflight, fail-closed order and make-before-break re-apply; STEPS.md',
  files: ['chargewall.rsc', 'STEPS.md'],
  placement:
    'two jumps at the top of forward (traffic from and to the charger segment) into a chain chargewall owns, built complete before the jumps switch to it; the router-service rules at the top of input; every other rule stays as it is',
  // v7: DNS FWD entries with address-list fill the lists from the router's own answers; v6 has no such thing,
  // so NTP `auto` becomes a redirect to the router's NTP server (v6 needs the ntp package for that).
  capabilities: (site) => ({ resolverFilledSets: site.targets.mikrotik.routeros === 7, redirect: true, ntpServer: true }),
  render(plan, site, options) {
    const t = site.targets.mikrotik;
    const v = t.routeros;
    const id = plan.site.id;
    const tag = `chargewall:${id}:`;
    const tagRe = lit(`^${tag}`);
    const cm = (what: string) => str(`${tag} ${what}`);
    const report: Report = (code, message, path, severity = 'warning') => options.report?.({ severity, code, message, path });
    const at = (key: string) => ['targets', 'mikrotik', key];
    const names = {
      list: objectName('cw', id, '', IFACE_MAX),
      vlan: objectName('cw', id, 'vlan', IFACE_MAX),
      ap: objectName('cw', id, 'ap', IFACE_MAX),
      pool: objectName('cw', id, 'pool', NAME_MAX),
      dhcp: objectName('cw', id, 'dhcp', NAME_MAX),
      sec: objectName('cw', id, 'sec', NAME_MAX),
      ch: objectName('cw', id, 'ch', NAME_MAX),
      cfg: objectName('cw', id, 'cfg', NAME_MAX),
      addrList: (group: string) => objectName('cw', id, group, NAME_MAX),
    };
    const vlan = plan.network.vlan;
    const segment = vlan !== undefined ? names.vlan : t.interface;
    const drop = plan.defaultAction === 'drop';
    const wifiDialect = plan.wifi ? t.wifi : 'none';
    const sections: Section[] = [];
    const removeTagged = (path: string, extra = '') => `${path} remove [${path} find where comment~${tagRe}${extra}]`;
    const ensure = (path: string, name: string, props: string) => {
      const find = `[${path} find where name=${lit(name)}]`;
      return `:if ([:len ${find}] = 0) do={ ${path} add name=${lit(name)} ${props} } else={ ${path} set ${find} ${props} }`;
    };
    const addIfMissing = (find: string, add: string, what: string) =>
      `:if ([:len [${find}]] = 0) do={ ${add} } else={ :put ${str(`chargewall: ${what} exists already and was left alone`)} }`;
    const version = '([/system resource get version] . " ")';
    const needVersion = (major: number, minor: number, why: string) =>
      `:if (${version} ~ ${rx(versionAtLeast(major, minor))}) do={} else={ :error ${str(`chargewall: ${why} needs RouterOS ${major}.${minor} or newer - upgrade RouterOS (System > Packages) and import again`)} }`;
    const ifVersion = (major: number, minor: number, then: string, otherwise?: string) =>
      `:if (${version} ~ ${rx(versionAtLeast(major, minor))}) do={ ${then} }${otherwise ? ` else={ ${otherwise} }` : ''}`;
    const stale = str(`${tag} stale`);
    const countTagged = (path: string, where: string) => `[:len [${path} find where ${where} and comment~${tagRe}]]`;

    // ---- Preflight: every check that could stop the import half-way runs before the first change.
    const pre: string[] = [
      `:if (${version} ~ ${rx(`^${v}[.]`)}) do={} else={ :error ${str(`chargewall: this script is for RouterOS ${v} - set targets.mikrotik.routeros and render again`)} }`,
    ];
    const preNotes: string[] = [];
    if (v === 6) pre.push(needVersion(...FEATURE_VERSIONS.v6Names, 'host names in firewall address lists'));
    if (wifiDialect === 'wifi') pre.push(needVersion(...FEATURE_VERSIONS.wifi, 'the /interface wifi menu (before 7.13: set targets.mikrotik.wifi to wifiwave2)'));
    if (wifiDialect === 'wifiwave2') {
      pre.push(
        `:if (${version} ~ ${rx(versionAtLeast(...FEATURE_VERSIONS.wifi))}) do={ :error ${str('chargewall: RouterOS 7.13 and newer have /interface wifi instead of wifiwave2 - set targets.mikrotik.wifi to wifi and render again')} }`,
      );
    }
    const iface = lit(t.interface);
    pre.push(
      `:if ([:len [/interface find where name=${iface}]] = 0) do={ :error ${str(`chargewall: interface ${t.interface} does not exist - create it or set targets.mikrotik.interface`)} }`,
      // A VLAN or an address on a bridge port never sees traffic: the bridge takes the frames (Bridging manual).
      `:if ([:len [/interface bridge port find where interface=${iface}]] > 0) do={ :error ${str(`chargewall: ${t.interface} is a port of a bridge - a VLAN or address on a bridge port gets no traffic; set targets.mikrotik.interface to the bridge`)} }`,
      // The admin's LAN: addressing, DHCP and the input drop there would cut off Winbox/SSH.
      `:if ([:len [/interface list member find where list="LAN" and interface=${iface}]] > 0) do={ :error ${str(`chargewall: ${t.interface} is in the interface list LAN - it is the office network, not a charger segment; create a separate bridge for the chargers`)} }`,
      `:if ([:len [/ip address find where interface=${iface}]] > ${countTagged('/ip address', `interface=${iface}`)}) do={ :error ${str(`chargewall: ${t.interface} carries addresses chargewall did not add - it is in use; give the chargers their own bridge`)} }`,
      `:if ([:len [/ip dhcp-server find where interface=${iface} and name!=${lit(names.dhcp)}]] > 0) do={ :error ${str(`chargewall: ${t.interface} already has a DHCP server - it is in use; give the chargers their own bridge`)} }`,
    );
    if (vlan !== undefined) {
      // With VLAN filtering the bridge itself must be a tagged member of the VLAN, or the VLAN interface gets nothing.
      pre.push(
        `:if ([:len [/interface bridge find where name=${iface} and vlan-filtering=yes]] > 0) do={ :if ([:len [/interface bridge vlan find where bridge=${iface} and vlan-ids=${bare(vlan)} and tagged~${lit(t.interface)}]] = 0) do={ :error ${str(`chargewall: ${t.interface} filters VLANs and is not a tagged member of VLAN ${vlan} - add /interface bridge vlan bridge=${t.interface} tagged=${t.interface} vlan-ids=${vlan} (and the charger ports), then import again`)} } }`,
      );
    }
    const wifi = plan.wifi && wifiDialect !== 'none' ? wifiPlanFor(plan, site, wifiDialect, names, options) : undefined;
    if (wifi) pre.push(...wifi.preflight(lit, tag));
    if (v === 6 && plan.ntp.strategy === 'redirect') {
      pre.push(`:if ([:len [/system package find where name="ntp" and disabled=no]] = 0) do={ :error ${str('chargewall: RouterOS 6 answers NTP only with the ntp package - install and enable it in System Packages, reboot, then import again')} }`);
    }
    // What the script relies on and cannot set up itself: said on the terminal at import time.
    pre.push(
      `:if ([:len [/ip firewall nat find where chain="srcnat" and action=masquerade]] = 0) do={ :put ${str('chargewall: WARNING no masquerade rule in srcnat - the chargers reach the internet only if the router NATs them some other way')} }`,
      `:if (([:len [/ip dns get servers]] + [:len [/ip dns get dynamic-servers]]) = 0) do={ :put ${str('chargewall: WARNING the router has no DNS servers - it answers the chargers lookups only once /ip dns has servers')} }`,
    );
    // Not render warnings: every render would carry them (the render cannot see the router), so
    // --strict would fail on every MikroTik site. The script says it at import time, and STEPS.md lists them.
    preNotes.push(
      'Nothing before the first change: RouterOS version per feature, the interface (exists, not a bridge port, not the LAN, no foreign address or DHCP server),',
      'VLAN filtering, the radio (2.4 GHz, bridge membership, virtual AP master running). Warnings only: masquerade and DNS servers.',
    );
    sections.push({ title: 'Preflight: stop before any change when the router does not fit', notes: preNotes, lines: pre });

    // ---- Charger segment and interface list: make before break (a member is added before an old one goes).
    const seg: string[] = [];
    if (vlan !== undefined) {
      seg.push(ensure('/interface vlan', names.vlan, `interface=${iface} vlan-id=${bare(vlan)} comment=${cm(`charger VLAN ${vlan}`)}`));
    }
    const memberFind = `/interface list member find where list=${lit(names.list)} and interface=${lit(segment)}`;
    seg.push(
      ensure('/interface list', names.list, `comment=${cm(`charger segment of ${plan.site.name}`)}`),
      `:if ([:len [${memberFind}]] = 0) do={ /interface list member add list=${lit(names.list)} interface=${lit(segment)} comment=${cm('charger segment')} }`,
      `/interface list member remove [/interface list member find where comment~${tagRe} and interface!=${lit(segment)}]`,
    );
    sections.push({
      title: `Charger segment: ${vlan !== undefined ? `VLAN ${vlan} on ${t.interface} (${names.vlan})` : t.interface}, interface list ${names.list}`,
      notes: [],
      lines: seg,
    });

    // ---- Address lists (and v7 DNS FWD entries): refreshed in place, stale entries removed last.
    const groups = plan.endpoints;
    const lists: string[] = [`/ip firewall address-list set [/ip firewall address-list find where comment~${tagRe} and dynamic=no] comment=${stale}`];
    for (const g of groups) {
      for (const h of g.hosts) {
        const find = `/ip firewall address-list find where list=${lit(names.addrList(g.id))} and address=${isIPv4(h) ? lit(h) : str(h)} and dynamic=no`;
        const comment = cm(`${g.id} ${h}`);
        lists.push(`:if ([:len [${find}]] = 0) do={ /ip firewall address-list add list=${lit(names.addrList(g.id))} address=${isIPv4(h) ? bare(h) : str(h)} comment=${comment} } else={ /ip firewall address-list set [${find}] comment=${comment} }`);
      }
    }
    lists.push(`/ip firewall address-list remove [/ip firewall address-list find where comment=${stale} and dynamic=no]`);
    const listNotes = [
      'One list per endpoint group, so each port opens only to its own hosts.',
      'Name entries: the router resolves each name itself and adds the addresses as dynamic entries.',
    ];
    if (v === 7) {
      const fwdHosts = groups.flatMap((g) => g.hosts.filter((x) => !isIPv4(x)).map((h) => ({ g, h })));
      const [fm, fn] = FEATURE_VERSIONS.fwd;
      if (fwdHosts.length) {
        // Entries of this site from before the lists were shared.
        lists.push(removeTagged('/ip dns static'));
        for (const { g, h } of fwdHosts) {
          const list = lit(fwdList(g));
          const find = `/ip dns static find where name=${str(h)} and type=FWD and address-list=${list}`;
          lists.push(
            ifVersion(
              fm,
              fn,
              `:if ([:len [${find}]] = 0) do={ ${addIfMissing(`/ip dns static find where name=${str(h)}`, `/ip dns static add name=${str(h)} type=FWD address-list=${list} comment=${str(`${FWD_TAG} ${g.id} ${h}`)}`, `DNS static entry for ${safeWord(h)}`)} }`,
            ),
          );
        }
        lists.push(
          ifVersion(fm, fn, '/ip dns set address-list-extra-time=1h', `:put ${str(`chargewall: RouterOS before ${fm}.${fn}: no DNS FWD entries - the lists fill from the router's own lookups of the names only`)}`),
        );
        if (wifiDialect === 'wifiwave2') {
          report('mikrotik-fwd-needs-7.17', `RouterOS with wifiwave2 is 7.12 or older: DNS FWD entries without forward-to are documented from ${fm}.${fn}, so the address lists fill only from the router's own lookups of the names (CDN names can miss addresses)`, at('wifi'));
        }
      }
      if (plan.dns.strategy === 'redirect') {
        listNotes.push(
          `RouterOS ${fm}.${fn}+: DNS FWD entries with address-list add exactly the addresses the router answers a charger`,
          '(the DNS redirect makes the router see every charger lookup). address-list-extra-time keeps them 1h past the TTL.',
          `The FWD entries and their lists (cw-fwd-<group>-<hash of its hosts>) are shared by every chargewall site on this router with the same hosts:`,
          `one entry per name can feed only one list, so each site's chain accepts that shared list too. Their comment starts "${FWD_TAG}", not a site's tag.`,
        );
      } else {
        listNotes.push(`RouterOS ${fm}.${fn}+: DNS FWD entries add the addresses the router answers; chargers that ask another resolver are not seen.`);
      }
    }
    sections.push({ title: 'Cloud hosts: address lists', notes: listNotes, lines: lists });

    // ---- Firewall filter: a chain named from its own content, built complete before any jump points at it.
    const chainBody: string[] = [
      `action=accept connection-state=established,related comment=${cm('replies and long-lived connections')}`,
      `action=drop out-interface-list=${lit(names.list)} comment=${cm('no new connections into the charger segment')}`,
    ];
    chainBody.push(...plan.rules.flatMap((r) => forwardRules(r, names.addrList, cm, plan.endpoints, v === 7 ? fwdList : undefined)));
    if (drop) {
      if (plan.log) {
        chainBody.push(`action=log limit=${v === 7 ? '10/1m,5:packet' : '10/1m,5'} log-prefix=${lit(objectName('cw', id, '', 20))} comment=${cm('log dropped (rate limited)')}`);
      }
      chainBody.push(`action=drop comment=${cm('default deny')}`);
    } else {
      chainBody.push(`action=return comment=${cm('default: back to the forward chain (defaultDeny false)')}`);
    }
    const chain = objectName('cw', id, sha256Hex(chainBody.join('\n')).slice(0, 6), NAME_MAX);
    const jumpTo = `[:len [/ip firewall filter find where action=jump and jump-target=${lit(chain)}]]`;
    const fw: string[] = [
      `:if (${jumpTo} = 0) do={ /ip firewall filter remove [/ip firewall filter find where chain=${lit(chain)} and comment~${tagRe}] }`,
      ...chainBody.map((b) => `:if (${jumpTo} = 0) do={ /ip firewall filter add chain=${lit(chain)} ${b} }`),
    ];
    const firstForward = '[:pick [/ip firewall filter find where chain="forward" and dynamic=no] 0]';
    const jumpComments = [`${tag} jump for traffic from the chargers`, `${tag} jump for traffic to the chargers`];
    for (const [dir, comment] of [['in', jumpComments[0]], ['out', jumpComments[1]]] as const) {
      const props = `chain=forward action=jump jump-target=${lit(chain)} ${dir}-interface-list=${lit(names.list)} comment=${lit(comment)}`;
      const find = `[/ip firewall filter find where comment=${lit(comment)}]`;
      fw.push(
        `:if ([:len ${find}] = 0) do={ :if ([:len [/ip firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ip firewall filter add ${props} } else={ /ip firewall filter add ${props} place-before=${firstForward} } } else={ /ip firewall filter set ${find} jump-target=${lit(chain)} }`,
      );
    }
    fw.push(
      `/ip firewall filter remove [/ip firewall filter find where comment~${tagRe} and chain="forward" and comment!=${lit(jumpComments[0])} and comment!=${lit(jumpComments[1])}]`,
      `/ip firewall filter remove [/ip firewall filter find where comment~${tagRe} and chain!=${lit(chain)} and chain!="forward" and chain!="input"]`,
    );
    // IPv6: the chargers get no IPv6 service here; nothing from or to the charger segment is forwarded.
    const firstV6 = '[:pick [/ipv6 firewall filter find where chain="forward" and dynamic=no] 0]';
    for (const [dir, what] of [['in', 'from'], ['out', 'to']] as const) {
      const comment = `${tag} no IPv6 ${what} the chargers`;
      const props = `chain=forward action=drop ${dir}-interface-list=${lit(names.list)} comment=${lit(comment)}`;
      const add = `:if ([:len [/ipv6 firewall filter find where comment=${lit(comment)}]] = 0) do={ :if ([:len [/ipv6 firewall filter find where chain="forward" and dynamic=no]] = 0) do={ /ipv6 firewall filter add ${props} } else={ /ipv6 firewall filter add ${props} place-before=${firstV6} } }`;
      // RouterOS 6 has IPv6 in a package of its own that may be disabled.
      fw.push(v === 6 ? `:if ([:len [/system package find where name="ipv6" and disabled=no]] > 0) do={ ${add} }` : add);
    }
    sections.push({
      title: `Firewall: chain ${chain}, jumps at the top of forward`,
      notes: [
        'The chain name carries a hash of its rules: a changed spec builds a new chain next to the old one, the jumps switch to it',
        'only once it is complete, then the old chain goes. An unchanged chain that a jump uses is left as it is.',
        'The jumps are added once, before the first forward rule (the default configuration\'s fasttrack), and kept on later runs.',
        'IPv6 from and to the charger segment is dropped at the top of the IPv6 forward chain.',
      ],
      lines: fw,
    });

    // ---- Input: router services for the chargers, nothing else; DNS/NTP of the router closed to everything but the chargers and LAN.
    const inputBodies: string[] = [];
    for (const r of plan.routerRules) {
      for (const p of r.protocols) inputBodies.push(`action=accept in-interface-list=${lit(names.list)} protocol=${p} dst-port=${bare(r.ports.join(','))} comment=${cm(`${r.id} ${p} ${r.ports.join(',')} to the router`)}`);
    }
    if (drop) inputBodies.push(`action=drop in-interface-list=${lit(names.list)} comment=${cm('nothing else to the router')}`);
    const servicePorts = plan.ntp.strategy === 'redirect' ? { udp: '53,123', tcp: '53' } : { udp: '53', tcp: '53' };
    const firstInput = '[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0]';
    const addInput = (props: string) =>
      `:if ([:len [/ip firewall filter find where chain="input" and dynamic=no]] = 0) do={ /ip firewall filter add chain=input ${props} } else={ /ip firewall filter add chain=input ${props} place-before=${firstInput} }`;
    const inp: string[] = [`/ip firewall filter set [/ip firewall filter find where chain="input" and comment~${tagRe}] comment=${stale}`];
    // Each rule goes to the top of input, so they are added last-first.
    const svcComments = { udp: `${tag} router DNS/NTP only for the chargers and the LAN`, tcp: `${tag} router DNS only for the chargers and the LAN` };
    for (const p of ['tcp', 'udp'] as const) {
      const props = `action=drop connection-state=new protocol=${p} dst-port=${bare(servicePorts[p])} in-interface-list=!${bare(names.list)}`;
      const comment = str(svcComments[p]);
      inp.push(
        `:if ([:len [/interface list find where name="LAN"]] = 1) do={ ${addInput(`action=drop connection-state=new protocol=${p} dst-port=${bare(servicePorts[p])} in-interface-list=!LAN comment=${comment}`)} } else={ ${addInput(`${props} comment=${comment}`)} }`,
      );
    }
    for (const b of [...inputBodies].reverse()) inp.push(addInput(b));
    inp.push(
      `/ip firewall filter remove [/ip firewall filter find where comment=${stale}]`,
      `:if ([:len [/interface list find where name="LAN"]] = 0) do={ :put ${str('chargewall: WARNING no interface list LAN - the router answers DNS and NTP only to the chargers now')} }`,
    );
    // Said in STEPS.md, not as a render warning that every MikroTik render would carry.
    sections.push({
      title: 'Firewall input: router services for the chargers, at the top of input',
      notes: [
        'Accepts for DHCP/DNS(/NTP) from the chargers and a drop for the rest, then new DNS(/NTP) requests from anywhere but the LAN list are dropped',
        '(without a default configuration nothing else would keep the router\'s resolver off the WAN). Old rules are removed after the new ones are in.',
      ],
      lines: inp,
    });

    // ---- NAT: DNS (and NTP) from the chargers to the router, before the admin's dstnat rules.
    const nat: string[] = [removeTagged('/ip firewall nat')];
    const natBodies: string[] = [];
    for (const r of plan.redirects) {
      for (const p of r.protocols) {
        natBodies.push(`action=redirect in-interface-list=${lit(names.list)} protocol=${p} dst-port=${bare(r.port)} to-ports=${bare(r.port)} comment=${cm(`${r.id} ${p} ${r.port} to the router`)}`);
      }
    }
    const firstDstnat = '[:pick [/ip firewall nat find where chain="dstnat" and dynamic=no] 0]';
    for (const b of [...natBodies].reverse()) {
      nat.push(
        `:if ([:len [/ip firewall nat find where chain="dstnat" and dynamic=no]] = 0) do={ /ip firewall nat add chain=dstnat ${b} } else={ /ip firewall nat add chain=dstnat ${b} place-before=${firstDstnat} }`,
      );
    }
    sections.push({ title: 'NAT: DNS and NTP from the chargers to the router', notes: plan.redirects.map((r) => `${r.id}: ${commentText(r.why)}.`), lines: nat });

    // ---- Address, pool, DHCP: only now can the segment route (the filter is complete).
    const cidr = `${plan.network.gateway}/${plan.network.prefix}`;
    const netProps = [
      `gateway=${bare(plan.dhcp.router)}`,
      `dns-server=${bare(plan.dhcp.dnsServers.join(','))}`,
      ...(plan.dhcp.ntpServers.length ? [`ntp-server=${bare(plan.dhcp.ntpServers.join(','))}`] : []),
      `comment=${cm('charger network')}`,
    ].join(' ');
    const dhcp: string[] = [
      `/ip address remove [/ip address find where comment~${tagRe} and address!=${lit(cidr)}]`,
      `:if (${countTagged('/ip address', `address=${lit(cidr)}`)} = 0) do={ ${addIfMissing(`/ip address find where address=${lit(cidr)}`, `/ip address add address=${bare(cidr)} interface=${lit(segment)} comment=${cm('gateway')}`, `address ${cidr}`)} }`,
      ensure('/ip pool', names.pool, `ranges=${bare(`${plan.dhcp.first}-${plan.dhcp.last}`)} comment=${cm(`${plan.dhcp.size} addresses for ${plan.chargerCount} chargers`)}`),
      ensure('/ip dhcp-server', names.dhcp, `interface=${lit(segment)} address-pool=${lit(names.pool)} lease-time=${bare(leaseTime(plan.dhcp.leaseTime))} disabled=no comment=${cm('chargers')}`),
      removeTagged('/ip dhcp-server network'),
      addIfMissing(`/ip dhcp-server network find where address=${lit(plan.network.subnet)}`, `/ip dhcp-server network add address=${bare(plan.network.subnet)} ${netProps}`, `DHCP network ${plan.network.subnet}`),
      removeTagged('/ip dhcp-server lease'),
    ];
    for (const l of plan.dhcp.staticLeases) {
      const mac = l.mac.toUpperCase();
      dhcp.push(
        `/ip dhcp-server lease remove [/ip dhcp-server lease find where server=${lit(names.dhcp)} and mac-address=${lit(mac)} and dynamic=yes]`,
        `/ip dhcp-server lease add server=${lit(names.dhcp)} mac-address=${bare(mac)} address=${bare(l.ip)} comment=${cm(`lease ${l.name}`)}`,
      );
    }
    sections.push({
      title: `Address ${cidr}, pool ${plan.dhcp.first}-${plan.dhcp.last} (${plan.dhcp.size} for ${plan.chargerCount} chargers, ${plan.dhcp.needed} needed with headroom), DHCP, ${plan.dhcp.staticLeases.length} static leases`,
      notes: [`DHCP hands out the router as gateway and DNS${plan.dhcp.ntpServers.length ? ' and NTP server' : ''}.`],
      lines: dhcp,
    });

    // ---- Router DNS and NTP: opened only now that input closes them to the outside.
    const svc: string[] = ['/ip dns set allow-remote-requests=yes'];
    const svcNotes = ['The router answers DNS for the chargers; the input rules above keep it closed to everything but the chargers and the LAN list.'];
    if (plan.ntp.strategy === 'redirect') {
      if (v === 6) {
        svcNotes.push('RouterOS 6 serves NTP only with the separate ntp package (checked in the preflight). Its client resolves the name on every request.');
        svc.push(`/system ntp client set enabled=yes server-dns-names=${str(plan.ntp.host)}`, '/system ntp server set enabled=yes');
      } else {
        svc.push(
          '/system ntp client set enabled=yes',
          removeTagged('/system ntp client servers'),
          addIfMissing(`/system ntp client servers find where address=${str(plan.ntp.host)}`, `/system ntp client servers add address=${str(plan.ntp.host)} comment=${cm('ntp')}`, `NTP server ${plan.ntp.host}`),
          '/system ntp server set enabled=yes',
        );
      }
      svcNotes.push(`NTP: ${plan.ntp.why}.`);
    }
    sections.push({ title: 'Router DNS and NTP', notes: svcNotes, lines: svc });

    // ---- Wi-Fi last: the radio or virtual AP stays disabled until it is configured, bridged and has a passphrase.
    if (plan.wifi) {
      if (wifi) sections.push(wifi.section(cm, removeTagged, ensure, report));
      else {
        sections.push({
          title: 'Wi-Fi: not configured here (targets.mikrotik.wifi is none)',
          notes: [`Configure the charger SSID on its access point: 2.4 GHz b/g/n, channel ${plan.wifi.channel} fixed, 20 MHz, WPA2-PSK, country ${plan.wifi.country}.`],
          lines: [],
        });
      }
    }

    // Undo in fail-closed order too: Wi-Fi off, then addressing and DHCP (nothing is routed any more),
    // then the rules, lists and names.
    const undo = [
      ...(wifi ? wifi.undo(tagRe) : []),
      `/ip dhcp-server remove [/ip dhcp-server find where name=${lit(names.dhcp)}]`,
      ...['/ip dhcp-server lease', '/ip dhcp-server network', '/ip address', '/ip firewall nat'].map((p) => removeTagged(p)),
      // Without a LAN list only the chargers could use the router's DNS/NTP: close them again. With one, the two
      // rules that keep them off everything but the LAN stay until the values from the export are back.
      `:if ([:len [/interface list find where name="LAN"]] = 0) do={ /ip dns set allow-remote-requests=no${plan.ntp.strategy === 'redirect' ? '; /system ntp server set enabled=no' : ''} }`,
      removeTagged('/ip firewall filter', ` and comment!=${lit(svcComments.udp)} and comment!=${lit(svcComments.tcp)}`),
      `:if ([:len [/interface list find where name="LAN"]] = 0) do={ ${removeTagged('/ip firewall filter')} }`,
      v === 7 ? removeTagged('/ipv6 firewall filter') : `:if ([:len [/system package find where name="ipv6" and disabled=no]] > 0) do={ ${removeTagged('/ipv6 firewall filter')} }`,
      removeTagged('/ip firewall address-list', ' and dynamic=no'),
      ...['/ip dns static', '/interface list member', ...(v === 7 && plan.ntp.strategy === 'redirect' ? ['/system ntp client servers'] : [])].map((p) => removeTagged(p)),
      `/ip pool remove [/ip pool find where name=${lit(names.pool)}]`,
      `/interface list remove [/interface list find where name=${lit(names.list)}]`,
      ...(vlan !== undefined ? [`/interface vlan remove [/interface vlan find where name=${lit(names.vlan)}]`] : []),
    ];
    const restore: { what: string; cmd?: string }[] = [
      { what: `/ip dns allow-remote-requests${v === 7 && plan.endpoints.some((g) => g.hosts.some((h) => !isIPv4(h))) ? ' and address-list-extra-time' : ''}: the values in your /export` },
      ...(plan.ntp.strategy === 'redirect' ? [{ what: '/system ntp client and /system ntp server: the values in your /export' }] : []),
      {
        what: 'With a LAN list, two input rules keep the router\'s DNS/NTP closed to everything but the LAN; remove them once /ip dns (and NTP) are as in your /export',
        cmd: removeTagged('/ip firewall filter'),
      },
      ...(wifi ? wifi.restore : []),
      ...(v === 7
        ? [{ what: `DNS FWD entries with comment ${FWD_TAG} are shared by the chargewall sites of this router; when no site is left, remove them with`, cmd: `/ip dns static remove [/ip dns static find where comment~${lit(`^${FWD_TAG}`)}]` }]
        : []),
    ];

    const script = chargewallRsc({
      header: [
        `chargewall ${plan.generator.version}: RouterOS ${v} script for site ${id} (${commentText(plan.site.name)})`,
        `Profile ${plan.profile.id}, ${plan.chargerCount} chargers on ${plan.network.subnet}${vlan !== undefined ? ` VLAN ${vlan}` : ''}. Do not edit: change the spec and render again.`,
      ],
      tag,
      sections: sections.map((s) => ({ ...s, title: commentText(s.title), notes: s.notes.map((n) => (n.startsWith('  /') ? n : commentText(n))) })),
      undo,
      keepsProfiles: wifi !== undefined && !wifi.steps.virtual,
      restore: restore.map((r) => ({ what: commentText(r.what), cmd: r.cmd })),
    });
    // The generator checks its own output: a script that does not parse is never written.
    checkSyntax(script);
    // Safe Mode holds up to 100 actions (Console manual); a bigger import leaves it half-way.
    const changeLines = sections.slice(1).reduce((n, sec) => n + sec.lines.length, 0);
    const steps = mikrotikSteps({
      siteId: id,
      changeLines,
      siteName: mdText(plan.site.name),
      v,
      versionNote: v === 6 ? ', or older than 6.36' : wifiDialect === 'wifi' ? ', or older than 7.13' : wifiDialect === 'wifiwave2' ? ', or 7.13 or newer' : '',
      tag,
      chain,
      list: names.list,
      segment,
      iface: t.interface,
      dhcp: names.dhcp,
      vlan,
      wifi: wifi?.steps,
      v6ntp: v === 6 && plan.ntp.strategy === 'redirect',
      fwd: v === 7,
      undo,
      restore: restore.map((r) => ({ what: mdText(r.what), cmd: r.cmd })),
    });
    return { 'chargewall.rsc': script, 'STEPS.md': steps };
  },
};

function forwardRules(r: ForwardRule, listName: (g: string) => string, cm: (what: string) => string, groups: EndpointGroup[], shared?: (g: EndpointGroup) => string): string[] {
  const group = r.to.kind === 'group' ? groups.find((g) => g.id === (r.to as { group: string }).group) : undefined;
  const what = (p: string) => `${r.id} ${p} ${r.ports.join(',')}${group?.origin === 'extra' && group.purpose ? ` ${group.purpose}` : ''}`;
  return r.protocols.flatMap((p) => {
    const base = `action=accept protocol=${p} dst-port=${bare(r.ports.join(','))}`;
    switch (r.to.kind) {
      case 'group': {
        const own = `${base} dst-address-list=${lit(listName(r.to.group))} comment=${cm(what(p))}`;
        // v7: the addresses the router answered a charger, in the list the shared FWD entries fill.
        return group && shared && group.hosts.some((h) => !isIPv4(h)) ? [own, `${base} dst-address-list=${lit(shared(group))} comment=${cm(`fwd ${what(p)}`)}`] : [own];
      }
      case 'any':
        return [`${base} comment=${cm(what(p))}`];
      case 'addresses':
        return r.to.addresses.map((a) => `${base} dst-address=${bare(a)} comment=${cm(what(p))}`);
    }
  });
}

type Names = { sec: string; ch: string; cfg: string; ap: string };

/** The Wi-Fi part: preflight lines, the section, the undo, and what STEPS.md says. */
function wifiPlanFor(plan: Plan, site: Site, dialect: 'wireless' | 'wifiwave2' | 'wifi', names: Names, options: RenderOptions) {
  const w = plan.wifi!;
  const t = site.targets.mikrotik;
  const country = routerosCountry(w.country);
  if (!country) throw refusalError('mikrotik', mikrotikCheck(plan, site)[0]);
  const psk = passphraseFor(w, options);
  const virtual = (t.radio ?? 'virtual-ap') === 'virtual-ap';
  const moveRadio = t.moveRadio ?? false;
  const radioName = t.wifiInterface;
  const radio = lit(radioName);
  const chargerName = virtual ? names.ap : radioName;
  const charger = lit(chargerName);
  const bridge = lit(t.interface);
  const vlan = plan.network.vlan;
  const base = `/interface ${dialect}`;
  const find = (n: string) => `[${base} find where name=${n}]`;
  const secPath = dialect === 'wireless' ? '/interface wireless security-profiles' : `${base} security`;
  const pskEmpty = dialect === 'wireless' ? `[:len [${secPath} find where name=${lit(names.sec)} and wpa2-pre-shared-key=""]]` : `[:len [${secPath} find where name=${lit(names.sec)} and passphrase=""]]`;
  const setPskCmd = dialect === 'wireless' ? `${secPath} set [${secPath} find where name="${names.sec}"] wpa2-pre-shared-key="..."` : `${secPath} set [${secPath} find where name="${names.sec}"] passphrase="..."`;

  const preflight = (l: typeof lit, tag: string): string[] => {
    const tagRe = l(`^${tag}`);
    const out = [
      `:if ([:len ${find(radio)}] = 0) do={ :error ${str(`chargewall: Wi-Fi interface ${radioName} does not exist - set targets.mikrotik.wifiInterface`)} }`,
      dialect === 'wireless'
        ? `:if ([:len [/interface wireless find where name=${radio} and band~"^2ghz"]] = 0) do={ :error ${str(`chargewall: ${radioName} is not a 2.4 GHz radio - set targets.mikrotik.wifiInterface to the 2.4 GHz one`)} }`
        : `:if ([:len [${base} radio find where interface=${radio} and bands~"2ghz"]] = 0) do={ :error ${str(`chargewall: ${radioName} is not a 2.4 GHz radio - set targets.mikrotik.wifiInterface to the 2.4 GHz one`)} }`,
    ];
    if (virtual) {
      out.push(
        `:if ([:len [${base} find where name=${radio} and disabled=no]] = 0) do={ :error ${str(`chargewall: ${radioName} is disabled - a virtual AP runs only on a running radio; set targets.mikrotik.radio to take-over to use the whole radio`)} }`,
        `:if ([:len ${find(charger)}] > [:len [${base} find where name=${charger} and comment~${tagRe}]]) do={ :error ${str(`chargewall: an interface ${chargerName} exists that chargewall did not create - rename it`)} }`,
        `:if ([:len [/interface bridge port find where interface=${charger} and bridge!=${bridge}]] > 0) do={ :error ${str(`chargewall: ${chargerName} is a port of another bridge than ${t.interface} - remove that port`)} }`,
      );
    } else if (!moveRadio) {
      out.push(
        `:if ([:len [/interface bridge port find where interface=${radio} and bridge!=${bridge}]] > 0) do={ :error ${str(`chargewall: ${radioName} is a port of another bridge (on a default configuration the LAN bridge) - the charger SSID would join that network; use targets.mikrotik.radio virtual-ap, or set moveRadio true to move it`)} }`,
      );
    }
    return out;
  };

  const steps: WifiSteps = {
    dialect,
    virtual,
    radio: radioName,
    charger: chargerName,
    ssid: mdText(w.ssid),
    channel: w.channel,
    frequency: w.frequencyMHz,
    moveRadio: moveRadio,
    pskInFile: psk !== undefined,
    pskSource: passphraseSource(w),
    setPskCmd,
    enableCmd: `${base} enable ${find(charger)}`,
    vlan,
  };

  const section = (
    cm: (what: string) => string,
    removeTagged: (path: string, extra?: string) => string,
    ensure: (path: string, name: string, props: string) => string,
    report: Report,
  ): Section => {
    const notes: string[] = [];
    const lines: string[] = [];
    const at = (key: string) => ['targets', 'mikrotik', key];
    if (virtual && moveRadio) {
      report('mikrotik-move-radio-ignored', 'moveRadio applies only with radio: take-over; a virtual AP leaves the radio in its bridge', at('moveRadio'));
    }
    if (virtual) {
      report('mikrotik-radio-channel-set', `the charger SSID is a virtual AP ${chargerName} on ${radioName}: the office SSID on ${radioName} stays, but the radio's channel becomes ${w.channel} (${w.frequencyMHz} MHz), 20 MHz wide, for both`, at('radio'));
    } else {
      report('mikrotik-radio-taken-over', `${radioName} carries only the charger SSID after the import: an SSID it had before is gone${moveRadio ? ', and the radio is moved out of any other bridge' : ''}`, at('radio'));
    }
    // Profiles (the interface-level values below win over them; they are kept for the admin to read).
    if (dialect === 'wireless') {
      lines.push(ensure(secPath, names.sec, `mode=dynamic-keys authentication-types=wpa2-psk unicast-ciphers=aes-ccm group-ciphers=aes-ccm${psk !== undefined ? ` wpa2-pre-shared-key=${str(psk)}` : ''} comment=${cm('charger Wi-Fi security')}`));
    } else {
      lines.push(
        ensure(`${base} channel`, names.ch, `band=2ghz-n frequency=${bare(w.frequencyMHz)} width=20mhz comment=${cm('charger Wi-Fi channel')}`),
        ensure(secPath, names.sec, `authentication-types=wpa2-psk encryption=ccmp ft=no ft-over-ds=no${psk !== undefined ? ` passphrase=${str(psk)}` : ''} comment=${cm('charger Wi-Fi security')}`),
        ensure(`${base} configuration`, names.cfg, `mode=ap ssid=${str(w.ssid)} country=${lit(country)} channel=${lit(names.ch)} security=${lit(names.sec)} comment=${cm('charger Wi-Fi')}`),
      );
    }
    if (virtual) {
      const say = `chargewall: NOTE ${radioName} now runs on channel ${w.channel} (${w.frequencyMHz} MHz, 20 MHz) - the office SSID on it moves there too`;
      lines.push(`:put ${str(say)}`);
      lines.push(
        dialect === 'wireless'
          ? `${base} set ${find(radio)} frequency=${bare(w.frequencyMHz)} channel-width=20mhz`
          : `${base} set ${find(radio)} channel.frequency=${bare(w.frequencyMHz)} channel.width=20mhz`,
      );
      const props =
        dialect === 'wireless'
          ? `master-interface=${radio} mode=ap-bridge ssid=${str(w.ssid)} security-profile=${lit(names.sec)} wds-mode=disabled disabled=yes comment=${cm('charger Wi-Fi (virtual AP)')}`
          : `master-interface=${radio} configuration=${lit(names.cfg)} disabled=yes comment=${cm('charger Wi-Fi (virtual AP)')}`;
      lines.push(`:if ([:len ${find(charger)}] = 0) do={ ${base} add name=${charger} ${props} } else={ ${base} set ${find(charger)} ${props} }`);
      notes.push(
        `Virtual AP ${chargerName} on ${radioName} (targets.mikrotik.radio virtual-ap): the office SSID, its security and bridge stay as they are.`,
        `The channel is the radio's: ${radioName} is set to channel ${w.channel}, 20 MHz, for both SSIDs.`,
      );
    } else {
      lines.push(`${base} set ${find(radio)} disabled=yes`);
      if (moveRadio) lines.push(`/interface bridge port remove [/interface bridge port find where interface=${radio} and bridge!=${bridge}]`);
      notes.push(`${radioName} carries only the charger SSID (targets.mikrotik.radio take-over)${moveRadio ? '; it is moved out of any other bridge (moveRadio)' : ''}. It is disabled while it changes.`);
    }
    // Bridge port: only into the charger bridge, while the interface is disabled.
    if (vlan === undefined) {
      lines.push(
        `:if ([:len [/interface bridge find where name=${bridge}]] = 1) do={ :if ([:len [/interface bridge port find where interface=${charger}]] = 0) do={ /interface bridge port add bridge=${bridge} interface=${charger} comment=${cm('charger Wi-Fi')} } }`,
      );
    } else {
      notes.push(
        `VLAN ${vlan}: the ${chargerName} clients must land in VLAN ${vlan} on ${t.interface}; this script does not change bridge VLAN filtering, so ${chargerName} is in no bridge.`,
        `With vlan-filtering on ${t.interface}: make ${chargerName} a port with pvid=${vlan} and ${t.interface} a tagged member of VLAN ${vlan}.`,
      );
    }
    // Interface-level values win over every profile (WiFi manual, configuration profiles): write the managed ones there.
    if (dialect === 'wireless') {
      if (!virtual) {
        lines.push(
          `${base} set ${find(radio)} mode=ap-bridge ssid=${str(w.ssid)} band=2ghz-b/g/n channel-width=20mhz frequency=${bare(w.frequencyMHz)} frequency-mode=regulatory-domain country=${lit(country.toLowerCase())} wireless-protocol=802.11 security-profile=${lit(names.sec)}`,
        );
      }
    } else {
      const c = charger;
      lines.push(`${base} unset ${find(c)} value-name=security`, `${base} unset ${find(c)} value-name=channel`);
      if (psk === undefined) lines.push(`${base} unset ${find(c)} value-name=security.passphrase`);
      const channel = virtual ? '' : ` channel.band=2ghz-n channel.frequency=${bare(w.frequencyMHz)} channel.width=20mhz configuration.country=${lit(country)}`;
      lines.push(
        `${base} set ${find(c)} configuration=${lit(names.cfg)} configuration.mode=ap configuration.ssid=${str(w.ssid)}${channel} security.authentication-types=wpa2-psk security.encryption=ccmp security.ft=no security.ft-over-ds=no${psk !== undefined ? ` security.passphrase=${str(psk)}` : ''}`,
      );
      notes.push('Values set on the interface win over the profiles (WiFi manual): the script writes every managed value there and removes');
      notes.push(`the profiles assigned directly to it${psk === undefined ? ' and its own passphrase (the default configuration sets the sticker one there)' : ''}.`);
    }
    // Access list: the removal runs always (turning enforcement off removes the reject rule).
    const acl = `${base} access-list`;
    lines.push(removeTagged(acl));
    if (w.enforceMinSignal) {
      if (dialect === 'wireless') {
        lines.push(
          `${acl} add interface=${charger} signal-range=${bare(`${w.minSignalDbm}..120`)} allow-signal-out-of-range=30s authentication=yes forwarding=yes comment=${cm(`signal ${w.minSignalDbm} dBm or better`)}`,
          `${acl} add interface=${charger} signal-range=${bare(`-120..${w.minSignalDbm - 1}`)} authentication=no forwarding=no comment=${cm('reject weaker clients')}`,
        );
      } else {
        lines.push(
          `${acl} add interface=${charger} signal-range=${bare(`${w.minSignalDbm}..120`)} allow-signal-out-of-range=30s action=accept comment=${cm(`signal ${w.minSignalDbm} dBm or better`)}`,
          `${acl} add interface=${charger} action=reject comment=${cm('reject weaker clients')}`,
        );
      }
      notes.push(`Minimum signal ${w.minSignalDbm} dBm at association (wifi.enforceMinSignal); a fade shorter than 30 s does not drop a charger.`);
    } else {
      notes.push(`Survey check, not enforced: every charger must see this AP at ${w.minSignalDbm} dBm or better (${plan.profile.tools.app}).`);
    }
    // Enable last, and only with a passphrase.
    const enable = `${base} set ${find(charger)} disabled=no`;
    if (psk !== undefined) lines.push(enable);
    else {
      lines.push(
        `:if (${pskEmpty} = 0) do={ ${enable} } else={ :put ${str(`chargewall: WARNING no Wi-Fi passphrase yet - ${chargerName} stays disabled; set it (see STEPS.md), then enable ${chargerName}`)} }`,
      );
      notes.push(`The passphrase is not in this file (${passphraseSource(w)}, render with --with-secrets to include it); ${chargerName} stays disabled until it is set:`, `  ${setPskCmd}`, `  ${base} enable ${find(charger)}`);
    }
    if (vlan !== undefined) {
      lines.push(`:put ${str(`chargewall: TODO by hand: put ${chargerName} in VLAN ${vlan} on ${t.interface} (see the comments above), or chargers on Wi-Fi get no address`)}`);
    }
    const title = `Wi-Fi (${dialect}): ${virtual ? `virtual AP ${chargerName} on ${radioName}` : radioName}, 2.4 GHz b/g/n, channel ${w.channel} (${w.frequencyMHz} MHz), 20 MHz, WPA2-PSK, country ${w.country}`;
    return { title, notes, lines };
  };

  const undo = (tagRe: string): string[] => [
    virtual ? `${base} remove [${base} find where name=${charger} and comment~${tagRe}]` : `${base} set ${find(radio)} disabled=yes`,
    removeTaggedPath(`${base} access-list`, tagRe),
    ...(vlan === undefined ? [removeTaggedPath('/interface bridge port', tagRe)] : []),
    // The profiles go with the virtual AP; a taken-over radio still uses them until it is restored from the export.
    ...(virtual ? (dialect === 'wireless' ? [secPath] : [`${base} configuration`, secPath, `${base} channel`]).map((p) => removeTaggedPath(p, tagRe)) : []),
  ];
  const restore = virtual
    ? [{ what: `${radioName}: the channel it had (frequency and width in your /export)` }]
    : [{ what: `${radioName}: its configuration, bridge port and SSID from your /export (the script took the whole radio and the undo leaves it disabled)` }];
  return { preflight, section, undo, restore, steps };
}

function removeTaggedPath(path: string, tagRe: string): string {
  return `${path} remove [${path} find where comment~${tagRe}]`;
}

/** RouterOS time interval from the spec's lease time (`24h`, `30m`, `2d`, bare seconds). */
function leaseTime(text: string): string {
  return /^\d+$/.test(text) ? `${text}s` : text;
}

/** A host name for a message literal (validated names pass unchanged; anything else is replaced). */
function safeWord(text: string): string {
  return /^[A-Za-z0-9.-]+$/.test(text) ? text : 'an extra host';
}
