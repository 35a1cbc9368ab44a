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
