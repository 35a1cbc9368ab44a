import type { Diagnostic } from '../spec/diagnostics.js';
import type { Site } from '../spec/types.js';
import type { Profile } from '../profiles/types.js';
import type { Destination, Plan } from '../plan/types.js';
import { ipToInt } from '../util/ipv4.js';
import { mdCode, mdText, mermaidText } from './escape.js';

export interface ExplainInput {
  site: Site;
  profile: Profile;
  /** One plan per rendered target (each built with that target's capabilities), in render order. */
  plans: Record<string, Plan>;
  /** The spec's warnings from validation. */
  specWarnings: Diagnostic[];
  /** Per target: one sentence on where its rules sit relative to the router's existing rules. */
  placement?: Record<string, string | undefined>;
}

/** Values that hold for some targets only: one entry per distinct value, with the targets it holds for. */
interface Variant<T> {
  value: T;
  targets: string[];
}

function variants<T>(plans: [string, Plan][], pick: (p: Plan) => T): Variant<T>[] {
  const out: Variant<T>[] = [];
  for (const [id, plan] of plans) {
    const v = pick(plan);
    const entry = out.find((e) => sameData(e.value, v));
    if (entry) entry.targets.push(id);
    else out.push({ value: v, targets: [id] });
  }
  return out;
}

/**
 * Equal plain data (strings, numbers, booleans, arrays, objects with the same keys in the same order):
 * what comparing JSON.stringify of both says for plan values, without building the two strings.
 */
function sameData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as unknown[];
    if (a.length !== bs.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameData(a[i], bs[i])) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  if (ak.length !== bk.length) return false;
  for (let i = 0; i < ak.length; i++) if (ak[i] !== bk[i] || !sameData(ao[ak[i]], bo[ak[i]])) return false;
  return true;
}

const codes = (ids: string[]) => ids.map((i) => `\`${i}\``).join(', ');
const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const fmtMB = (mb: number) => (mb >= 1000 ? `${round(mb)} MB (${round(mb / 1000)} GB)` : `${round(mb)} MB`);
/** Escaped text as a sentence: capital first letter, one full stop. */
const sentence = (s: string) => {
  const t = mdText(s.charAt(0).toUpperCase() + s.slice(1));
  return t.endsWith('.') ? t : `${t}.`;
};
const round = (n: number) => String(Math.round(n * 100) / 100);

function protoPorts(protocols: string[], ports: number[]): string {
  return `${protocols.join('/').toUpperCase()} ${ports.join(', ')}`;
}

/** A rule line (plain words + why + requirement) with a stable key so equal rules merge across targets. */
interface RuleLine {
  key: string;
  text: string;
  /** Kind order in the report: 0 redirect, 1 router, 2 forwarded, 3 default. */
  rank: number;
}

/** A destination as part of a rule line's key. */
function destKey(to: Destination): string {
  switch (to.kind) {
    case 'group':
      return `group:${to.group}`;
    case 'addresses':
      return `addresses:${to.addresses.join(',')}`;
    case 'any':
      return 'any';
  }
}

function ruleLines(plan: Plan): RuleLine[] {
  const lines: RuleLine[] = [];
  const quote = (r?: string) => (r ? ` Requirement: “${mdText(r)}”` : '');
  const groups = new Map(plan.endpoints.map((e) => [e.id, e]));
  for (const r of plan.redirects) {
    const req = r.requirement;
    lines.push({
      rank: 0,
      key: `redirect:${r.id}:${r.port}`,
      text: `**Redirect** ${protoPorts(r.protocols, [r.port])} (${mdText(r.label)}) from the chargers to the router, whatever address they ask for. Why: ${sentence(r.why)}${quote(req)}`,
    });
  }
  for (const r of plan.routerRules) {
    const req = r.requirement;
    const why = r.why === req ? '' : ` Why: ${sentence(r.why)}`;
    lines.push({
      rank: 1,
      key: `router:${r.id}:${r.protocols.join('/')}:${r.ports.join(',')}`,
      text: `**Allow** ${protoPorts(r.protocols, r.ports)} from the chargers to the router itself (${mdText(r.label)}).${why}${quote(req)}`,
    });
  }
  for (const r of plan.rules) {
    const req = r.requirement;
    let dest: string;
    if (r.to.kind === 'group') {
      const g = groups.get(r.to.group);
      dest = g ? g.hosts.map(mdCode).join(', ') : mdText(r.to.group);
    } else if (r.to.kind === 'addresses') {
      dest = r.to.addresses.map(mdCode).join(', ');
    } else if (r.to.widenedFrom !== undefined) {
      // The target cannot match host names and the spec accepts port-only rules: say what it opens.
      const g = groups.get(r.to.widenedFrom);
      dest = `**any address**, wider than the asked ${g ? g.hosts.map(mdCode).join(', ') : mdText(r.to.widenedFrom)} (port-only, see Warnings)`;
    } else {
      dest = 'any address';
    }
    const why = r.why === req ? '' : ` Why: ${sentence(r.why)}`;
    lines.push({
      rank: 2,
      key: `forward:${r.id}:${r.protocols.join('/')}:${r.ports.join(',')}:${destKey(r.to)}`,
      text: `**Allow** ${protoPorts(r.protocols, r.ports)} from the chargers to ${dest} (${mdText(r.label)}).${why}${quote(req)}`,
    });
  }
  lines.push({
    rank: 3,
    key: `default:${plan.defaultAction}:${plan.log}`,
    text:
      plan.defaultAction === 'drop'
        ? `**Drop** everything else from the chargers${plan.log ? ' (logged, rate-limited)' : ''}, and every connection attempt from outside to the chargers (only replies pass). Why: the chargers only open the outbound connections above; they need no inbound ports and no traffic between each other (load balancing runs in the cloud).`
        : `**Accept** everything else from the chargers (\`policy.defaultDeny: false\`): the rules above document what the chargers need, but nothing else is blocked.`,
  });
  return lines;
}

function mermaid(site: Site, plans: [string, Plan][]): string {
  const first = plans[0][1];
  const all = plans.map(([id]) => id);
  const only = (targets: string[]) => (targets.length === all.length ? '' : ` (${targets.join(', ')})`);
  const lines = ['```mermaid', 'flowchart LR'];
  const seg = `${site.chargers.count} chargers<br/>${mermaidText(first.network.subnet)}${first.network.vlan !== undefined ? `, VLAN ${first.network.vlan}` : ''}${site.wifi ? `<br/>Wi-Fi ${mermaidText(site.wifi.ssid)}, channel ${site.wifi.channel}` : ''}`;
  lines.push(`  chargers["${seg}"]`);
  lines.push(`  router["Router ${mermaidText(first.network.gateway)}<br/>${mermaidText(site.site.name || site.site.id)}"]`);
  // Charger segment → router: DHCP, DNS, and NTP where the router answers it.
  const local = variants(plans, (p) => [...p.routerRules.map((r) => `${r.name} ${protoPorts(r.protocols, r.ports)}`)]);
  for (const v of local) lines.push(`  chargers -->|"${mermaidText(v.value.join(', ') + only(v.targets))}"| router`);
  // Router → each endpoint host, labelled with protocol/port (and the targets, where they differ).
  const nodes = new Map<string, string>();
  const edges = new Map<string, { host: string; label: string; targets: string[] }>();
  const add = (host: string, label: string, target: string) => {
    if (!nodes.has(host)) nodes.set(host, `ep${nodes.size + 1}`);
    const k = `${host}|${label}`;
    const e = edges.get(k);
    // Two rules of one target can share an edge (two widened rules on one port): name the target once.
    if (e) {
      if (!e.targets.includes(target)) e.targets.push(target);
    } else edges.set(k, { host, label, targets: [target] });
  };
  for (const [id, plan] of plans) {
    const groups = new Map(plan.endpoints.map((e) => [e.id, e]));
    for (const r of plan.rules) {
      const label = protoPorts(r.protocols, r.ports);
      if (r.to.kind === 'group') for (const h of groups.get(r.to.group)?.hosts ?? []) add(h, label, id);
      else if (r.to.kind === 'addresses') for (const a of r.to.addresses) add(a, label, id);
      else add(r.service === 'ntp' ? 'any NTP server' : 'any address', label, id);
    }
    if (plan.ntp.strategy === 'redirect') add(plan.ntp.host, 'UDP 123, the router\'s own NTP client', id);
  }
  for (const [host, node] of nodes) lines.push(`  ${node}["${mermaidText(host)}"]`);
  for (const e of edges.values()) lines.push(`  router -->|"${mermaidText(e.label + only(e.targets))}"| ${nodes.get(e.host)}`);
  lines.push('```');
  return lines.join('\n');
}

/** Every endpoint host of every plan, first occurrence first. */
function cloudHosts(plans: [string, Plan][]): Set<string> {
  const hosts = new Set<string>();
  for (const [, p] of plans) for (const e of p.endpoints) for (const h of e.hosts) hosts.add(h);
  return hosts;
}

/** The explain report: what an admin attaches to a change ticket. Target-neutral; Markdown. Pure. */
export function explainSite(input: ExplainInput): string {
  const { site, profile } = input;
  const plans = Object.entries(input.plans);
  if (!plans.length) throw new Error('explainSite needs at least one plan');
  const plan = plans[0][1];
  const all = plans.map(([id]) => id);
  const forTargets = (targets: string[]) => (targets.length === all.length ? '' : ` (${codes(targets)})`);
  const out: string[] = [];
  const para = (...l: string[]) => out.push(...l, '');

  // Title and provenance.
  para(`# ${mdText(site.site.name || site.site.id)}`);
  para(
    `Site \`${site.site.id}\`, ${mdText(profile.name)} profile (\`${profile.id}\`), rendered for ${codes(all)}.`,
    `Generated by chargewall ${plan.generator.version} from the spec with hash \`${plan.specHash}\`: do not edit this file; change the spec and run \`chargewall render\` again (\`chargewall render --check\` tells CI when this folder is stale; \`chargewall.manifest.json\` lists every file chargewall wrote here, with its hash).`,
  );

  // Summary.
  const statics = plan.dhcp.staticLeases.length;
  para(
    '## Summary',
    '',
    '| | |',
    '| --- | --- |',
    `| Site | ${mdText(site.site.name || site.site.id)} (\`${site.site.id}\`) |`,
    `| Chargers | ${site.chargers.count}${site.chargers.units.length ? `; ${plural(site.chargers.units.length, 'unit')} in the inventory, ${plural(statics, 'static lease')}` : ''} |`,
    `| Profile | ${mdText(profile.name)} (\`${profile.id}\`); source: ${mdText(profile.source)} |`,
    `| Segment | \`${plan.network.subnet}\` (netmask ${plan.network.netmask}), gateway \`${plan.network.gateway}\`${plan.network.vlan !== undefined ? `, VLAN ${plan.network.vlan}` : ''} |`,
    `| Uplink for the chargers | ${site.wifi ? `Wi-Fi 2.4 GHz, channel ${site.wifi.channel}` : 'no Wi-Fi in the spec: 4G, PLC/Ethernet or an existing WLAN'} |`,
    `| Cloud endpoints | ${[...cloudHosts(plans)].map(mdCode).join(', ')} |`,
    `| Everything else | ${plan.defaultAction === 'drop' ? `dropped${plan.log ? ' and logged' : ''}` : 'accepted (defaultDeny: false)'} |`,
    `| Targets | ${codes(all)} |`,
  );

  para('## Diagram', '', 'Charger segment → router → each cloud endpoint, with protocol and port. A label names the targets when only some of them use that path.', '', mermaid(site, plans));

  // Rules.
  out.push('## Rules', '', 'Traffic from the charger segment, in the order the targets apply it (redirects first, then what the router itself accepts, then what is forwarded):', '');
  const merged: { line: RuleLine; targets: string[] }[] = [];
  // Lines with the same key, to find an equal line without comparing against every line so far.
  const byKey = new Map<string, { line: RuleLine; targets: string[] }[]>();
  for (const [id, p] of plans) {
    for (const line of ruleLines(p)) {
      const same = byKey.get(line.key);
      const m = same?.find((x) => x.line.text === line.text);
      if (m) m.targets.push(id);
      else {
        const entry = { line, targets: [id] };
        if (same) same.push(entry);
        else byKey.set(line.key, [entry]);
        // Keep the kinds in order (redirects, router, forwarded, default) when another target adds a line.
        const at = merged.findIndex((x) => x.line.rank > line.rank);
        merged.splice(at === -1 ? merged.length : at, 0, entry);
      }
    }
  }
  merged.forEach((m, i) => out.push(`${i + 1}. ${m.line.text}${m.targets.length === all.length ? '' : ` Only on ${codes(m.targets)}.`}`));
  out.push('');
  const placements = all.filter((id) => input.placement?.[id]);
  if (placements.length) {
    out.push('Where the rules sit relative to the router\'s own rules:', '');
    for (const id of placements) out.push(`- \`${id}\`: ${mdText(input.placement![id]!)}`);
    out.push('');
  }

  // DNS / NTP strategy.
  out.push('## DNS and NTP', '');
  for (const v of variants(plans, (p) => p.dns)) {
    out.push(`- DNS${forTargets(v.targets)}: **${v.value.strategy}** (requested: \`${site.policy.dns}\`). ${sentence(v.value.why)}`);
  }
  for (const v of variants(plans, (p) => p.ntp)) {
    out.push(`- NTP${forTargets(v.targets)}: **${v.value.strategy}** (requested: \`${v.value.requested}\`). ${sentence(v.value.why)}`);
  }
  out.push(
    '',
    `Why it matters: ${mdCode(profile.ntp.host)} is a fixed name that returns a few random servers with a short TTL, and cloud addresses change without notice, so rules follow host names through the router's resolver, never addresses frozen at generation time. DHCP option 42 (NTP server) must be an address, so it only helps where the router answers NTP itself.`,
    '',
  );

  // DHCP.
  const dynamic = Math.max(0, site.chargers.count - statics);
  const free = plan.dhcp.size - dynamic;
  out.push(
    '## DHCP',
    '',
    '| | |',
    '| --- | --- |',
    `| Pool | \`${plan.dhcp.first}\` – \`${plan.dhcp.last}\` (${site.network.dhcp.pool === 'auto' ? 'auto: the highest free run in the subnet' : 'from the spec'}) |`,
    `| Size | ${plan.dhcp.size} addresses; ${site.chargers.count} chargers + ${site.network.dhcp.headroom}% headroom need ${plan.dhcp.needed} |`,
    `| Free | ${free} addresses left when every charger without a static lease (${dynamic}) holds one |`,
    `| Lease time | ${plan.dhcp.leaseTime} (${plan.dhcp.leaseSeconds} s) |`,
    `| Gateway, DNS | \`${plan.dhcp.router}\`, ${plan.dhcp.dnsServers.map(mdCode).join(', ')} |`,
  );
  for (const v of variants(plans, (p) => p.dhcp.ntpServers)) {
    out.push(`| NTP server (option 42)${forTargets(v.targets)} | ${v.value.length ? v.value.map(mdCode).join(', ') : 'not handed out (the router does not answer NTP)'} |`);
  }
  out.push('');
  if (statics) {
    out.push('Static leases:', '', '| unit | MAC | address | survey signal |', '| --- | --- | --- | --- |');
    const rssi = new Map(site.chargers.units.map((u) => [u.name, u.rssi]));
    for (const l of plan.dhcp.staticLeases) {
      const r = rssi.get(l.name);
      out.push(`| ${mdText(l.name)} | \`${l.mac}\` | \`${l.ip}\` | ${r === undefined ? '–' : `${r} dBm`} |`);
    }
    out.push('');
  }

  // Wi-Fi.
  out.push('## Wi-Fi', '');
  if (plan.wifi) {
    const w = plan.wifi;
    out.push(
      '| | |',
      '| --- | --- |',
      `| SSID | ${mdText(w.ssid)} |`,
      `| Band, channel | 2.4 GHz only, fixed channel ${w.channel} (${w.frequencyMHz} MHz), ${w.widthMHz} MHz wide; never auto (auto may drift to 12/13, which the chargers cannot use) |`,
      `| Standards | 802.11 ${w.standards.join('/')} |`,
      `| Country | ${w.country} |`,
      `| Security | WPA2-PSK, CCMP (AES) |`,
      `| Passphrase | ${w.passphrase.kind === 'env' ? `from the environment variable \`${w.passphrase.name}\` when rendering with \`--with-secrets\`` : 'written in the spec (move it to `{ env: CHARGER_WIFI_PSK }`)'}; never shown here |`,
      `| Minimum signal | ${w.minSignalDbm} dBm; ${w.enforceMinSignal ? 'enforced at the AP (clients weaker than this are disconnected)' : 'a site-survey acceptance check, not enforced at the AP'} |`,
      '',
    );
  } else {
    out.push('No Wi-Fi in the spec: the chargers connect over 4G, PLC/Ethernet or an existing WLAN. If that WLAN is yours, it must still be 2.4 GHz on a fixed channel 1–11.', '');
  }

  // Data budget.
  const perDay = site.chargers.count * profile.traffic.perChargerPerDayMB;
  out.push(
    '## Data budget',
    '',
    `${site.chargers.count} chargers × ${profile.traffic.perChargerPerDayMB} MB per day (${mdText(profile.name)} figure) = **${fmtMB(perDay)} per day**, **${fmtMB(perDay * 30)} per 30-day month**. Size a 4G plan from the monthly figure.`,
  );
  if (profile.traffic.perChargeCycleMB) {
    const cycles = site.chargers.count * profile.traffic.perChargeCycleMB * 30;
    out.push('', `Newer firmware adds about ${profile.traffic.perChargeCycleMB} MB per charge cycle: with one charge per charger per day that is another ${fmtMB(cycles)} per month (${fmtMB(perDay * 30 + cycles)} in all).`);
  }
  out.push('');

  // Warnings.
  out.push('## Warnings', '');
  const warnings = [
    ...input.specWarnings.filter((d) => d.severity === 'warning').map((d) => `- \`${d.code}\` (spec, \`${d.path || '-'}\`): ${mdText(d.message)}`),
    ...variants(plans, (p) => p.warnings.map((w) => `${w.code}\u0000${w.message}`).sort()).flatMap((v) =>
      v.value.map((w) => {
        const [code, message] = w.split('\u0000');
        return `- \`${code}\`${forTargets(v.targets)}: ${mdText(message)}`;
      }),
    ),
  ];
  out.push(...(warnings.length ? warnings : ['None.']), '');

  // Installer checklist.
  out.push('## Installer checklist', '');
  const tools = plan.profile.tools;
  const lowest = site.chargers.units.filter((u) => u.rssi !== undefined).sort((a, b) => a.rssi! - b.rssi!);
  out.push(
    `- [ ] Every charger gets an address: ${site.chargers.count} chargers, ${statics ? `${plural(statics, 'static lease')} (table above) and ` : ''}the pool \`${plan.dhcp.first}\` – \`${plan.dhcp.last}\`; check the router's lease list.`,
  );
  // The on-site check: one command proves most of this list from the charger segment (README "On site").
  const where = plan.wifi ? `on the charger SSID ${mdText(plan.wifi.ssid)}` : plan.network.vlan !== undefined ? `on a port of VLAN ${plan.network.vlan}` : 'on the charger segment';
  out.push(
    `- [ ] From a laptop ${where}, \`npx chargewall verify <spec> --format markdown -o verify-${site.site.id}.md\`${plan.wifi ? ' (with `--wifi <interface>` next to the weakest charger)' : ''} exits 0: address and gateway, DNS through the router, the fallback resolvers as the policy says, NTP, TLS to every cloud host, and the default deny. Commit the file next to the spec; chargewall's README, section "On site", says what each failure means and what to fix.`,
  );
  if (plan.wifi) {
    out.push(
      `- [ ] Signal at every charger is ${plan.wifi.minSignalDbm} dBm or better in the ${mdText(tools.app)}${tools.appSignalView ? ` (${mdText(tools.appSignalView)})` : ''}${lowest.length ? `; weakest survey readings: ${lowest.slice(0, 3).map((u) => `${mdText(u.name)} ${u.rssi} dBm`).join(', ')}` : ''}.`,
      `- [ ] The access point's 2.4 GHz radio is fixed to channel ${plan.wifi.channel} (not auto), 20 MHz, country ${plan.wifi.country}; the SSID is not on 5 GHz only.`,
    );
  }
  out.push(
    `- [ ] NTP is reachable from the charger segment before the first boot: ${mdCode(profile.ntp.host)} answers on UDP 123 (a wrong clock means the charger cannot authenticate; \`verify\` check \`ntp\`).`,
    `- [ ] DNS from the charger segment resolves ${mdCode(profile.endpoints[0]?.hosts[0] ?? profile.ntp.host)} through the router (\`${plan.network.gateway}\`; \`verify\` checks \`dns:<host>\`).`,
    `- [ ] Every charger shows online in the ${mdText(tools.portal)} after installation.`,
    // Rules, DHCP and Wi-Fi must come back by themselves (on Linux: the chargewall-<site>.service boot unit).
    `- [ ] Restart the router once: every charger is back online in the ${mdText(tools.portal)} within a few minutes, with nobody touching it.`,
  );
  return out.join('\n') + '\n';
}
