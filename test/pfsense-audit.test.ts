/**
 * What the merge reports about the backup it lands on: rules pfSense evaluates before chargewall's
 * (floating, interface group), the DHCP server it replaces, the VLAN of the interface.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSpec } from '../src/pipeline.js';
import { root, testEnv } from './helpers.js';

const exampleText = readFileSync(join(root, 'examples/housing-association.yaml'), 'utf8');
const fixture = readFileSync(join(root, 'test/fixtures/pfsense/site-backup.xml'), 'utf8');
const withPf = (settings: string) => exampleText.replace('pfsense: { interface: opt2 }', `pfsense: { interface: opt2${settings} }`);
const accepted = withPf(', acceptRules: ["1764320022"]');

function run(spec: string, backup: string) {
  const r = renderSpec(spec, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv, pfsenseConfig: { file: 'backup.xml', text: backup } });
  const lineOf = (needle: string) => spec.split('\n').findIndex((l) => l.includes(needle)) + 1;
  return { ...r, lineOf, codes: r.diagnostics.map((d) => `${d.severity} ${d.code}`) };
}

/** A filter rule as the GUI writes it (the fields that matter here). */
const rule = (f: { type?: string; iface: string; floating?: boolean; quick?: boolean; direction?: string; source?: string; descr: string; tracker: string; disabled?: boolean }) =>
  `\t\t<rule>\n\t\t\t<tracker>${f.tracker}</tracker>\n\t\t\t<type>${f.type ?? 'pass'}</type>\n\t\t\t<interface>${f.iface}</interface>\n\t\t\t<ipprotocol>inet</ipprotocol>\n` +
  (f.floating ? `\t\t\t<direction>${f.direction ?? 'any'}</direction>\n\t\t\t<floating>yes</floating>\n` : '') +
  (f.quick ? '\t\t\t<quick>yes</quick>\n' : '') +
  (f.disabled ? '\t\t\t<disabled></disabled>\n' : '') +
  `\t\t\t<source>\n\t\t\t\t${f.source ?? '<any></any>'}\n\t\t\t</source>\n\t\t\t<destination>\n\t\t\t\t<any></any>\n\t\t\t</destination>\n\t\t\t<descr><![CDATA[${f.descr}]]></descr>\n\t\t</rule>\n`;
const addRules = (backup: string, ...rules: string[]) => backup.replace('\t\t<separator>\n', `${rules.join('')}\t\t<separator>\n`);

describe('pfsense merge: rules pfSense evaluates before chargewall\'s', () => {
  it('the fixture: its interface-group pass is an error at targets.pfsense, its floating block a warning; nothing is written', () => {
    const r = run(exampleText, fixture);
    const group = r.diagnostics.find((d) => d.code === 'pfsense-rule-before-chargewall')!;
    expect(group.severity).toBe('error');
    expect(group.message).toMatch(/interface group INTERNAL \(members include opt2\) 'Internal networks to the internet' \(tracker 1764320022\) passes traffic from the charger subnet 10\.40\.0\.0\/24/);
    expect(group.message).toContain('acceptRules: ["1764320022"]');
    expect(group.line).toBe(r.lineOf('pfsense: { interface: opt2 }'));
    const floating = r.diagnostics.find((d) => d.code === 'pfsense-block-before-chargewall')!;
    expect(floating.severity).toBe('warning');
    expect(floating.message).toMatch(/floating rule \(interfaces wan,opt2\) 'Block known bad host' \(tracker 1764320011\) blocks/);
    // The guest interface's own rule and the LAN rules are not the chargers' business.
    expect(r.diagnostics.map((d) => d.message).join('\n')).not.toMatch(/Guests to the internet|Default allow LAN/);
  });

  it('accepting the group rule by tracker or by description clears the error; a stale entry is reported', () => {
    for (const spec of [accepted, withPf(', acceptRules: ["Internal networks to the internet"]')]) {
      const r = run(spec, fixture);
      expect(r.codes.filter((c) => c.startsWith('error'))).toEqual([]);
      const d = r.diagnostics.find((x) => x.code === 'pfsense-block-before-chargewall')!;
      expect(d.line).toBe(r.lineOf('acceptRules'));
    }
    const stale = run(withPf(', acceptRules: ["1764320022", "999"]'), fixture);
    expect(stale.diagnostics.filter((d) => d.code === 'pfsense-accept-unused').map((d) => d.message)).toEqual([expect.stringContaining("acceptRules entry '999' matches no")]);
  });

  it('reports exactly the floating/group rules that can match charger traffic', () => {
    const backup = addRules(
      fixture,
      rule({ iface: '', floating: true, quick: true, descr: 'float any quick pass', tracker: '1700000001' }),
      rule({ iface: 'opt2', floating: true, quick: false, descr: 'float non-quick pass', tracker: '1700000002' }),
      rule({ iface: 'lan,opt1', floating: true, quick: true, descr: 'float other ifaces', tracker: '1700000003' }),
      rule({ iface: 'opt2', floating: true, quick: true, direction: 'out', descr: 'float pass out', tracker: '1700000004' }),
      rule({ iface: 'INTERNAL', source: '<network>lan</network>', descr: 'group from LAN only', tracker: '1700000005' }),
      rule({ iface: 'INTERNAL', source: '<address>10.40.0.0/25</address>', descr: 'group from charger half', tracker: '1700000006' }),
      rule({ iface: 'INTERNAL', source: '<address>192.168.1.0/24</address>', descr: 'group from LAN net', tracker: '1700000007' }),
      rule({ iface: 'INTERNAL', source: '<address>SOMEALIAS</address>', descr: 'group from alias', tracker: '1700000008' }),
      rule({ iface: 'INTERNAL', disabled: true, descr: 'group disabled', tracker: '1700000009' }),
      rule({ iface: 'opt2', floating: true, quick: true, type: 'match', descr: 'float match', tracker: '1700000010' }),
      rule({ iface: 'opt2', floating: true, quick: true, type: 'reject', direction: 'out', descr: 'float reject out', tracker: '1700000011' }),
      rule({ iface: 'opt2', floating: true, quick: false, type: 'block', descr: 'float non-quick block', tracker: '1700000012' }),
    );
    const r = run(accepted, backup);
    const found = r.diagnostics.filter((d) => /before-chargewall/.test(d.code)).map((d) => `${d.code} ${/tracker (\d+)/.exec(d.message)![1]}`);
    expect(found.sort()).toEqual([
      'pfsense-block-before-chargewall 1700000011',
      'pfsense-block-before-chargewall 1764320011',
      'pfsense-match-before-chargewall 1700000010',
      'pfsense-rule-before-chargewall 1700000001',
      'pfsense-rule-before-chargewall 1700000006',
      'pfsense-rule-before-chargewall 1700000008',
    ]);
  });
});

describe('pfsense merge: the DHCP server and VLAN of the interface', () => {
  it('lists every setting and static mapping the replaced DHCP server loses, located in the spec', () => {
    const r = run(accepted, fixture);
    const by = (code: string) => r.diagnostics.find((d) => d.code === code)!;
    expect(by('pfsense-dhcp-replaced').message).toContain('pool 10.40.0.200 to 10.40.0.250) is replaced by chargewall\'s (pool 10.40.0.100 to 10.40.0.159)');
    expect(by('pfsense-dhcp-setting-dropped').message).toContain('domain=chargers.solgarden.lan; denyunknown=enabled; numberoptions (number=43,type=text,value=vendor)');
    expect(by('pfsense-dhcp-setting-dropped').line).toBe(r.lineOf('  dhcp:') + 1); // the value of network.dhcp
    expect(by('pfsense-dhcp-staticmap-dropped').message).toContain("98:3d:ae:10:00:01 10.40.0.11 'first charger, set by hand'");
    // The admin's own rule on the interface now sits below the final block.
    expect(by('pfsense-rule-shadowed').message).toContain("'Ping the firewall' (tracker 1764320044)");
    expect(by('pfsense-rule-shadowed').line).toBe(r.lineOf('defaultDeny: true'));
    // Re-rendering into the merged result: the server is chargewall's now, nothing more to report.
    const merged = r.files['brf-solgarden/pfsense/config.xml'];
    const again = run(accepted, merged);
    expect(again.codes.filter((c) => c.includes('dhcp'))).toEqual([]);
  });

  it('refuses to replace a DHCP server that has a failover peer', () => {
    const backup = fixture.replace('<domain>chargers.solgarden.lan</domain>', '<domain>chargers.solgarden.lan</domain>\n\t\t\t<failover_peerip>10.40.0.2</failover_peerip>');
    const r = run(accepted, backup);
    expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([expect.stringMatching(/failover peer \(10\.40\.0\.2\)/)]);
    expect(Object.keys(r.files)).toEqual([]);
  });

  it('an interface on another VLAN tag than network.vlan is an error at network.vlan', () => {
    const r = run(accepted, fixture.replace('<tag>40</tag>', '<tag>41</tag>'));
    const d = r.diagnostics.find((x) => x.code === 'pfsense-vlan-mismatch')!;
    expect(d.severity).toBe('error');
    expect(d.message).toContain('VLAN 41 on em1 in the backup, but the spec puts the chargers on VLAN 40');
    expect(d.line).toBe(r.lineOf('vlan: 40'));
    expect(run(accepted, fixture).codes.some((c) => c.includes('vlan'))).toBe(false);
  });
});

describe('pfsense merge: adversarial backups', () => {
  const errorsOf = (r: ReturnType<typeof run>) => r.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message);

  it('a backup in another encoding is refused, not corrupted', () => {
    const latin1 = fixture.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>').replace('Guest Wi-Fi', 'G\u00e5rd');
    const r = run(accepted, latin1);
    expect(errorsOf(r)).toEqual([expect.stringMatching(/declares encoding="ISO-8859-1".*iconv -f ISO-8859-1 -t UTF-8/)]);
    expect(Object.keys(r.files)).toEqual([]);
    // The same bytes read as UTF-8 (what a reader without the declaration gets): U+FFFD, refused with its position.
    const mangled = fixture.replace('Guest Wi-Fi', 'G\ufffdrd');
    expect(errorsOf(run(accepted, mangled))).toEqual([expect.stringMatching(/not valid UTF-8 \(at \d+:\d+\)/)]);
    expect(errorsOf(run(accepted, fixture.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="utf-8"?>')))).toEqual([]);
  });

  it('the encrypted-backup check is linear: 1 MB of dashes takes milliseconds', () => {
    for (const text of ['-'.repeat(1_000_000), `${'-'.repeat(1_000_000)} BEGIN config.xml`, `${'- '.repeat(500_000)}x`]) {
      const t0 = performance.now();
      const r = run(accepted, text);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(errorsOf(r)).toHaveLength(1);
    }
    expect(errorsOf(run(accepted, `${'-'.repeat(100_000)} BEGIN config.xml ----\nU2Fs\n---- END config.xml ----\n`))[0]).toMatch(/encrypted/);
  });

  it('a case-variant <FILTER> (pfSense folds case) gets the rules; no second <filter> is added', () => {
    const upper = fixture.replace('\t<filter>\n', '\t<FILTER>\n').replace('\t</filter>\n', '\t</FILTER>\n');
    const out = run(accepted, upper).files['brf-solgarden/pfsense/config.xml'];
    expect(out.match(/<filter>/gi)).toHaveLength(1);
    expect(out).toMatch(/<FILTER>\n[\s\S]*cw:brf-solgarden block everything else[\s\S]*<\/FILTER>/);
    // Both spellings at once: pfSense refuses that config ("cannot occur more than once"), so does the merge.
    const both = upper.replace('\t<FILTER>\n', '\t<filter>\n\t</filter>\n\t<FILTER>\n');
    expect(errorsOf(run(accepted, both))).toEqual([expect.stringMatching(/section <filter> 2 times/)]);
  });

  it('an alias the spec dropped stays while an admin rule uses it, with a warning; it goes once nothing does', () => {
    const merged = run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'];
    const adminRule = rule({ iface: 'opt1', descr: 'Guests to the operator', tracker: '1700000100', source: '<network>opt1</network>' }).replace('<any></any>\n\t\t\t</destination>', '<address>CW_BRF_SOLGARDEN_OCPP</address>\n\t\t\t</destination>');
    const withRef = addRules(merged, adminRule);
    const noOcpp = accepted.replace(/extraEndpoints:[\s\S]*?hosts: \[csms\.example\.com\]\n/, '');
    const r = run(noOcpp, withRef);
    const out = r.files['brf-solgarden/pfsense/config.xml'];
    expect(out).toContain('<name>CW_BRF_SOLGARDEN_OCPP</name>');
    expect(r.diagnostics.find((d) => d.code === 'pfsense-alias-kept')!.message).toMatch(/alias CW_BRF_SOLGARDEN_OCPP is no longer in the spec/);
    expect(run(noOcpp, out).files['brf-solgarden/pfsense/config.xml']).toBe(out);
    const without = run(noOcpp, merged).files['brf-solgarden/pfsense/config.xml'];
    expect(without).not.toContain('CW_BRF_SOLGARDEN_OCPP');
  });

  it('moving the chargers to another interface removes the DHCP server chargewall wrote on the old one', () => {
    const merged = run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'];
    const moved = merged
      .replace('<ipaddr>10.40.0.1</ipaddr>', '<ipaddr>10.99.0.1</ipaddr>')
      .replace('\t</interfaces>\n', '\t\t<opt3>\n\t\t\t<descr><![CDATA[CHARGERS2]]></descr>\n\t\t\t<if>em2</if>\n\t\t\t<enable></enable>\n\t\t\t<ipaddr>10.40.0.1</ipaddr>\n\t\t\t<subnet>24</subnet>\n\t\t</opt3>\n\t</interfaces>\n');
    const r = run(accepted.replace('interface: opt2,', 'interface: opt3,').replace('  vlan: 40\n', ''), moved);
    const out = r.files['brf-solgarden/pfsense/config.xml'];
    expect(out).not.toMatch(/<dhcpd>[\s\S]*<opt2>[\s\S]*<\/dhcpd>/);
    expect(out).toMatch(/<dhcpd>[\s\S]*<opt3>\n\t\t\t<enable><\/enable>\n\t\t\t<range>\n\t\t\t\t<from>10\.40\.0\.100<\/from>/);
    expect(r.diagnostics.find((d) => d.code === 'pfsense-dhcp-old-interface')!.message).toMatch(/on opt2 .* is removed/);
  });
});

describe('pfsense merge: re-rendering after GUI edits', () => {
  const merged = run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'];
  /** The rule element (with its lines) that carries a tracker. */
  const ruleText = (doc: string, tracker: number) => {
    const at = doc.indexOf(`<tracker>${tracker}</tracker>`);
    const start = doc.lastIndexOf('\t\t<rule>\n', at);
    const end = doc.indexOf('\t\t</rule>\n', at) + '\t\t</rule>\n'.length;
    return doc.slice(start, end);
  };
  const T = 244734500;
  const overwrite = (spec: string, backup: string) => {
    const r = renderSpec(spec, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv, pfsenseConfig: { file: 'backup.xml', text: backup, overwriteEdits: true } });
    return { ...r, config: r.files['brf-solgarden/pfsense/config.xml'] };
  };
  const refusal = (backup: string, spec = accepted) => {
    const r = run(spec, backup);
    expect(Object.keys(r.files)).toEqual([]);
    const e = r.diagnostics.filter((d) => d.severity === 'error');
    expect(e).toHaveLength(1);
    expect(e[0].message).toContain('render with --pfsense-overwrite-edits');
    return e[0].message;
  };

  it('a rule renamed in the GUI stays chargewall\'s (same tracker): refused with the rename listed; the flag reverts it', () => {
    const renamed = merged.replace('cw:brf-solgarden HTTPS TCP 443]]>', 'HTTPS to the Zaptec cloud]]>');
    expect(refusal(renamed)).toContain(`rule 'cw:brf-solgarden HTTPS TCP 443' (tracker ${T + 2}): descr 'HTTPS to the Zaptec cloud' → 'cw:brf-solgarden HTTPS TCP 443'`);
    const o = overwrite(accepted, renamed);
    expect(o.config).toBe(merged);
    expect(o.diagnostics.find((d) => d.code === 'pfsense-gui-edit-reverted')!.message).toContain('HTTPS to the Zaptec cloud');
  });

  it('a disabled rule: refused (it would be re-enabled)', () => {
    const r = ruleText(merged, T + 5);
    const disabled = merged.replace(r, r.replace('\t\t\t<descr>', '\t\t\t<disabled></disabled>\n\t\t\t<descr>'));
    expect(refusal(disabled)).toContain(`(tracker ${T + 5}): disabled set → unset`);
  });

  it('a rule moved below an admin rule, or reordered: refused (it would be moved back)', () => {
    const r = ruleText(merged, T + 1);
    const ping = ruleText(merged, 1764320044);
    const moved = merged.replace(r, '').replace(ping, ping + r);
    expect(refusal(moved)).toMatch(/moved apart on the firewall \('Ping the firewall' now between them\)/);
    const r2 = ruleText(merged, T + 2);
    const swapped = merged.replace(r + r2, r2 + r);
    expect(refusal(swapped)).toContain(`reordered on the firewall (now ${T}, ${T + 2}, ${T + 1},`);
  });

  it('an alias edited, a port forward deleted: refused with the change; a spec change alone is not', () => {
    const edited = merged.replace('<address>csms.example.com</address>', '<address>csms.example.com csms2.example.com</address>');
    expect(refusal(edited)).toContain("alias CW_BRF_SOLGARDEN_OCPP: address 'csms.example.com csms2.example.com' → 'csms.example.com'");
    const nat = merged.indexOf('cw:brf-solgarden redirect NTP');
    const natStart = merged.lastIndexOf('\t\t<rule>\n', nat);
    const natEnd = merged.indexOf('\t\t</rule>\n', nat) + 10;
    const deleted = merged.slice(0, natStart) + merged.slice(natEnd);
    expect(refusal(deleted)).toContain("port forward 'cw:brf-solgarden redirect NTP to the firewall': deleted on the firewall; the render adds it back");
    // The spec changed, the firewall did not: no refusal.
    const changed = accepted.replace('hosts: [csms.example.com]', 'hosts: [csms.example.com, csms2.example.com]');
    const r = run(changed, merged);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    // The spec caught up with the GUI edit (the alias on the firewall is what the new spec writes): nothing to revert.
    const aliasOf = (doc: string) => /\t\t<alias>\n\t\t\t<name>CW_BRF_SOLGARDEN_OCPP<\/name>[\s\S]*?<\/alias>\n/.exec(doc)![0];
    const caughtUp = merged.replace(aliasOf(merged), aliasOf(r.files['brf-solgarden/pfsense/config.xml']));
    expect(caughtUp).not.toBe(merged);
    expect(run(changed, caughtUp).diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('a copy of a rule (same tag, new tracker) is the admin\'s: kept, reported, not deleted', () => {
    const r = ruleText(merged, T + 2);
    const copy = r.replace(`<tracker>${T + 2}</tracker>`, '<tracker>1764999999</tracker>');
    const withCopy = merged.replace(ruleText(merged, 1764320044), ruleText(merged, 1764320044) + copy);
    const out = run(accepted, withCopy);
    expect(out.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(out.files['brf-solgarden/pfsense/config.xml']).toContain('<tracker>1764999999</tracker>');
    expect(out.diagnostics.find((d) => d.code === 'pfsense-rule-copy-kept')!.message).toMatch(/tracker 1764999999\) carries chargewall's tag but not one of its trackers: a copy made in the GUI/);
  });
});

describe('pfsense merge: line endings', () => {
  it('a CRLF backup comes back CRLF throughout, and is otherwise the LF merge', () => {
    const crlf = fixture.replace(/\n/g, '\r\n');
    const out = run(accepted, crlf).files['brf-solgarden/pfsense/config.xml'];
    expect(out.split('\n').length - 1).toBe(out.split('\r\n').length - 1);
    expect(out).toBe(run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'].replace(/\n/g, '\r\n'));
    expect(run(accepted, out).files['brf-solgarden/pfsense/config.xml']).toBe(out);
  });
});

describe('pfsense merge: backup values in diagnostics', () => {
  it('a description with line breaks or terminal escapes cannot add a line or a colour to the terminal', () => {
    const evil = 'x\n/etc/passwd:1:1: error fake: pwned\u001b[31m\u202e';
    const backup = addRules(fixture, rule({ iface: 'INTERNAL', descr: evil, tracker: '1700000200' }));
    const r = run(accepted, backup);
    const d = r.diagnostics.find((x) => x.message.includes('pwned'))!;
    expect(d.code).toBe('pfsense-rule-before-chargewall');
    expect(d.message).not.toMatch(/[\n\r\u001b\u202e]/);
    const refused = run(accepted, addRules(run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'].replace('cw:brf-solgarden HTTPS TCP 443]]>', `${evil}]]>`)));
    for (const x of refused.diagnostics) expect(x.message).not.toMatch(/[\n\r\u001b\u202e]/);
    expect(refused.diagnostics.some((x) => x.severity === 'error' && x.message.includes('(1) rule'))).toBe(true);
  });
});

describe('pfsense merge: GUI separators', () => {
  const rows = (doc: string) => [...doc.matchAll(/<sep(\d)>\n\t+<row>(fr\d+)<\/row>\n\t+<text>([^<]*)<\/text>\n\t+<color>[^<]*<\/color>\n\t+<if>(\w+)<\/if>/g)].map((m) => `${m[4]} ${m[3]} ${m[2]}`);
  it('stay above the same admin rule when chargewall\'s block is inserted, grows or shrinks; floating ones do not move', () => {
    expect(rows(fixture)).toEqual(['floatingrules Site-wide blocks fr0', 'opt2 Admin rules fr0', 'opt2 Temporary (remove after commissioning) fr1']);
    const merged = run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'];
    expect(rows(merged)).toEqual(['floatingrules Site-wide blocks fr0', 'opt2 Admin rules fr6', 'opt2 Temporary (remove after commissioning) fr7']);
    const more = run(accepted.replace('ports: [443]', 'ports: [443, 8443]'), merged).files['brf-solgarden/pfsense/config.xml'];
    expect(rows(more)).toEqual(['floatingrules Site-wide blocks fr0', 'opt2 Admin rules fr7', 'opt2 Temporary (remove after commissioning) fr8']);
    const back = run(accepted, more).files['brf-solgarden/pfsense/config.xml'];
    expect(back).toBe(merged);
  });
});

describe('pfsense merge: GUI saves of the DHCP server', () => {
  it('defaults the DHCP page adds on Save are reported as dropped, not refused; a changed pool is refused', () => {
    const merged = run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'];
    const saved = merged.replace('\t\t\t<defaultleasetime>86400</defaultleasetime>\n', '\t\t\t<defaultleasetime>86400</defaultleasetime>\n\t\t\t<ddnsdomainkeyalgorithm>hmac-md5</ddnsdomainkeyalgorithm>\n\t\t\t<failover_peerip></failover_peerip>\n\t\t\t<domain></domain>\n');
    const r = run(accepted, saved);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.diagnostics.find((d) => d.code === 'pfsense-dhcp-setting-dropped')!.message).toContain('ddnsdomainkeyalgorithm=hmac-md5');
    const pool = merged.replace('<from>10.40.0.100</from>', '<from>10.40.0.90</from>');
    expect(run(accepted, pool).diagnostics.find((d) => d.severity === 'error')!.message).toContain("DHCP server of opt2: range/from '10.40.0.90' → '10.40.0.100'");
  });
});

describe('pfsense: CLI --pfsense-overwrite-edits', () => {
  it('refuses a GUI edit with exit 1 and no files; the flag reverts it with a warning on stderr', async () => {
    const { spawnSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync, existsSync, readFileSync: read, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'cw-pf-edit-'));
    try {
      const spec = join(dir, 'site.yaml');
      writeFileSync(spec, accepted);
      const merged = run(accepted, fixture).files['brf-solgarden/pfsense/config.xml'];
      writeFileSync(join(dir, 'backup.xml'), merged.replace('cw:brf-solgarden HTTPS TCP 443]]>', 'HTTPS (edited)]]>'));
      const cli = (extra: string[]) => spawnSync(process.execPath, [join(root, 'dist', 'cli', 'main.js'), 'render', spec, '-t', 'pfsense', '-o', join(dir, 'out'), '--pfsense-config', join(dir, 'backup.xml'), ...extra], { encoding: 'utf8', env: { ...process.env, ...testEnv } });
      const refused = cli([]);
      expect(refused.status).toBe(1);
      expect(refused.stderr).toMatch(/site\.yaml:\d+:\d+: error pfsense-config: .*\(1\) rule 'cw:brf-solgarden HTTPS TCP 443' \(tracker 244734502\): descr 'HTTPS \(edited\)' → 'cw:brf-solgarden HTTPS TCP 443'.*--pfsense-overwrite-edits/);
      expect(existsSync(join(dir, 'out'))).toBe(false);
      const ok = cli(['--pfsense-overwrite-edits']);
      expect(ok.status, ok.stderr).toBe(0);
      expect(ok.stderr).toMatch(/warning pfsense-gui-edit-reverted: .*HTTPS \(edited\)/);
      expect(read(join(dir, 'out', 'brf-solgarden', 'pfsense', 'config.xml'), 'utf8')).toBe(merged);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
