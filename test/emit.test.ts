import { describe, expect, it } from 'vitest';
import { lines, prefixed } from '../src/render/lines.js';
import { renderText } from './helpers.js';

// Every output file is emitted from code through lines(): the line-oriented config files by each
// target's emit.ts, the STEPS.md prose by its steps.ts (branches in steps.test.ts). The golden files
// pin the outputs byte for byte; these tests pin what the goldens cannot show.

describe('lines(): the emitters\' file shape', () => {
  it('ends every line with \\n and leaves out false/undefined parts', () => {
    expect(lines('a', ['b', 'c'], false, undefined, [], '', 'd')).toBe('a\nb\nc\n\nd\n');
    expect(lines()).toBe('');
    expect(prefixed('# ', ['x', ''])).toEqual(['# x', '# ']);
  });

  it('refuses a value that would add a line (LF, CR or CRLF), wherever it sits', () => {
    for (const bad of ['x\nadd-rule', 'x\r', '\r\ny', '\n']) {
      expect(() => lines('head', bad, 'tail'), JSON.stringify(bad)).toThrow(/would add a line/);
      expect(() => lines('head', ['ok', bad]), JSON.stringify(bad)).toThrow(/would add a line/);
    }
  });
});

describe('emitted files: branches the goldens do not reach', () => {
  const spec = (extra: string, policy = '', network = '', ports = '') =>
    `version: 1\nsite: { id: emit-site, name: "Emit" }\nprofile: zaptec-pro\nchargers: { count: 2 }\nnetwork: { subnet: 10.9.0.0/24${network} }\npolicy: { ${policy} }\n${extra}\ntargets:\n  iptables: { lanInterface: br-lan, wanInterface: wan0, wifiInterface: wlan0${ports} }\n  nftables: { lanInterface: br-lan, wanInterface: wan0, wifiInterface: wlan0${ports} }\n`;
  const files = (text: string, withSecrets = false) => {
    const r = renderText(text, ['iptables', 'nftables'], withSecrets);
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    if (errors.length) throw new Error(errors.map((d) => d.message).join('\n'));
    return r.files;
  };
  const file = (fs: Record<string, string>, name: string) => Object.entries(fs).find(([k]) => k.endsWith(name))![1];

  it('ipset.conf adds a group\'s literal addresses as permanent entries; nft puts them in the rule', () => {
    const fs = files(spec('extraEndpoints:\n  - { name: ocpp, protocol: tcp, ports: [443], hosts: [csms.example.com, 192.0.2.10] }'));
    expect(file(fs, 'iptables/ipset.conf')).toMatch(/^create (cw-emit-site-\S+) hash:ip .*\nadd \1 192\.0\.2\.10 timeout 0$/m);
    expect(file(fs, 'nftables/chargewall.nft')).toMatch(/^\t\tip daddr \{ 192\.0\.2\.10 \} tcp dport 443 accept comment "/m);
  });

  it('rules.v6 says "allowed" with defaultDeny off, and the nft table has no dstnat chain without a redirect', () => {
    const fs = files(spec('', 'defaultDeny: false, dns: allow-fallback'));
    expect(file(fs, 'rules.v6')).toContain('# interface gets the default here: allowed (policy.defaultDeny is off).\n');
    expect(file(fs, 'chargewall.nft')).not.toContain('chain dstnat');
  });

  it('a VLAN on wired ports gives a .netdev per port, a trunk .network and isolated members', () => {
    const fs = files(spec('', '', ', vlan: 40', ', lanPorts: [eth1]'));
    expect(file(fs, 'iptables/10-chargewall-emit-site-eth1.40.netdev')).toContain('[NetDev]\nName=eth1.40\nKind=vlan\n\n[VLAN]\nId=40\n');
    expect(file(fs, 'iptables/10-chargewall-emit-site-eth1.network')).toContain('[Match]\nName=eth1\n');
    expect(file(fs, 'iptables/10-chargewall-emit-site-eth1.network')).toContain('VLAN=eth1.40\n');
    expect(file(fs, 'iptables/10-chargewall-emit-site-eth1.40.network')).toContain('Bridge=br-lan\n');
    expect(file(fs, 'iptables/chargewall-emit-site.interfaces')).toContain('\tbridge_ports eth1.40\n');
    expect(file(fs, 'iptables/chargewall-emit-site.interfaces')).toContain('\tpost-up bridge link set dev eth1.40 isolated on\n');
  });

  it('hostapd.conf: the passphrase with --with-secrets, the signal floor when enforced', () => {
    const wifi = 'wifi: { ssid: "Laddare å", passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE, enforceMinSignal: true }';
    const conf = file(files(spec(wifi), true), 'iptables/hostapd.conf');
    expect(conf).toMatch(/^wpa_passphrase=\S.{7,}$/m);
    expect(conf).not.toContain('wpa_psk_file=');
    expect(conf).toMatch(/^utf8_ssid=1$/m);
    expect(conf).toMatch(/^rssi_reject_assoc_rssi=-\d+\nrssi_reject_assoc_timeout=30\n$/m);
  });
});
