import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSpec } from '../src/pipeline.js';
import { pfsenseSteps, type PfsenseStepsView } from '../src/targets/pfsense/steps.js';
import { sharedData, testEnv } from './helpers.js';

// STEPS.md of mikrotik, pfsense and unifi is emitted from code (src/targets/*/steps.ts). The goldens
// pin the three examples; these tests take the branches the goldens do not (each asserted both ways
// where the golden shows only one), on the emitted text.

/** A small spec with the settings each test changes. */
function spec(o: { vlan?: number | null; wifi?: string | null; policy?: string; mikrotik?: string; unifi?: string; units?: boolean } = {}): string {
  const vlan = o.vlan === null ? '' : `, vlan: ${o.vlan ?? 40}`;
  const wifi = o.wifi === null ? '' : `wifi: { ssid: "Laddare", passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE${o.wifi ?? ''} }\n`;
  const units = o.units === false ? '' : '\n  units:\n    - { name: "P-01", mac: "98:3d:ae:10:00:01", ip: 10.40.0.11 }';
  return `version: 1
site: { id: steps-site, name: "Steps site" }
profile: zaptec-pro
chargers:
  count: 4${units}
network: { subnet: 10.40.0.0/24${vlan} }
${wifi}policy: { ${o.policy ?? 'dns: redirect, ntp: auto, defaultDeny: true, log: true'} }
targets:
  mikrotik: { ${o.mikrotik ?? 'routeros: 7, interface: bridge-chargers, wifi: wifi, wifiInterface: wifi2'} }
  pfsense: { interface: opt2 }
  unifi: { ${o.unifi ?? 'apiVersion: "10"'} }
`;
}

function steps(target: string, text: string, opts: { withSecrets?: boolean; backup?: string } = {}): string {
  const r = renderSpec(text, 'steps.yaml', [target], {
    withSecrets: !!opts.withSecrets,
    env: testEnv,
    ...(opts.backup !== undefined && { pfsenseConfig: { file: 'backup.xml', text: opts.backup } }),
  });
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.code} ${d.message}`).join('\n'));
  return r.files[`steps-site/${target}/STEPS.md`];
}

describe('mikrotik STEPS.md', () => {
  it('take-over without moveRadio: the preflight refuses a radio in another bridge; with moveRadio it moves it', () => {
    const stay = steps('mikrotik', spec({ mikrotik: 'routeros: 7, interface: bridge-chargers, wifi: wifi, wifiInterface: wifi2, radio: take-over' }));
    expect(stay).toContain('| `wifi2` is a port of another bridge | the charger SSID would join that network (default configuration: the LAN) | `radio: virtual-ap`, or `moveRadio: true` |\n');
    expect(stay).toContain('**takes over `wifi2`**: an SSID it carried before is gone.\nThe passphrase is not in the file');
    expect(stay).not.toContain('virtual AP');
    const move = steps('mikrotik', spec({ mikrotik: 'routeros: 7, interface: bridge-chargers, wifi: wifi, wifiInterface: wifi2, radio: take-over, moveRadio: true' }));
    expect(move).not.toContain('is a port of another bridge');
    expect(move).toContain('an SSID it carried before is gone. The radio is\nmoved out of any other bridge (`moveRadio`).\n');
  });

  it('RouterOS 6 with the NTP redirect: the ntp package row, no dry-run, no FWD sentence, the wireless menu', () => {
    const v6 = steps('mikrotik', spec({ policy: 'dns: redirect, ntp: redirect', mikrotik: 'routeros: 6, interface: bridge-chargers, wifi: wireless, wifiInterface: wlan1' }));
    expect(v6).toContain('| RouterOS is not 6.x, or older than 6.36 |');
    expect(v6).toContain('| the `ntp` package is not enabled | RouterOS 6 answers NTP only with it | install it, reboot |\n');
    expect(v6).toContain('\n2. (RouterOS 6 has no dry-run.)\n');
    expect(v6).not.toContain('dry-run`');
    expect(v6).toContain('  the names).\n');
    expect(v6).toContain('/interface wireless print detail where name="cw-steps-site-ap"\n/interface wireless registration-table print\n');
    const v7 = steps('mikrotik', spec({ policy: 'dns: redirect, ntp: redirect' }));
    expect(v7).not.toContain('`ntp` package');
    expect(v7).toContain('  the names, and, on 7.17+, once a charger looks them up).\n');
  });

  it('with --with-secrets the passphrase is in the file: no commands to set it', () => {
    const text = steps('mikrotik', spec(), { withSecrets: true });
    expect(text).toContain('\nThe passphrase is in the file (rendered with `--with-secrets`): delete the file from the router after the import.\n');
    expect(text).not.toContain('stays **disabled**');
  });

  it('without a VLAN item 2 ends after "of its own." and the preflight has no VLAN row', () => {
    const text = steps('mikrotik', spec({ vlan: null }));
    expect(text).toContain('no address or DHCP server of its own. \n3. Upload');
    expect(text).not.toContain('filters VLANs');
  });
});

describe('pfsense STEPS.md', () => {
  const stock = readFileSync(join(sharedData, 'pfsense', 'default-config.xml'), 'utf8');
  const backup = stock.replace('\t</interfaces>\n', '\t\t<opt2>\n\t\t\t<descr><![CDATA[CHARGERS]]></descr>\n\t\t\t<if>em1</if>\n\t\t\t<enable></enable>\n\t\t\t<ipaddr>10.40.0.1</ipaddr>\n\t\t\t<subnet>24</subnet>\n\t\t</opt2>\n\t</interfaces>\n');

  it('without a redirect there is no port-forward section and the DHCP server is section 3', () => {
    const text = steps('pfsense', spec({ policy: 'dns: router-only, ntp: any' }));
    expect(text).not.toContain('Port Forward');
    expect(text).toContain('\n### 3. Services > DHCP Server > OPT2\n');
    const ntpOnly = steps('pfsense', spec({ policy: 'dns: router-only, ntp: redirect' }));
    expect(ntpOnly).toContain('\n### 3. Firewall > NAT > Port Forward\n');
    expect(ntpOnly).toContain('\n- Services > NTP: *Interface* must include OPT2 (or none selected, which means all).\n\n### 4. Services > DHCP Server > OPT2\n');
    expect(ntpOnly).not.toContain('Services > DNS Resolver: *Network Interfaces*');
  });

  it('the passphrase as an indented code block with --with-secrets', () => {
    const text = steps('pfsense', spec(), { withSecrets: true });
    expect(text).toContain(`\n- Passphrase: \n\n      ${testEnv.CHARGER_WIFI_PSK}\n\n- Survey: `);
    expect(steps('pfsense', spec())).toContain('\n- Passphrase: from ');
  });

  it('a merge without notes has no "Check before restoring"; without a backup, how to get one', () => {
    const merged = steps('pfsense', spec({ vlan: null }), { backup });
    expect(merged).toContain('What changed:\n\n- ');
    expect(merged).not.toContain('Check before restoring:');
    expect(merged).not.toContain('No backup was given');
    expect(steps('pfsense', spec())).toContain('\nNo backup was given, so there is no `config.xml`.');
  });

  it('plan warnings close the file (no pfSense plan has one today: the emitter is called directly)', () => {
    const view: PfsenseStepsView = {
      version: '0.1.0', siteId: 's', siteName: 'S', iface: 'opt2', IF: 'OPT2', subnet: '10.40.0.0/24', gateway: '10.40.0.1', tag: '[cw:s]',
      aliases: [], rules: [], nat: [], dnsRedirect: false, ntpRedirect: false, staticmaps: [],
      dhcp: { from: '10.40.0.100', to: '10.40.0.110', size: 11, needed: 5, dns: '10.40.0.1', gateway: '10.40.0.1', ntp: '', leaseSeconds: 86400, lease: '24h' },
      warnings: ['first', 'second'],
    };
    const text = pfsenseSteps(view);
    expect(text.endsWith('(24h)\n\n## Warnings\n\n- first\n- second\n')).toBe(true);
    expect(pfsenseSteps({ ...view, warnings: [] }).endsWith('(24h)\n\n')).toBe(true);
    // A value that would add a line is refused, not written (the escapers keep line breaks out).
    expect(() => pfsenseSteps({ ...view, warnings: ['a\n## injected'] })).toThrow(/would add a line/);
  });
});

describe('unifi STEPS.md', () => {
  it('before Network 10 (port-only): UI steps only, no API section, no API check', () => {
    const text = steps('unifi', spec({ unifi: 'apiVersion: "9.5.21", fqdnFallback: port-only' }));
    expect(text).toContain('For UniFi Network 9.5.21 with the zone-based firewall. **Network 9.5.21 is older than 10: its\n');
    expect(text).toContain('below match ports only, to any address (see Warnings).** Section 3 (radios) and section 4 (what must stay in\nplace)');
    expect(text).toContain('## 1. Apply with the API\n\nNot for Network 9.5.21: use section 2.\n\n## 2. In the UI\n');
    expect(text).not.toContain('from a shell');
    expect(text).not.toContain('### 2.5 DNS redirect');
  });

  it('device tags: named in the apply step, the Wi-Fi table, the radio section and the checks; channel 6 locked', () => {
    const one = steps('unifi', spec({ unifi: 'apiVersion: "10", apDeviceTags: [garage]' }));
    expect(one).toContain('External and Gateway zones and\n   the device tags, checks that the key may write firewall policies');
    expect(one).toContain('| Broadcasting APs | Device tags: garage |');
    expect(one).toContain('| Lock 2.4 GHz channel to 6 | on (the plan\'s channel is 6; only the tagged APs broadcast this SSID) |');
    expect(one).toContain('broadcasts the SSID (done by the file,\nfor the tagged APs). Everything else is per AP');
    expect(one).toContain('The SSID goes only to APs with the device tag garage (UniFi Devices > select the APs > Tag;\n');
    expect(one).toContain('after provisioning, and only the tagged APs broadcast the SSID.\n');
    const two = steps('unifi', spec({ unifi: 'apiVersion: "10", apDeviceTags: [garage, "Ap 2"]' }));
    expect(two).toContain('| Broadcasting APs | Device tags: garage, Ap 2 |');
    expect(two).toContain('with the device tags garage, Ap 2 (UniFi Devices');
  });

  it('default allow, no logging, no cellular backup, no redirect, enforced signal, no leases', () => {
    const text = steps('unifi', spec({ policy: 'dns: router-only, ntp: auto, defaultDeny: false, log: false', unifi: 'apiVersion: "10", cellularBackup: false', wifi: ', enforceMinSignal: true', units: false }));
    expect(text).not.toContain('### 2.2 Block policies');
    expect(text).toContain('opens `x.api.example.com`\ntoo).\n\n### 2.6 Wi-Fi (last)\n');
    expect(text).toContain('| Isolate Network | off |');
    expect(text).toContain('| Cellular backup | off (`targets.unifi.cellularBackup: false`) |');
    expect(text).not.toContain('2.5');
    expect(text).toContain('- Minimum RSSI: on, -75 dBm (asked for in the spec: weaker chargers are disconnected).\n');
    expect(text).toContain('zone matrix in Policy Engine > Zones). Add Block policies there if the site needs them.\n\n## 5.');
    expect(text).toContain('every policy of section 2.4 is\n   there. Policies named `… (Return)` are UniFi\'s own return-traffic companions. The same\n');
    expect(text).not.toContain('Fixed IPs');
    const logged = steps('unifi', spec());
    expect(logged).toContain('survive a gateway restart). Logging on.\n');
  });

  it('without Wi-Fi: no passphrase variable, no Wi-Fi section, the switch ports instead of radios', () => {
    const text = steps('unifi', spec({ wifi: null }));
    expect(text).toContain("   UNIFI_API_KEY='…' npx chargewall-unifi-apply out/steps-site/unifi/integration-api.json");
    expect(text).not.toContain('### 2.6 Wi-Fi');
    expect(text).toContain("## 3. AP radios (the API cannot set them)\n\nNot needed: the spec has no Wi-Fi (the chargers use a cable, PLC or another link). Put the chargers'\nswitch ports on VLAN `40` only after the apply finished.\n");
    expect(text).toContain('3. Each charger shows online in the ');
    expect(text).not.toContain('4. The AP');
    expect(text).not.toContain('dBm or better');
  });
});
