/**
 * chargewall's merged config.xml, run through pfSense's own PHP (2.7.2, the 2.8.0 branch point and
 * master): the pf ruleset, filterdns, ISC and Kea DHCP it writes, the upgrade, GUI saves and the
 * Backup & Restore paths. See test/pfsense-oracle.ts and ../shared/tools/pfsense-php/README.md.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSpec } from '../src/pipeline.js';
import { root, testEnv } from './helpers.js';
import { child, childrenNamed, parseXml, textOf } from '../src/targets/pfsense/xml.js';
import { cleanup, oracleAvailable, pfsenseVersions, runOracle, type OracleRun } from './pfsense-oracle.js';

const exampleText = readFileSync(join(root, 'examples/housing-association.yaml'), 'utf8');
/** A backup as pfSense 2.7.2 writes it: VLANs, several interfaces, an interface group, floating and group rules, separators, a package. */
export const siteBackup = readFileSync(join(root, 'test/fixtures/pfsense/site-backup.xml'), 'utf8');
/** The example, accepting the admin's group rule that lets the INTERNAL group (which holds opt2) reach the internet. */
const accepted = exampleText.replace('pfsense: { interface: opt2 }', 'pfsense: { interface: opt2, acceptRules: ["1764320022"] }');

function mergeWith(spec: string, backup: string): string {
  const r = renderSpec(spec, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv, pfsenseConfig: { file: 'backup.xml', text: backup } });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.files[`${r.site!.site.id}/pfsense/config.xml`];
}

const T = 244734500; // trackerBase('brf-solgarden')
/** The pf label part of a user rule, as each version writes it. */
const labels = (v: string, tracker: number, descr: string) =>
  v === 'master' ? `label "id=${tracker}" label "tags=user_rule" label "descr=${descr}"` : `label "USER_RULE: ${descr}" label "id:${tracker}"`;
const ownRules = (v: string) => [
  `pass  in  quick  on $CHARGERS inet proto { tcp udp }  from $OPT2__NETWORK to 10.40.0.1 port 53 ridentifier ${T} keep state ${labels(v, T, 'cw:brf-solgarden DNS UDP/TCP 53 to the firewall')}`,
  `pass  in  quick  on $CHARGERS inet proto udp  from $OPT2__NETWORK to 10.40.0.1 port 123 ridentifier ${T + 1} keep state ${labels(v, T + 1, 'cw:brf-solgarden NTP UDP 123 to the firewall')}`,
  `pass  in  quick  on $CHARGERS inet proto tcp  from $OPT2__NETWORK to $CW_BRF_SOLGARDEN_HTTPS port 443 ridentifier ${T + 2} flags S/SA keep state ${labels(v, T + 2, 'cw:brf-solgarden HTTPS TCP 443')}`,
  `pass  in  quick  on $CHARGERS inet proto tcp  from $OPT2__NETWORK to $CW_BRF_SOLGARDEN_MQTT port 8883 ridentifier ${T + 3} flags S/SA keep state ${labels(v, T + 3, 'cw:brf-solgarden MQTT over TLS TCP 8883')}`,
  `pass  in  quick  on $CHARGERS inet proto tcp  from $OPT2__NETWORK to $CW_BRF_SOLGARDEN_OCPP port 443 ridentifier ${T + 4} flags S/SA keep state ${labels(v, T + 4, 'cw:brf-solgarden ocpp TCP 443')}`,
  `block  in log  quick  on $CHARGERS inet from $OPT2__NETWORK to any ridentifier ${T + 5} ${labels(v, T + 5, 'cw:brf-solgarden block everything else (logged)')}`,
];
const ownTables = ['HTTPS', 'MQTT', 'OCPP'].flatMap((g) => [`table <CW_BRF_SOLGARDEN_${g}> persist`, `CW_BRF_SOLGARDEN_${g} = "<CW_BRF_SOLGARDEN_${g}>"`]);
const ownRdr = [
  'rdr pass on em1.40 inet proto { tcp udp } from $OPT2__NETWORK to !10.40.0.1 port 53 -> 10.40.0.1',
  'rdr pass on em1.40 inet proto udp from $OPT2__NETWORK to !10.40.0.1 port 123 -> 10.40.0.1',
];
const filterdns = [
  'pf zapcloud-api.azurewebsites.net CW_BRF_SOLGARDEN_HTTPS',
  'pf devices.zaptec.com CW_BRF_SOLGARDEN_HTTPS',
  'pf api.zaptec.com CW_BRF_SOLGARDEN_HTTPS',
  'pf zapcloud.azure-devices.net CW_BRF_SOLGARDEN_MQTT',
  'pf csms.example.com CW_BRF_SOLGARDEN_OCPP',
];
const reservations = Array.from({ length: 40 }, (_, i) => ({
  mac: `98:3d:ae:10:00:${(i + 1).toString(16).padStart(2, '0')}`,
  ip: `10.40.0.${11 + i}`,
  host: `p-${String(i + 1).padStart(2, '0')}`,
}));

/** Free text pfSense must read back as written: apostrophes, quotes, &, <, >, ]]>, non-ASCII; and a 48 h lease. */
const unitName = `Gård's "P-01" <A&B> ]]>`;
const endpointText = `Operatör's CSMS & <backup> "main" – ÆØÅ`;
const textSpec = accepted
  .replace('leaseTime: 24h', 'leaseTime: 48h')
  .replace('{ name: "P-01",', `{ name: ${JSON.stringify(unitName)},`)
  .replace('description: Native OCPP 1.6J central system of the operator', `description: ${JSON.stringify(endpointText)}`);

/** Every call, for the timing summary. */
const allRuns: OracleRun[] = [];

/** The checks on what pfSense generated from a config holding chargewall's items. */
function expectOwnPfItems(run: OracleRun) {
  const v = run.version;
  const rules = run.file('rules.debug');
  expect(rules, `${v}: rules.debug\n${run.stderr}`).toBeDefined();
  const lines = rules!.split('\n');
  for (const l of ownTables) expect(lines, `${v}: ${l}`).toContain(l);
  // The user rules on the charger interface, in order: chargewall's, then the admin's ping rule.
  const onChargers = lines.filter((l) => /^(pass|block|match)\b.* on \$CHARGERS inet /.test(l) && !l.includes('allow access to DHCP server'));
  expect(onChargers.slice(0, 6), v).toEqual(ownRules(v));
  expect(onChargers[6], v).toMatch(/proto icmp .*ridentifier 1764320044/);
  // The port forwards are `rdr pass` on the charger interface only (no NAT reflection copies on other interfaces).
  expect(lines.filter((l) => l.startsWith('rdr ') && l.includes('10.40.0.1')), v).toEqual(ownRdr);
  expect(run.file('filterdns.conf')!.trim().split('\n'), v).toEqual(filterdns);
}

function expectKea(run: OracleRun) {
  const kea = JSON.parse(run.file('kea-dhcp4.conf')!).Dhcp4;
  const sub = kea.subnet4.find((s: { subnet: string }) => s.subnet === '10.40.0.0/24');
  expect(sub, run.version).toBeDefined();
  expect(sub.pools.map((p: { pool: string }) => p.pool)).toEqual(['10.40.0.100 - 10.40.0.159']);
  const opt = Object.fromEntries(sub['option-data'].map((o: { name: string; data: string }) => [o.name, o.data]));
  expect(opt).toMatchObject({ routers: '10.40.0.1', 'domain-name-servers': '10.40.0.1', 'ntp-servers': '10.40.0.1' });
  expect(sub['valid-lifetime']).toBe(86400);
  expect(sub.reservations.map((r: Record<string, string>) => ({ mac: r['hw-address'], ip: r['ip-address'], host: r.hostname }))).toEqual(reservations);
  return sub;
}

function expectIsc(run: OracleRun) {
  const conf = run.file('dhcpd.conf')!;
  const block = conf.slice(conf.indexOf('subnet 10.40.0.0 netmask 255.255.255.0 {'));
  const body = block.slice(0, block.indexOf('\n}\n'));
  expect(body, run.version).toContain('range 10.40.0.100 10.40.0.159;');
  expect(body).toContain('option routers 10.40.0.1;');
  expect(body).toContain('option domain-name-servers 10.40.0.1;');
  expect(body).toContain('option ntp-servers 10.40.0.1;');
  expect(body).toContain('default-lease-time 86400;');
  for (const r of reservations) expect(conf).toMatch(new RegExp(`hardware ethernet ${r.mac};\\n\\s+fixed-address ${r.ip.replace(/\./g, '\\.')};\\n\\s+option host-name "${r.host}";`));
}

const oracle = oracleAvailable();
describe.runIf(oracle)('pfsense-php: pfSense\'s own code on the merged config', () => {
  const runs = new Map<string, OracleRun>();
  let merged = '';
  let textVariant = '';
  let chargewallXml = '';
  beforeAll(async () => {
    merged = mergeWith(accepted, siteBackup);
    chargewallXml = renderSpec(accepted, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv }).files['brf-solgarden/pfsense/chargewall.xml'];
    textVariant = mergeWith(textSpec, siteBackup);
    // Every version and path at once: the calls are independent processes.
    const jobs: [string, Promise<OracleRun>][] = [];
    for (const v of pfsenseVersions) {
      jobs.push([`${v} merged`, runOracle(v, merged, 'upgrade,guiedit,filter,dhcp-isc,dhcp-kea')]);
      jobs.push([`${v} restore All`, runOracle(v, siteBackup, 'upgrade,filter,dhcp-kea', { restore: merged })]);
      jobs.push([`${v} text`, runOracle(v, textVariant, 'upgrade,guiedit,dhcp-isc,dhcp-kea')]);
      jobs.push([`${v} restore areas`, runOracle(v, siteBackup, 'filter,dhcp-kea', { restore: merged, areas: ['aliases', 'nat', 'filter', 'dhcpd'] })]);
    }
    // pfSense's own rule insertion (add_filter_rules(), master only) on the unmerged backup, to compare
    // the rule order and the GUI separators with the merge.
    if (pfsenseVersions.includes('master')) jobs.push(['master add_filter_rules', runOracle('master', siteBackup, 'oracle', { oracleRules: chargewallXml, oracleMerged: merged })]);
    const t0 = Date.now();
    const done = await Promise.all(jobs.map(([, p]) => p));
    jobs.forEach(([k], i) => runs.set(k, done[i]));
    allRuns.push(...done);
    console.log(`[pfsense-php] ${done.length} calls in ${((Date.now() - t0) / 1000).toFixed(1)} s wall: ${jobs.map(([k], i) => `${k} ${done[i].seconds.toFixed(1)}s`).join(', ')}`);
  }, 240_000);
  afterAll(() => cleanup(allRuns));

  it.runIf(pfsenseVersions.includes('master'))('master add_filter_rules(): pfSense inserts the rules in the merge\'s order and moves the GUI separators as the merge does', () => {
    const run = runs.get('master add_filter_rules')!;
    expect(run.status, run.stderr).toBe(0);
    const o = run.json<Record<string, { same_order: boolean; pfsense_order: string[]; pfsense_separators: Record<string, { row: string[]; text: string }>; merged_separators: unknown }>>('oracle.json').opt2;
    expect(o.same_order).toBe(true);
    expect(o.pfsense_order.at(-1)).toBe('Ping the firewall');
    expect(o.merged_separators).toEqual(o.pfsense_separators);
    expect(Object.values(o.pfsense_separators).map((x) => [x.text, x.row[0]])).toEqual([['Admin rules', 'fr6'], ['Temporary (remove after commissioning)', 'fr7']]);
  });

  for (const v of pfsenseVersions) {
    describe(v, () => {
      it('the merged config: pf tables, exact pass/block rules in order, rdr pass, filterdns', () => {
        const run = runs.get(`${v} merged`)!;
        expect(run.status, run.stderr).toBe(0);
        expect(run.file('pfsense-source.txt')).toContain(v === 'master' ? '2.9.0' : v);
        expectOwnPfItems(run);
      });

      it('ISC dhcpd.conf and Kea kea-dhcp4.conf hold the pool, options and the 40 reservations', () => {
        const run = runs.get(`${v} merged`)!;
        expectIsc(run);
        expectKea(run);
      });

      it('upgrade_config and a GUI save of every alias and port forward leave the items unchanged', () => {
        const run = runs.get(`${v} merged`)!;
        expect(run.file('tagged-upgrade-diff.txt')!.trim(), 'upgrade changed a tagged item').toBe('');
        const gui = run.json<Record<string, unknown>[]>('guiedit.json');
        expect(JSON.stringify(gui)).not.toMatch(/"input_errors":\[[^\]]/);
        // A GUI save stamps <updated> on a port forward; nothing else of ours may change.
        const diff = run.file('tagged-guiedit-diff.txt')!.trim().split('\n').filter(Boolean);
        for (const line of diff) expect(line, 'GUI save changed a tagged item').toMatch(/^nat\/\d+\/updated: null -> /);
        const parsed = run.json<Record<string, unknown>>('tagged-items-parsed.json');
        expect(run.json('tagged-items-upgraded.json')).toEqual(parsed);
        // The record of what chargewall wrote survives pfSense's writer (upgrade and GUI saves).
        const record = /<site-brf-solgarden>v1 [^<]+<\/site-brf-solgarden>/.exec(merged)![0];
        expect(run.file('config-written-by-pfsense.xml')).toContain(record);
        expect(run.file('config-gui-saved.xml')).toContain(record);
      });

      it('re-rendering into the config pfSense rewrote (upgrade, GUI saves, restore) finds no GUI edit to refuse', () => {
        for (const [name, text] of [
          ['config-written-by-pfsense.xml', runs.get(`${v} merged`)!.file('config-written-by-pfsense.xml')],
          ['config-gui-saved.xml', runs.get(`${v} merged`)!.file('config-gui-saved.xml')],
          ['config-after-restore.xml', runs.get(`${v} restore All`)!.file('config-after-restore.xml')],
        ] as const) {
          const r = renderSpec(accepted, 'site.yaml', ['pfsense'], { withSecrets: false, env: testEnv, pfsenseConfig: { file: name, text: text! } });
          expect(r.diagnostics.filter((d) => d.severity === 'error' || d.code === 'pfsense-gui-edit-reverted'), name).toEqual([]);
          // And it holds the same items again: merging the result once more changes nothing.
          const out = r.files['brf-solgarden/pfsense/config.xml'];
          expect(mergeWith(accepted, out), name).toBe(out);
        }
      });

      it('the admin\'s floating and interface-group rules stay, and pfSense puts them before chargewall\'s', () => {
        const lines = runs.get(`${v} merged`)!.file('rules.debug')!.split('\n');
        const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
        const floating = at(/^block log +quick +on \{ +em0 +em1\.40 +\} inet from any to 198\.51\.100\.66 ridentifier 1764320011 /);
        const group = at(/^pass +in +quick +on \$INTERNAL inet from any to ! \$RFC1918 ridentifier 1764320022 /);
        const own = at(new RegExp(`ridentifier ${T} `));
        expect(floating).toBeGreaterThan(0);
        expect(group).toBeGreaterThan(floating);
        expect(own).toBeGreaterThan(group);
      });

      it('apostrophes, quotes, &, <, ]]> and non-ASCII decode to the original text, also after pfSense rewrites the file', () => {
        const run = runs.get(`${v} text`)!;
        expect(run.status, run.stderr).toBe(0);
        type Items = { aliases: { name: string; descr: string }[]; dhcpd: Record<string, { staticmap: { descr: string }[] }> };
        const parsed = run.json<Items>('tagged-items-parsed.json');
        const ocppDescr = `cw:brf-solgarden ocpp TCP 443: ${endpointText}`;
        expect(parsed.aliases.find((a) => a.name === 'CW_BRF_SOLGARDEN_OCPP')!.descr).toBe(ocppDescr);
        expect(parsed.dhcpd.opt2.staticmap[0].descr).toBe(`cw:brf-solgarden ${unitName}`);
        for (const line of run.file('tagged-guiedit-diff.txt')!.trim().split('\n').filter(Boolean)) expect(line).toMatch(/^nat\/\d+\/updated: null -> /);
        // pfSense's own writer (2.7/2.8: HTML 4.01 entities such as &aring;), read back by chargewall's reader.
        const saved = run.file('config-gui-saved.xml')!;
        if (v !== 'master') expect(saved).toContain('G&aring;rd&#039;s');
        const doc = parseXml(saved);
        const alias = childrenNamed(child(doc, 'aliases'), 'alias').find((a) => textOf(saved, child(a, 'name')) === 'CW_BRF_SOLGARDEN_OCPP')!;
        expect(textOf(saved, child(alias, 'descr'))).toBe(ocppDescr);
        const map0 = childrenNamed(child(child(doc, 'dhcpd'), 'opt2'), 'staticmap')[0];
        expect(textOf(saved, child(map0, 'descr'))).toBe(`cw:brf-solgarden ${unitName}`);
      });

      it('a lease above 24 h is the same in ISC and Kea (maxleasetime written too)', () => {
        const run = runs.get(`${v} text`)!;
        const conf = run.file('dhcpd.conf')!;
        const body = conf.slice(conf.indexOf('subnet 10.40.0.0 netmask 255.255.255.0 {'));
        expect(body.slice(0, body.indexOf('\n}\n'))).toMatch(/default-lease-time 172800;\n\tmax-lease-time 172800;/);
        const sub = JSON.parse(run.file('kea-dhcp4.conf')!).Dhcp4.subnet4.find((x: { subnet: string }) => x.subnet === '10.40.0.0/24');
        expect([sub['valid-lifetime'], sub['max-valid-lifetime']]).toEqual([172800, 172800]);
      });

      it('Backup & Restore, area All: no input errors, and the firewall then generates the same items', () => {
        const run = runs.get(`${v} restore All`)!;
        expect(run.status, run.stderr + run.stdout).toBe(0);
        expect(run.json<{ area: string; input_errors: string[] }[]>('restore.json')).toEqual([expect.objectContaining({ area: 'All', input_errors: [] })]);
        expect(run.file('config-after-restore.xml')).toMatch(/<chargewall>\s*<site-brf-solgarden>v1 /);
        expectOwnPfItems(run);
        expectKea(run);
      });

      it('Backup & Restore, each area (aliases, nat, filter, dhcpd): no input errors, items generated, and no DHCP restart', () => {
        const run = runs.get(`${v} restore areas`)!;
        expect(run.status, run.stderr + run.stdout).toBe(0);
        const res = run.json<{ area: string; input_errors: string[] }[]>('restore.json');
        expect(res.map((r) => [r.area, r.input_errors])).toEqual([['aliases', []], ['nat', []], ['filter', []], ['dhcpd', []]]);
        expectOwnPfItems(run);
        expectKea(run);
        // backup.inc restores an area, then runs filter_configure() only: the DHCP server is not
        // restarted (STEPS.md tells the admin to do it).
        const exec = run.file('restore-exec.log') ?? '';
        expect(exec).not.toMatch(/dhcpd|kea/);
      });
    });
  }
});
