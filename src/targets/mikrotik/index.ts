import type { EndpointGroup, ForwardRule, Plan } from '../../plan/types.js';
import { UnsupportedError } from '../../plan/build.js';
import { objectName } from '../../plan/names.js';
import { isIPv4 } from '../../util/ipv4.js';
import { renderTemplate } from '../../render/templates.js';
import { passphraseFor, passphraseSource } from '../../render/secrets.js';
import type { Site } from '../../spec/types.js';
import type { Target } from '../types.js';
import { routerosCountry, supportedCountries } from './countries.js';
import { bare, commentText, lit, str } from './escape.js';
import { checkSyntax } from './script.js';

/** Interface names stay short enough for every RouterOS version; other names get more room. */
const IFACE_MAX = 31;
const NAME_MAX = 48;

interface Section {
  title: string;
  notes: string[];
  lines: string[];
}

export const mikrotikTarget: Target = {
  id: 'mikrotik',
  description: 'MikroTik RouterOS 6/7: one idempotent chargewall.rsc (/import or paste), tagged items, owned firewall chain, Wi-Fi for wireless/wifiwave2/wifi',
  files: ['chargewall.rsc'],
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
    const names = {
      list: objectName('cw', id, '', IFACE_MAX),
      vlan: objectName('cw', id, 'vlan', IFACE_MAX),
      pool: objectName('cw', id, 'pool', NAME_MAX),
      dhcp: objectName('cw', id, 'dhcp', NAME_MAX),
      chain: objectName('cw', id, '', NAME_MAX),
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
      `:if ([:len [${find}]] = 0) do={ ${add} } else={ :put ${lit(`chargewall: ${what} exists already and was left alone`)} }`;

    // --- preflight: everything that would stop an import half-way is checked before the first change.
    const pre: string[] = [
      `:if ([:pick [/system resource get version] 0 1] != ${lit(String(v))}) do={ :error ${lit(`chargewall: this script is for RouterOS ${v} - set targets.mikrotik.routeros and render again`)} }`,
      `:if ([:len [/interface find where name=${lit(t.interface)}]] = 0) do={ :error ${lit(`chargewall: interface ${t.interface} does not exist - create it or set targets.mikrotik.interface`)} }`,
    ];
    if (wifiDialect !== 'none') {
      pre.push(`:if ([:len [/interface find where name=${lit(t.wifiInterface)}]] = 0) do={ :error ${lit(`chargewall: Wi-Fi interface ${t.wifiInterface} does not exist - set targets.mikrotik.wifiInterface`)} }`);
    }
    if (v === 6 && plan.ntp.strategy === 'redirect') {
      pre.push(`:if ([:len [/system package find where name="ntp" and disabled=no]] = 0) do={ :error ${lit('chargewall: RouterOS 6 answers NTP only with the ntp package - install and enable it in System Packages, reboot, then import again')} }`);
    }
    sections.push({
      title: 'Preflight: stop before any change when the router does not fit',
      notes: v === 6 ? ['Host names in address lists need RouterOS 6.36 or newer.'] : [],
      lines: pre,
    });

    // --- charger segment
    const seg: string[] = [];
    if (vlan !== undefined) {
      seg.push(ensure('/interface vlan', names.vlan, `interface=${lit(t.interface)} vlan-id=${bare(vlan)} comment=${cm(`charger VLAN ${vlan}`)}`));
    }
    seg.push(
      ensure('/interface list', names.list, `comment=${cm(`charger segment of ${plan.site.name}`)}`),
      removeTagged('/interface list member'),
      `/interface list member add list=${lit(names.list)} interface=${lit(segment)} comment=${cm('charger segment')}`,
    );
    sections.push({
      title: `Charger segment: ${vlan !== undefined ? `VLAN ${vlan} on ${t.interface} (${names.vlan})` : t.interface}, interface list ${names.list}`,
      notes: [],
      lines: seg,
    });

    // --- address, pool, DHCP
    const cidr = `${plan.network.gateway}/${plan.network.prefix}`;
    const netProps = [
      `gateway=${bare(plan.dhcp.router)}`,
      `dns-server=${bare(plan.dhcp.dnsServers.join(','))}`,
      ...(plan.dhcp.ntpServers.length ? [`ntp-server=${bare(plan.dhcp.ntpServers.join(','))}`] : []),
      `comment=${cm('charger network')}`,
    ].join(' ');
    const dhcp: string[] = [
      removeTagged('/ip address'),
      addIfMissing(`/ip address find where address=${lit(cidr)}`, `/ip address add address=${bare(cidr)} interface=${lit(segment)} comment=${cm('gateway')}`, `address ${cidr}`),
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

    // --- router DNS and NTP
    const svc: string[] = ['/ip dns set allow-remote-requests=yes'];
    const svcNotes = ['The router answers DNS for the chargers. The input rules below limit who may ask.'];
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

    // --- address lists (and v7 DNS FWD entries)
    const groups = plan.endpoints;
    const lists: string[] = [removeTagged('/ip firewall address-list', ' and dynamic=no')];
    for (const g of groups) {
      for (const h of g.hosts) {
        lists.push(`/ip firewall address-list add list=${lit(names.addrList(g.id))} address=${isIPv4(h) ? bare(h) : str(h)} comment=${cm(`${g.id} ${h}`)}`);
      }
    }
    const listNotes = [
      'One list per endpoint group, so each port opens only to its own hosts.',
      'Name entries: the router resolves each name itself and adds the addresses as dynamic entries.',
    ];
    if (v === 7) {
      lists.push(removeTagged('/ip dns static'));
      for (const g of groups) {
        for (const h of g.hosts.filter((x) => !isIPv4(x))) {
          lists.push(
            addIfMissing(`/ip dns static find where name=${str(h)}`, `/ip dns static add name=${str(h)} type=FWD address-list=${lit(names.addrList(g.id))} comment=${cm(`${g.id} ${h}`)}`, `DNS static entry for ${safeWord(h)}`),
          );
        }
      }
      listNotes.push(
        'DNS FWD entries with address-list: every answer the router gives a charger adds exactly those addresses to the list',
        '(the DNS redirect makes the router see every charger lookup).',
      );
    }
    sections.push({ title: 'Cloud hosts: address lists', notes: listNotes, lines: lists });

    // --- firewall filter
    const jumpComment = `${tag} jump to charger rules`;
    const fw: string[] = [
      removeTagged('/ip firewall filter', ` and comment!=${lit(jumpComment)}`),
      `/ip firewall filter add chain=${lit(names.chain)} action=accept connection-state=established,related comment=${cm('replies and long-lived connections')}`,
      ...plan.rules.flatMap((r) => forwardRules(r, names.chain, names.addrList, cm, plan.endpoints)),
    ];
    const finalProps = plan.log && drop ? ` log=yes log-prefix=${lit(objectName('cw', id, '', 20))}` : '';
    fw.push(`/ip firewall filter add chain=${lit(names.chain)} action=${drop ? 'drop' : 'accept'}${finalProps} comment=${cm(drop ? 'default deny' : 'default allow')}`);
    const firstForward = '[:pick [/ip firewall filter find where chain="forward" and dynamic=no] 0]';
    const jump = `/ip firewall filter add chain=forward action=jump jump-target=${lit(names.chain)} in-interface-list=${lit(names.list)} comment=${lit(jumpComment)}`;
    fw.push(
      `:if ([:len [/ip firewall filter find where comment=${lit(jumpComment)}]] = 0) do={ :if ([:len [/ip firewall filter find where chain="forward" and dynamic=no]] = 0) do={ ${jump} } else={ ${jump} place-before=${firstForward} } }`,
    );
    const defconfDrop = lit('defconf: drop all not coming from LAN');
    const inputRule = (props: string) => {
      const add = `/ip firewall filter add chain=input in-interface-list=${lit(names.list)} ${props}`;
      return `:if ([:len [/ip firewall filter find where comment=${defconfDrop}]] = 1) do={ ${add} place-before=[/ip firewall filter find where comment=${defconfDrop}] } else={ ${add} }`;
    };
    for (const r of plan.routerRules) {
      for (const p of r.protocols) fw.push(inputRule(`action=accept protocol=${p} dst-port=${bare(r.ports.join(','))} comment=${cm(`${r.id} ${p} ${r.ports.join(',')} to the router`)}`));
    }
    if (drop) fw.push(inputRule(`action=drop comment=${cm('nothing else to the router')}`));
    sections.push({
      title: `Firewall: chain ${names.chain}, one jump at the top of forward, router services in input`,
      notes: [
        'The jump is added once, before the first forward rule, and kept on later runs (move it and it stays moved).',
        'Input accepts go before the default configuration rule drop all not coming from LAN when it exists, else at the end.',
        'Outbound NAT: the default configuration\'s masquerade (out-interface-list=WAN) covers the charger segment.',
      ],
      lines: fw,
    });

    // --- NAT
    const nat: string[] = [removeTagged('/ip firewall nat')];
    for (const r of plan.redirects) {
      for (const p of r.protocols) {
        nat.push(`/ip firewall nat add chain=dstnat action=redirect in-interface-list=${lit(names.list)} protocol=${p} dst-port=${bare(r.port)} to-ports=${bare(r.port)} comment=${cm(`${r.id} ${p} ${r.port} to the router`)}`);
      }
    }
    sections.push({ title: 'NAT: DNS and NTP from the chargers to the router', notes: plan.redirects.map((r) => `${r.id}: ${commentText(r.why)}.`), lines: nat });

    // --- Wi-Fi
    if (plan.wifi) sections.push(wifiSection(plan, site, wifiDialect, names, cm, tagRe, removeTagged, ensure, options));

    const undo = [
      ...['/ip firewall filter', '/ip firewall nat', '/ip dns static', '/ip dhcp-server lease', '/ip dhcp-server network', '/ip address', '/interface list member', ...(v === 7 && plan.ntp.strategy === 'redirect' ? ['/system ntp client servers'] : [])].map(
        (p) => removeTagged(p),
      ),
      removeTagged('/ip firewall address-list', ' and dynamic=no'),
      ...(plan.wifi && wifiDialect !== 'none' && plan.wifi.enforceMinSignal ? [removeTagged(`/interface ${wifiDialect} access-list`)] : []),
      ...(wifiDialect !== 'none' && vlan === undefined ? [removeTagged('/interface bridge port')] : []),
      `/ip dhcp-server remove [/ip dhcp-server find where name=${lit(names.dhcp)}]`,
      `/ip pool remove [/ip pool find where name=${lit(names.pool)}]`,
      `/interface list remove [/interface list find where name=${lit(names.list)}]`,
      ...(vlan !== undefined ? [`/interface vlan remove [/interface vlan find where name=${lit(names.vlan)}]`] : []),
    ];

    const script = renderTemplate('mikrotik', 'chargewall.rsc', {
      header: [
        `chargewall ${plan.generator.version}: RouterOS ${v} script for site ${id} (${commentText(plan.site.name)})`,
        `Spec sha256:${plan.specHash}, profile ${plan.profile.id}, ${plan.chargerCount} chargers on ${plan.network.subnet}${vlan !== undefined ? ` VLAN ${vlan}` : ''}. Do not edit: change the spec and render again.`,
      ],
      tag,
      sections: sections.map((s) => ({ ...s, title: commentText(s.title), notes: s.notes.map((n) => (n.startsWith('  /') ? n : commentText(n))) })),
      undo,
    });
    // The generator checks its own output: a script that does not parse is never written.
    checkSyntax(script);
    return { 'chargewall.rsc': script };
  },
};

function forwardRules(
  r: ForwardRule,
  chain: string,
  listName: (g: string) => string,
  cm: (what: string) => string,
  groups: EndpointGroup[],
): string[] {
  const group = r.to.kind === 'group' ? groups.find((g) => g.id === (r.to as { group: string }).group) : undefined;
  const what = (p: string) => `${r.id} ${p} ${r.ports.join(',')}${group?.origin === 'extra' && group.purpose ? ` ${group.purpose}` : ''}`;
  return r.protocols.flatMap((p) => {
    const base = `/ip firewall filter add chain=${lit(chain)} action=accept protocol=${p} dst-port=${bare(r.ports.join(','))}`;
    switch (r.to.kind) {
      case 'group':
        return [`${base} dst-address-list=${lit(listName(r.to.group))} comment=${cm(what(p))}`];
      case 'any':
        return [`${base} comment=${cm(what(p))}`];
      case 'addresses':
        return r.to.addresses.map((a) => `${base} dst-address=${bare(a)} comment=${cm(what(p))}`);
    }
  });
}

type Names = { sec: string; ch: string; cfg: string };

function wifiSection(
  plan: Plan,
  site: Site,
  dialect: Site['targets']['mikrotik']['wifi'],
  names: Names,
  cm: (what: string) => string,
  _tagRe: string,
  removeTagged: (path: string, extra?: string) => string,
  ensure: (path: string, name: string, props: string) => string,
  options: Parameters<Target['render']>[2],
): Section {
  const w = plan.wifi!;
  const t = site.targets.mikrotik;
  if (dialect === 'none') {
    return {
      title: 'Wi-Fi: not configured here (targets.mikrotik.wifi is none)',
      notes: [`Configure the charger SSID on its access point: 2.4 GHz b/g/n, channel ${w.channel} fixed, 20 MHz, WPA2-PSK, country ${w.country}.`],
      lines: [],
    };
  }
  const country = routerosCountry(w.country);
  if (!country) {
    throw new UnsupportedError('mikrotik', `wifi.country ${w.country}`, `RouterOS country names are known here for ${supportedCountries().join(', ')}; configure the radio by hand or use one of those`);
  }
  const psk = passphraseFor(w, options);
  const radio = lit(t.wifiInterface);
  const notes: string[] = [];
  const lines: string[] = [];
  const pskNote = (cmd: string) =>
    notes.push(`The passphrase is not in this file (${passphraseSource(w)}, render with --with-secrets to include it). Set it once:`, `  ${cmd}`);
  if (dialect === 'wireless') {
    const secPath = '/interface wireless security-profiles';
    lines.push(
      ensure(secPath, names.sec, `mode=dynamic-keys authentication-types=wpa2-psk unicast-ciphers=aes-ccm group-ciphers=aes-ccm${psk !== undefined ? ` wpa2-pre-shared-key=${str(psk)}` : ''} comment=${cm('charger Wi-Fi security')}`),
      `/interface wireless set [/interface wireless find where name=${radio}] mode=ap-bridge ssid=${str(w.ssid)} band=2ghz-b/g/n channel-width=20mhz frequency=${bare(w.frequencyMHz)} frequency-mode=regulatory-domain country=${lit(country.toLowerCase())} wireless-protocol=802.11 security-profile=${lit(names.sec)} disabled=no`,
    );
    if (psk === undefined) pskNote(`${secPath} set [${secPath} find where name="${names.sec}"] wpa2-pre-shared-key="..."`);
  } else {
    const base = `/interface ${dialect}`;
    lines.push(
      ensure(`${base} channel`, names.ch, `band=2ghz-n frequency=${bare(w.frequencyMHz)} width=20mhz comment=${cm('charger Wi-Fi channel')}`),
      ensure(`${base} security`, names.sec, `authentication-types=wpa2-psk encryption=ccmp${psk !== undefined ? ` passphrase=${str(psk)}` : ''} comment=${cm('charger Wi-Fi security')}`),
      ensure(`${base} configuration`, names.cfg, `mode=ap ssid=${str(w.ssid)} country=${lit(country)} channel=${lit(names.ch)} security=${lit(names.sec)} comment=${cm('charger Wi-Fi')}`),
    );
    // Settings made on the interface itself win over the profiles (the default configuration sets some there).
    const overrides = ['configuration.ssid', 'configuration.country', 'configuration.mode', 'channel.band', 'channel.frequency', 'channel.width', 'security.authentication-types', 'security.encryption', ...(psk !== undefined ? ['security.passphrase'] : [])];
    for (const o of overrides) lines.push(`${base} unset [${base} find where name=${radio}] value-name=${o}`);
    lines.push(`${base} set [${base} find where name=${radio}] configuration=${lit(names.cfg)} disabled=no`);
    notes.push('Interface-level settings override the profiles: the script unsets the ones it manages on the radio.');
    if (psk === undefined) pskNote(`${base} security set [${base} security find where name="${names.sec}"] passphrase="..."`);
  }
  // Bridge the radio into the charger segment (only when it is a bridge and there is no VLAN to map).
  if (plan.network.vlan === undefined) {
    lines.push(
      `:if ([:len [/interface bridge find where name=${lit(t.interface)}]] = 1) do={ :if ([:len [/interface bridge port find where interface=${radio}]] = 0) do={ /interface bridge port add bridge=${lit(t.interface)} interface=${radio} comment=${cm('charger Wi-Fi')} } }`,
    );
    notes.push(`When ${t.interface} is a bridge and ${t.wifiInterface} is in no bridge yet, the radio becomes a port of it.`);
  } else {
    // Said at import time too: chargers on this radio get no address until it is in the VLAN.
    lines.push(
      `:put ${str(`chargewall: TODO by hand: put ${t.wifiInterface} in VLAN ${plan.network.vlan} on ${t.interface} (see the comments above), or chargers on Wi-Fi get no address`)}`,
    );
    notes.push(
      `VLAN ${plan.network.vlan}: the radio's clients must land in VLAN ${plan.network.vlan} on ${t.interface}. This script does not change bridge VLAN filtering.`,
      `With vlan-filtering on ${t.interface}: make ${t.wifiInterface} a port with pvid=${plan.network.vlan} and ${t.interface} a tagged member of VLAN ${plan.network.vlan}.`,
    );
  }
  const acl = `/interface ${dialect} access-list`;
  if (w.enforceMinSignal) {
    lines.push(removeTagged(acl));
    if (dialect === 'wireless') {
      lines.push(
        `${acl} add interface=${radio} signal-range=${bare(`${w.minSignalDbm}..120`)} authentication=yes forwarding=yes comment=${cm(`signal ${w.minSignalDbm} dBm or better`)}`,
        `${acl} add interface=${radio} signal-range=${bare(`-120..${w.minSignalDbm - 1}`)} authentication=no forwarding=no comment=${cm('reject weaker clients')}`,
      );
    } else {
      lines.push(
        `${acl} add interface=${radio} signal-range=${bare(`${w.minSignalDbm}..120`)} action=accept comment=${cm(`signal ${w.minSignalDbm} dBm or better`)}`,
        `${acl} add interface=${radio} action=reject comment=${cm('reject weaker clients')}`,
      );
    }
    notes.push(`Minimum signal ${w.minSignalDbm} dBm is enforced (wifi.enforceMinSignal): weaker clients are rejected.`);
  } else {
    notes.push(`Survey check, not enforced: every charger must see this AP at ${w.minSignalDbm} dBm or better (${plan.profile.tools.app}).`);
  }
  const title = `Wi-Fi (${dialect}): ${t.wifiInterface}, 2.4 GHz b/g/n, channel ${w.channel} (${w.frequencyMHz} MHz), 20 MHz, WPA2-PSK, country ${w.country}`;
  return { title, notes, lines };
}

/** RouterOS time interval from the spec's lease time (`24h`, `30m`, `2d`, bare seconds). */
function leaseTime(text: string): string {
  return /^\d+$/.test(text) ? `${text}s` : text;
}

/** A host name for a message literal (validated names pass unchanged; anything else is replaced). */
function safeWord(text: string): string {
  return /^[A-Za-z0-9.-]+$/.test(text) ? text : 'an extra host';
}
