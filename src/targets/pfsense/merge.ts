/**
 * Merges chargewall's items into an admin's pfSense backup by splicing text at located positions:
 * every byte outside chargewall's own items stays as it was, and merging the result again changes
 * nothing (own items are recognised by their description tag and replaced in place).
 *
 * pfSense's Backup & Restore replaces a whole area, so handing out bare sections would wipe the
 * admin's rules; the merged document carries their rules and ours together.
 */
import type { Plan } from '../../plan/types.js';
import { isIPv4 } from '../../util/ipv4.js';
import { RenderError, type TargetDiagnostic } from '../types.js';
import { termText } from './escape.js';
import { auditRulesBefore } from './audit.js';
import { isOwnDescr, sections, trackerBase, type PfModel } from './model.js';
import { describeDiff, hashOf, meaning, meaningOfText, readRecord, recordElement, writeRecord, type WriteRecord as CwRecord } from './record.js';
import { child, childrenNamed, lineCol, parseXml, textOf, writeEl, XmlError, type El, type XNode } from './xml.js';

export interface MergeResult {
  text: string;
  /** What changed, one line per section, for STEPS.md. */
  changes: string[];
  /** Things the admin should know or check (not changed by the merge). */
  notes: string[];
  /** The charger interface as pfSense's menus and tabs name it: its description, else the id in capitals. */
  ifLabel?: string;
}

/**
 * pfSense's GUI names an interface by its description (Interfaces > CHARGERS, the Firewall > Rules
 * and DHCP Server tabs), and only an interface without one by its id in capitals (OPT1). The GUI
 * accepts descriptions of letters, digits and '_' only; anything else (a hand-edited backup) falls
 * back to the id, so no backup text reaches a message or STEPS.md unchecked.
 */
export function guiName(iface: string, descr: string): string {
  return /^[A-Za-z0-9_]{1,64}$/.test(descr) ? descr : iface.toUpperCase();
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

/**
 * Every message may quote the backup: one line, no terminal controls. `path` is the spec setting that
 * disagrees with the backup, where the refusal is located; without one it is the backup itself.
 */
const refuse = (file: string, why: string, path?: string[]) => new RenderError(termText(`--pfsense-config ${file}: ${why}`), 'pfsense-config', path);

export interface MergeOptions {
  /** Where the merge reports what it takes over or drops (RenderOptions.report). */
  report?: (d: TargetDiagnostic) => void;
  /** targets.pfsense.acceptRules. */
  acceptRules?: readonly string[];
  /** Revert the admin's GUI edits of chargewall's items instead of refusing (--pfsense-overwrite-edits). */
  overwriteEdits?: boolean;
}

/**
 * Pure: backup text in, merged text out. Call it again on its result to merge another site (each
 * site's items carry their own tag, so one merge never touches another site's items).
 */
export function mergeConfig(doc: string, file: string, model: PfModel, plan: Plan, options: MergeOptions = {}): MergeResult {
  // A backup with CRLF line ends (saved on Windows) comes back with CRLF throughout: merged as LF, converted back.
  const lf = doc.split('\n').length - 1;
  if (lf > 0 && doc.split('\r\n').length - 1 === lf) {
    const r = mergeLf(doc.replace(/\r\n/g, '\n'), file, model, plan, options);
    return { ...r, text: r.text.replace(/\n/g, '\r\n') };
  }
  return mergeLf(doc, file, model, plan, options);
}

function mergeLf(doc: string, file: string, model: PfModel, plan: Plan, options: MergeOptions): MergeResult {
  const notes: string[] = [];
  // Each report reaches the terminal (located in the spec) and the checklist of STEPS.md.
  const report = (d: TargetDiagnostic) => {
    const message = termText(d.message);
    options.report?.({ ...d, message });
    notes.push(`${d.severity === 'error' ? 'Error' : 'Warning'} (${d.code}): ${message}.`);
  };
  if (isEncrypted(doc)) throw refuse(file, 'the backup is encrypted; download it again in Diagnostics > Backup & Restore without "Encrypt this configuration file"');
  // The merge works on text and writes UTF-8: a backup in another encoding would come back corrupted.
  const declared = /^\uFEFF?<\?xml[^>]*?\bencoding\s*=\s*["']([^"']*)["']/.exec(doc.slice(0, 200))?.[1];
  if (declared !== undefined && !/^utf-?8$/i.test(declared)) {
    throw refuse(file, `the backup declares encoding="${declared}"; chargewall merges UTF-8 only, and pfSense writes UTF-8. Convert it first (iconv -f ${declared} -t UTF-8, and set encoding="UTF-8" in the first line), or download it again from the firewall`);
  }
  const bad = doc.indexOf('\uFFFD');
  if (bad >= 0) throw refuse(file, `the backup is not valid UTF-8 (at ${lineCol(doc, bad)}); pfSense writes UTF-8: download it again from the firewall, or convert it to UTF-8`);
  let root: XNode;
  try {
    root = parseXml(doc);
  } catch (e) {
    if (e instanceof XmlError) throw refuse(file, `not a pfSense config: not well-formed XML at ${lineCol(doc, e.offset)} (${e.message})`);
    throw e;
  }
  if (root.name.toLowerCase() !== 'pfsense') {
    throw refuse(file, `not a pfSense config: the root element is <${root.name}>, pfSense backups start with <pfsense>${root.name.toLowerCase() === 'opnsense' ? ' (this is an OPNsense config)' : ''}`);
  }
  // pfSense reads element names case-insensitively and refuses a config with a section twice.
  for (const name of ['interfaces', 'aliases', 'filter', 'nat', 'dhcpd', 'vlans', 'ifgroups']) {
    const twice = childrenNamed(root, name);
    if (twice.length > 1) throw refuse(file, `the backup has the section <${name}> ${twice.length} times (${twice.map((n) => `<${n.name}> at ${lineCol(doc, n.start)}`).join(', ')}); pfSense reads element names without case and refuses such a config ("cannot occur more than once"): keep one`);
  }
  const iface = model.iface;
  const interfaces = child(root, 'interfaces');
  const ifNode = child(interfaces, iface);
  if (!ifNode) {
    const have = interfaces?.children.map((c) => `${c.name}${textOf(doc, child(c, 'descr')) ? ` (${textOf(doc, child(c, 'descr'))})` : ''}`) ?? [];
    throw refuse(file, `the backup has no interface '${iface}' (targets.pfsense.interface); it has ${have.length ? have.join(', ') : 'none'}. Assign the charger interface in Interfaces > Assignments first, or set targets.pfsense.interface`, ['targets', 'pfsense', 'interface']);
  }
  const shown = guiName(iface, textOf(doc, child(ifNode, 'descr')));
  const ipaddr = textOf(doc, child(ifNode, 'ipaddr'));
  const subnet = textOf(doc, child(ifNode, 'subnet'));
  if (!isIPv4(ipaddr) || ipaddr !== plan.network.gateway || subnet !== String(plan.network.prefix)) {
    throw refuse(file, `interface ${iface} has IPv4 address '${ipaddr || 'none'}${subnet ? `/${subnet}` : ''}', but the spec puts the chargers' gateway at ${plan.network.gateway}/${plan.network.prefix}: set the interface's static IPv4 address to that (Interfaces > ${shown}) or fix network.gateway / network.subnet`, ipaddr === plan.network.gateway ? ['network', 'subnet'] : ['network', 'gateway']);
  }

  // The VLAN the interface sits on, against the spec's (the access point and switch get the spec's tag).
  const device = textOf(doc, child(ifNode, 'if'));
  const vlanEntry = childrenNamed(child(root, 'vlans'), 'vlan').find((v) => textOf(doc, child(v, 'vlanif')) === device);
  const tag = vlanEntry ? Number(textOf(doc, child(vlanEntry, 'tag'))) : undefined;
  if (plan.network.vlan !== undefined && tag !== undefined && tag !== plan.network.vlan) {
    report({ severity: 'error', code: 'pfsense-vlan-mismatch', path: ['network', 'vlan'], message: `interface ${iface} is ${device}, VLAN ${tag} on ${textOf(doc, child(vlanEntry, 'if'))} in the backup, but the spec puts the chargers on VLAN ${plan.network.vlan} (the access point and switch are set up with that tag): fix network.vlan or the interface assignment` });
  } else if (plan.network.vlan !== undefined && tag === undefined) {
    report({ severity: 'warning', code: 'pfsense-vlan-untagged', path: ['network', 'vlan'], message: `interface ${iface} is ${device || '(no device)'}, which is not a VLAN of the backup's Interfaces > VLANs, but the spec puts the chargers on VLAN ${plan.network.vlan}: the switch must tag that port itself` });
  } else if (plan.network.vlan === undefined && tag !== undefined) {
    report({ severity: 'warning', code: 'pfsense-vlan-mismatch', path: ['network', 'vlan'], message: `interface ${iface} is VLAN ${tag} (${device}) in the backup, but the spec has no network.vlan: STEPS.md then tells the installer to set up the access point untagged; set network.vlan: ${tag}` });
  }

  const descrOfNode = (n: XNode) => textOf(doc, child(n, 'descr'));
  auditRulesBefore({ doc, root, iface, subnet: plan.network.subnet, accept: options.acceptRules ?? [], own: (n) => isOwnDescr(descrOfNode(n), model.tag), report });

  const s = sections(model);
  const edits: Edit[] = [];
  const changes: string[] = [];
  if (child(ifNode, 'enable') === undefined) report({ severity: 'warning', code: 'pfsense-interface-disabled', path: ['targets', 'pfsense', 'interface'], message: `interface ${iface} is not enabled in the backup, so pfSense generates no rules and no DHCP server for it: enable it in Interfaces > ${shown}` });

  const descrOf = (n: XNode) => textOf(doc, child(n, 'descr'));
  const own = (n: XNode) => isOwnDescr(descrOf(n), model.tag);

  // Aliases: ours by tag; an admin alias with one of our names is a conflict we must not overwrite.
  const aliasesNode = child(root, 'aliases');
  const ownNames = new Set(model.aliases.map((a) => a.name));
  for (const a of childrenNamed(aliasesNode, 'alias')) {
    const name = textOf(doc, child(a, 'name'));
    if (!own(a) && ownNames.has(name)) throw refuse(file, `the backup already has an alias '${name}' that chargewall did not write (its description does not start with '${model.tag}'); rename or delete it first`);
  }
  for (const c of interfaces!.children) {
    const d = textOf(doc, child(c, 'descr'));
    if (ownNames.has(d)) throw refuse(file, `interface ${c.name} is named '${d}', the same as a chargewall alias; pfSense refuses that`);
  }
  // An alias chargewall no longer needs but something of the admin's still names stays: pfSense skips
  // a rule whose alias is missing ("Unresolvable destination alias").
  const gone = childrenNamed(aliasesNode, 'alias').filter((a) => own(a) && !ownNames.has(textOf(doc, child(a, 'name'))));
  const keep: string[] = [];
  if (gone.length) {
    const used = referencedNames(doc, root, own);
    for (const a of gone) {
      const name = textOf(doc, child(a, 'name'));
      if (!used.has(name)) continue;
      const sp = lineSpan(doc, a);
      keep.push(doc.slice(sp.start, sp.end));
      report({ severity: 'warning', code: 'pfsense-alias-kept', path: ['extraEndpoints'], message: `alias ${name} is no longer in the spec, but an item of the admin's in the backup still uses it; chargewall keeps it (pfSense would skip that rule at boot: "Unresolvable alias"). Change that item, then render again to remove the alias` });
    }
  }
  changes.push(section(doc, root, 'aliases', 'alias', s.aliases, own, undefined, edits, `${s.aliases.length} host aliases`, keep.join('')));

  // Filter rules: ours before the interface's existing rules (first match wins). A rule is chargewall's
  // when it carries one of the site's trackers (a rename in the GUI keeps the tracker), or its tag and no
  // tracker of another; a tagged rule with a foreign tracker is a GUI copy, which is the admin's now.
  const filterNode = child(root, 'filter');
  const base = trackerBase(plan.site.id);
  const trackerOf = (n: XNode) => textOf(doc, child(n, 'tracker')).replace(/^0+(?=\d)/, '');
  const inBlock = (t: string) => /^\d+$/.test(t) && Number(t) >= base && Number(t) < base + 100;
  const ownRule = (n: XNode) => (inBlock(trackerOf(n)) ? true : own(n) && !/^\d+$/.test(trackerOf(n)));
  const onIface = (n: XNode) => textOf(doc, child(n, 'interface')) === iface && child(n, 'floating') === undefined;
  const allRules = childrenNamed(filterNode, 'rule');
  for (const r of allRules.filter((x) => own(x) && !ownRule(x))) {
    report({ severity: 'warning', code: 'pfsense-rule-copy-kept', path: ['targets', 'pfsense', 'interface'], message: `rule '${descrOf(r)}' (tracker ${trackerOf(r)}) carries chargewall's tag but not one of its trackers: a copy made in the GUI. chargewall leaves it as the admin's rule (where it sits, it ${onIface(r) ? `comes after chargewall's final block on ${iface} and never matches` : 'is not on the charger interface'}); change its description if you keep it` });
  }
  const others = allRules.filter((r) => !ownRule(r));
  const after = others.filter(onIface);
  if (after.length && plan.defaultAction === 'drop') {
    report({ severity: 'warning', code: 'pfsense-rule-shadowed', path: ['policy', 'defaultDeny'], message: `${after.length} existing rule(s) on ${iface} come after chargewall's final block rule and will no longer match: ${after.map((r) => `'${descrOf(r) || '(no description)'}' (tracker ${trackerOf(r) || 'none'})`).join(', ')}. Put what the chargers need from them into the spec` });
  }
  // The admin's GUI edits of chargewall's items, found against what chargewall last wrote (the record).
  const record = readRecord(doc, root, plan.site.id);
  const next: CwRecord = { hashes: new Map(), order: model.rules.map((r) => String(r.tracker)) };
  const guiEdits: string[] = [];
  const natOwn = childrenNamed(child(root, 'nat'), 'rule').filter(own);
  const compare = (key: string, what: string, node: XNode | undefined, nextXml: string | undefined) => {
    const want = nextXml === undefined ? undefined : meaningOfText(nextXml);
    if (want) next.hashes.set(key, hashOf(want));
    if (!node) {
      if (record?.hashes.has(key) && want) guiEdits.push(`${what}: deleted on the firewall; the render adds it back`);
      return;
    }
    // The DHCP server: only the settings chargewall writes count (the page's Save adds defaults, which
    // are reported as dropped settings instead of refused).
    const cur = key.startsWith('d:') ? meaning(doc, node).filter(isOwnDhcpLine) : meaning(doc, node);
    const recorded = record?.hashes.get(key);
    const edited = recorded !== undefined ? hashOf(cur) !== recorded : cur.some((l) => l === 'disabled=(on)') || (key.startsWith('r:') && !own(node));
    if (edited && (!want || hashOf(cur) !== hashOf(want))) {
      guiEdits.push(`${what}: ${want ? describeDiff(cur, want).join('; ') : 'changed on the firewall, and the spec no longer has it: the render removes it'}`);
    }
  };
  const aliasNodes = new Map(childrenNamed(aliasesNode, 'alias').filter(own).map((a) => [textOf(doc, child(a, 'name')), a]));
  for (const [i, a] of model.aliases.entries()) compare(`a:${a.name}`, `alias ${a.name}`, aliasNodes.get(a.name), writeEl(s.aliases[i], 0));
  for (const [name, a] of aliasNodes) if (!ownNames.has(name)) compare(`a:${name}`, `alias ${name}`, a, undefined);
  const ruleNodes = new Map(allRules.filter(ownRule).map((r) => [trackerOf(r), r]));
  for (const [i, r] of model.rules.entries()) compare(`r:${r.tracker}`, `rule '${r.descr}' (tracker ${r.tracker})`, ruleNodes.get(String(r.tracker)), writeEl(s.filter[i], 0));
  for (const [t, r] of ruleNodes) if (!next.hashes.has(`r:${t}`)) compare(`r:${t}`, `rule '${descrOf(r)}' (tracker ${t})`, r, undefined);
  for (const [i, n] of s.nat.entries()) compare(`n:${i}`, `port forward '${model.nat[i].descr}'`, natOwn[i], writeEl(n, 0));
  for (const n of natOwn.slice(s.nat.length)) compare(`n:x`, `port forward '${descrOf(n)}'`, n, undefined);
  compare(`d:${iface}`, `DHCP server of ${iface}`, record?.hashes.has(`d:${iface}`) ? child(child(root, 'dhcpd'), iface) : undefined, writeEl(s.dhcpd, 0));
  // Moved: another rule between chargewall's, or chargewall's in another order than written.
  const ownIdx = allRules.map((r, i) => (ownRule(r) ? i : -1)).filter((i) => i >= 0);
  if (ownIdx.length && ownIdx[ownIdx.length - 1] - ownIdx[0] + 1 !== ownIdx.length) {
    const between = allRules.slice(ownIdx[0], ownIdx[ownIdx.length - 1]).filter((r) => !ownRule(r));
    guiEdits.push(`rules: chargewall's rules were moved apart on the firewall (${between.map((r) => `'${descrOf(r) || trackerOf(r)}'`).join(', ')} now between them); the render puts them back together, in the spec's order, where the first one is`);
  } else if (record?.order.length) {
    const now = ownIdx.map((i) => trackerOf(allRules[i])).filter((t) => record.order.includes(t));
    const was = record.order.filter((t) => now.includes(t));
    if (now.join() !== was.join()) guiEdits.push(`rules: chargewall's rules were reordered on the firewall (now ${now.join(', ')}); the render restores the spec's order`);
  }
  if (guiEdits.length && !options.overwriteEdits) {
    throw refuse(file, `chargewall's items were changed on the firewall since chargewall wrote them, and this render would revert that: ${guiEdits.map((e, i) => `(${i + 1}) ${e}`).join('; ')}. To keep a change, make it in the spec (or undo it in the GUI) and render again; to revert them all, render with --pfsense-overwrite-edits`);
  }
  for (const e of guiEdits) report({ severity: 'warning', code: 'pfsense-gui-edit-reverted', path: ['targets', 'pfsense'], message: `reverting a change made on the firewall: ${e}` });

  changes.push(section(doc, root, 'filter', 'rule', s.filter, ownRule, after[0], edits, `${s.filter.length} rules on ${iface}`));
  shiftSeparators(doc, filterNode, iface, allRules.filter(onIface).map(ownRule), s.filter.length, edits, changes);

  // NAT port forwards (DNS/NTP redirects).
  if (s.nat.length || childrenNamed(child(root, 'nat'), 'rule').some(own)) {
    const natOthers = childrenNamed(child(root, 'nat'), 'rule').filter((r) => !own(r) && onIface(r));
    changes.push(section(doc, root, 'nat', 'rule', s.nat, own, natOthers[0], edits, `${s.nat.length} port forwards`));
  }

  // DHCP server of the charger interface: the whole <dhcpd><iface> is chargewall's.
  const dhcpd = child(root, 'dhcpd');
  const existing = child(dhcpd, iface);
  const dhcpText = writeEl(s.dhcpd, 2);
  if (!dhcpd) {
    edits.push(insertSection(doc, root, 'dhcpd', dhcpText));
    changes.push(`dhcpd: added the DHCP server on ${iface}`);
  } else if (existing) {
    const span = lineSpan(doc, existing);
    const old = doc.slice(span.start, span.end);
    if (old === dhcpText) changes.push(`dhcpd: ${iface} unchanged`);
    else {
      const peer = textOf(doc, child(existing, 'failover_peerip'));
      if (peer) throw refuse(file, `the DHCP server of ${iface} has a failover peer (${peer}); chargewall replaces that server and would break the failover pair. Remove the failover peer on both firewalls (Services > DHCP Server > ${shown}) first`);
      edits.push({ ...span, text: dhcpText });
      const maps = childrenNamed(existing, 'staticmap');
      const foreign = maps.filter((m) => !own(m));
      const dropped = droppedDhcpSettings(doc, existing);
      const ours = record?.hashes.has(`d:${iface}`) || (!dropped.length && !foreign.length && maps.length > 0);
      changes.push(`dhcpd: replaced the DHCP server settings of ${iface} (the interface is the chargers')`);
      if (!ours) {
        const range = child(existing, 'range');
        report({ severity: 'warning', code: 'pfsense-dhcp-replaced', path: ['targets', 'pfsense', 'interface'], message: `the backup's DHCP server on ${iface} (${child(existing, 'enable') ? 'enabled' : 'disabled'}, pool ${textOf(doc, child(range, 'from')) || '-'} to ${textOf(doc, child(range, 'to')) || '-'}) is replaced by chargewall's (pool ${model.dhcp.from} to ${model.dhcp.to})` });
      }
      if (dropped.length) {
        report({ severity: 'warning', code: 'pfsense-dhcp-setting-dropped', path: ['network', 'dhcp'], message: `replacing the DHCP server on ${iface} drops these settings of the backup: ${dropped.join('; ')}. Put back by hand (Services > DHCP Server > ${shown}) those the chargers need` });
      }
      if (foreign.length) {
        const list = foreign.map((m) => `${textOf(doc, child(m, 'mac')) || textOf(doc, child(m, 'cid'))} ${textOf(doc, child(m, 'ipaddr'))}${descrOf(m) ? ` '${descrOf(m)}'` : ''}`.trim());
        report({ severity: 'warning', code: 'pfsense-dhcp-staticmap-dropped', path: ['chargers', 'units'], message: `replacing the DHCP server on ${iface} drops ${foreign.length} static mapping(s) chargewall did not write: ${list.join(', ')}. Add them to chargers.units if they are chargers` });
      }
    }
  } else {
    edits.push(insertInto(doc, dhcpd, dhcpText, 2));
    changes.push(`dhcpd: added the DHCP server on ${iface}`);
  }

  // A DHCP server chargewall wrote on another interface (targets.pfsense.interface changed): found by
  // its tagged static mappings; it would keep serving the old segment, so it goes.
  for (const srv of dhcpd?.children ?? []) {
    const name = srv.name.toLowerCase();
    if (name === iface || !childrenNamed(srv, 'staticmap').some(own)) continue;
    if (childrenNamed(srv, 'staticmap').some((m) => !own(m)) || droppedDhcpSettings(doc, srv).length) {
      report({ severity: 'warning', code: 'pfsense-dhcp-old-interface', path: ['targets', 'pfsense', 'interface'], message: `the DHCP server on ${name} holds static mappings chargewall wrote for this site, and settings of the admin's; the chargers are on ${iface} now: remove chargewall's mappings there by hand (Services > DHCP Server > ${guiName(name, textOf(doc, child(child(interfaces, name), 'descr')))})` });
      continue;
    }
    edits.push({ ...lineSpan(doc, srv), text: '' });
    changes.push(`dhcpd: removed the DHCP server chargewall wrote on ${name} (the chargers are on ${iface} now)`);
    report({ severity: 'warning', code: 'pfsense-dhcp-old-interface', path: ['targets', 'pfsense', 'interface'], message: `the DHCP server chargewall wrote on ${name} (before targets.pfsense.interface became ${iface}) is removed, so it stops serving that segment` });
  }

  // The record of what this merge wrote, for the next one.
  for (const k of keep) {
    const name = /<name>([^<]*)<\/name>/.exec(k)?.[1];
    if (name) next.hashes.set(`a:${name}`, hashOf(meaningOfText(k.trim())));
  }
  edits.push(recordEdit(doc, root, plan.site.id, writeRecord(next)));

  // Services chargewall relies on but does not configure (admin-wide settings).
  const unboundIfs = textOf(doc, child(child(root, 'unbound'), 'active_interface'));
  if (child(root, 'unbound') === undefined) notes.push(`The DNS Resolver (unbound) is not configured in the backup: DNS redirect needs a resolver answering on ${iface} (Services > DNS Resolver).`);
  else if (unboundIfs && !unboundIfs.split(',').some((x) => x === 'all' || x === iface)) notes.push(`The DNS Resolver listens only on '${unboundIfs}': add ${shown} in Services > DNS Resolver > Network Interfaces, or the redirected DNS queries go unanswered.`);
  if (plan.ntp.strategy === 'redirect') {
    const ntpIfs = textOf(doc, child(child(root, 'ntpd'), 'interface'));
    if (ntpIfs && !ntpIfs.split(',').includes(iface)) notes.push(`NTP listens only on '${ntpIfs}': add ${shown} in Services > NTP > Interfaces, or the redirected NTP queries go unanswered.`);
  }

  return { text: apply(doc, edits), changes, notes, ifLabel: shown };
}

/**
 * Replaces the section's own items in place, or inserts them before `anchor` (an existing item) or at
 * the end of the section; creates the section when the backup lacks it. Returns a one-line summary.
 */
function section(doc: string, root: XNode, name: string, item: string, items: El[], own: (n: XNode) => boolean, anchor: XNode | undefined, edits: Edit[], what: string, kept = ''): string {
  const node = child(root, name);
  const text = items.map((e) => writeEl(e, 2)).join('') + kept;
  if (!node) {
    if (items.length) edits.push(insertSection(doc, root, name, text));
    return `${name}: created the section with ${what}`;
  }
  const mine = childrenNamed(node, item).filter(own);
  if (mine.length) {
    const spans = mine.map((n) => lineSpan(doc, n));
    const old = spans.map((sp) => doc.slice(sp.start, sp.end)).join('');
    const contiguous = spans.every((sp, i) => i === 0 || doc.slice(spans[i - 1].end, sp.start) === '');
    if (old === text && contiguous) return `${name}: ${what} unchanged`;
    edits.push({ ...spans[0], text });
    for (const sp of spans.slice(1)) edits.push({ ...sp, text: '' });
    return `${name}: replaced chargewall's ${mine.length} previous item(s) with ${what}`;
  }
  if (!items.length) return `${name}: nothing to add`;
  if (anchor) {
    const sp = lineSpan(doc, anchor);
    edits.push({ start: sp.start, end: sp.start, text: sp.whole ? text : text.replace(/^\t+/, '') });
  } else edits.push(insertInto(doc, node, text, 2));
  return `${name}: added ${what}${anchor ? ' before the existing rules of that interface' : ''}`;
}

/** The element plus its indentation and line break when it sits on lines of its own. */
function lineSpan(doc: string, n: XNode): { start: number; end: number; whole: boolean } {
  const ls = doc.lastIndexOf('\n', n.start - 1) + 1;
  let le = doc.indexOf('\n', n.end);
  if (le < 0) le = doc.length;
  const whole = doc.slice(ls, n.start).trim() === '' && doc.slice(n.end, le).trim() === '';
  return whole ? { start: ls, end: Math.min(le + 1, doc.length), whole } : { start: n.start, end: n.end, whole };
}

/** Inserts whole lines at the end of an element's content (before the line of its end tag). */
function insertInto(doc: string, n: XNode, text: string, depth: number): Edit {
  if (n.selfClosing) return { start: n.start, end: n.end, text: `<${n.name}>\n${text}${'\t'.repeat(depth - 1)}</${n.name}>` };
  const ls = doc.lastIndexOf('\n', n.innerEnd - 1) + 1;
  if (ls > n.innerStart && doc.slice(ls, n.innerEnd).trim() === '') return { start: ls, end: ls, text };
  return { start: n.innerEnd, end: n.innerEnd, text: `\n${text}${'\t'.repeat(depth - 1)}` };
}

/** A missing top-level section goes just before </pfsense>. */
function insertSection(doc: string, root: XNode, name: string, text: string): Edit {
  return insertInto(doc, root, `\t<${name}>\n${text}\t</${name}>\n`, 1);
}

function apply(doc: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  for (const e of sorted) {
    if (e.start < at) throw new Error('pfsense merge: overlapping edits');
    out += doc.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + doc.slice(at);
}

/** Elements of a DHCP server chargewall writes (everything else of an existing server is dropped). */
const DHCP_OWN = new Set(['enable', 'range', 'gateway', 'dnsserver', 'ntpserver', 'defaultleasetime', 'maxleasetime', 'staticmap']);
/** Settings pfSense stores as a present-but-empty element when they are on. */
const DHCP_FLAGS = new Set(['staticarp', 'ddnsupdate', 'ddnsforcehostname', 'netboot', 'denyunknown', 'ignorebootp', 'ignoreclientuids', 'nonak', 'dhcpleaseinlocaltime', 'disablepingcheck', 'statsgraph', 'ddnsdomainprimary', 'nodnsregpolicy']);

/** `name=value` of every setting of an existing DHCP server that chargewall's does not carry. */
function droppedDhcpSettings(doc: string, server: XNode): string[] {
  const out: string[] = [];
  for (const c of server.children) {
    if (DHCP_OWN.has(c.name.toLowerCase())) continue;
    if (c.children.length) {
      const items = c.children.flatMap((i) => (i.children.length ? [i.children.map((f) => `${f.name}=${textOf(doc, f)}`).filter((x) => !x.endsWith('=')).join(',')] : textOf(doc, i) ? [`${i.name}=${textOf(doc, i)}`] : []));
      if (items.length) out.push(`${c.name} (${items.join(' | ')})`);
      continue;
    }
    const v = textOf(doc, c);
    if (v) out.push(`${c.name}=${v}`);
    else if (DHCP_FLAGS.has(c.name)) out.push(`${c.name} (on)`);
  }
  return out;
}

/** An encrypted backup: `---- BEGIN config.xml ----` (a linear scan: no regular expression backtracking over runs of dashes). */
export function isEncrypted(doc: string): boolean {
  let at = doc.indexOf('BEGIN config.xml');
  while (at >= 0) {
    let i = at - 1;
    while (i >= 0 && /\s/.test(doc[i])) i--;
    let dashes = 0;
    while (i >= 0 && doc[i] === '-' && dashes < 3) {
      dashes++;
      i--;
    }
    if (dashes >= 3) return true;
    at = doc.indexOf('BEGIN config.xml', at + 1);
  }
  return false;
}

/** Every word of the backup's values outside chargewall's own items and free text: where alias names are used. */
function referencedNames(doc: string, root: XNode, own: (n: XNode) => boolean): Set<string> {
  const out = new Set<string>();
  const walk = (n: XNode) => {
    if ((n.name === 'alias' || n.name === 'rule') && own(n)) return;
    if (!n.children.length) {
      if (n.name !== 'descr' && n.name !== 'detail') for (const w of textOf(doc, n).split(/[\s,]+/)) if (w) out.add(w);
      return;
    }
    n.children.forEach(walk);
  };
  walk(root);
  return out;
}

/** Writes or replaces this site's record under <chargewall> (created just before </pfsense> when missing). */
function recordEdit(doc: string, root: XNode, siteId: string, value: string): Edit {
  const name = recordElement(siteId);
  const line = `\t\t<${name}>${value}</${name}>\n`;
  const section = child(root, 'chargewall');
  if (!section) return insertSection(doc, root, 'chargewall', line);
  const mine = child(section, name);
  if (mine) {
    const sp = lineSpan(doc, mine);
    return sp.whole ? { start: sp.start, end: sp.end, text: line } : { start: sp.start, end: sp.end, text: `<${name}>${value}</${name}>` };
  }
  return insertInto(doc, section, line, 2);
}

/**
 * Keeps the interface's GUI separators (<filter><separator><iface><sepN><row>frK</row>: shown above the
 * K-th rule of the interface) above the same rule of the admin's, as pfSense's own add_filter_rules()
 * does when it inserts rules: a separator above chargewall's block or above the admin's first rule
 * moves down by the rules inserted. `before` is the interface's rules in order, true for chargewall's.
 */
function shiftSeparators(doc: string, filterNode: XNode | undefined, iface: string, before: boolean[], count: number, edits: Edit[], changes: string[]): void {
  const seps = child(child(filterNode, 'separator'), iface)?.children ?? [];
  if (!seps.length) return;
  const firstOwn = before.indexOf(true);
  // Where chargewall's block sits among the admin's rules: in place of the old block, else at the top.
  const blockAt = firstOwn >= 0 ? before.slice(0, firstOwn).filter((o) => !o).length : 0;
  const adminIndex = (k: number) => before.slice(0, k).filter((o) => !o).length;
  const admins = before.filter((o) => !o).length;
  let moved = 0;
  for (const sep of seps) {
    const row = child(sep, 'row');
    const m = /^fr(\d+)$/.exec(textOf(doc, row));
    if (!row || !m || row.children.length) continue;
    const k = Number(m[1]);
    let now: number;
    if (k >= before.length) now = admins + count;
    else if (before[k]) now = blockAt;
    else {
      const j = adminIndex(k);
      now = j < blockAt ? j : j + count;
    }
    if (now === k) continue;
    edits.push({ start: row.innerStart, end: row.innerEnd, text: `fr${now}` });
    moved++;
  }
  if (moved) changes.push(`filter: moved ${moved} GUI separator(s) of ${iface} so they stay above the same rules`);
}

const isOwnDhcpLine = (line: string) => {
  const m = /^([a-z]+)(?:\[\d+\])?(?:\/([a-z]+))?/.exec(line);
  if (!m || !DHCP_OWN.has(m[1])) return false;
  return m[1] !== 'staticmap' || ['mac', 'ipaddr', 'hostname', 'descr'].includes(m[2] ?? '');
};
