/**
 * The nftables target's files fed to the real tools, in namespaces made here: `nft -c -f` and a real
 * `nft -f` load for every example and every policy variant, reloads that keep the DNS-learnt set
 * elements, apply.sh run twice, and dnsmasq --test with the nftset= lines. Each check has a negative
 * control showing it can fail. (The namespace end-to-end run is in linux-e2e.test.ts.)
 */
import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleFiles, renderFile, renderText, requireTools } from './helpers.js';
import { Lab, cleanEnv, corrupt, run } from './netns.js';

const tools = requireTools(['ip', 'nft', 'dnsmasq', 'sh']);
const lab = tools.ok ? new Lab('nft') : undefined;
afterAll(async () => {
  await lab?.cleanup();
}, 20_000);

type Files = Record<string, string>;
const byName = (files: Files): Files => Object.fromEntries(Object.entries(files).map(([k, v]) => [k.split('/').pop()!, v]));

/** A spec with the given policy and extra lines (the variants differ only there). */
const variantSpec = (o: { id?: string; policy?: string; extra?: string; wifi?: boolean } = {}) => `version: 1
site: { id: ${o.id ?? 'nft-variant'}, name: "nftables variant" }
profile: zaptec-pro
chargers: { count: 4 }
network: { subnet: 10.66.0.0/24 }
${o.wifi === false ? '' : 'wifi: { ssid: Chargers, passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE }\n'}policy: { ${o.policy ?? ''} }
${o.extra ?? ''}
targets:
  nftables: { lanInterface: br-lan, wanInterface: wan0, wifiInterface: wlan0 }
`;

const ports40 = Array.from({ length: 40 }, (_, i) => 9000 + i);
const longHosts = Array.from({ length: 60 }, (_, i) => `host-${i}-${'x'.repeat(40)}.example.com`);
const variants: Record<string, string> = {
  'dns redirect, ntp auto (default)': variantSpec(),
  'ntp redirect (the router answers NTP)': variantSpec({ policy: 'ntp: redirect' }),
  'ntp any': variantSpec({ policy: 'ntp: any' }),
  'ntp fqdn': variantSpec({ policy: 'ntp: fqdn' }),
  'dns allow-fallback': variantSpec({ policy: 'dns: allow-fallback' }),
  'dns router-only': variantSpec({ policy: 'dns: router-only' }),
  'default allow, logging on': variantSpec({ policy: 'defaultDeny: false, log: true' }),
  'default deny, logging on, no Wi-Fi': variantSpec({ policy: 'log: true', wifi: false }),
  'extra endpoint with literal addresses and 40 ports': variantSpec({
    extra: `extraEndpoints:\n  - { name: ocpp, protocol: tcp, ports: [${ports40.join(', ')}], hosts: [csms.example.com, 192.0.2.10, 192.0.2.11] }\n  - { name: lit-only, protocol: udp, ports: [5000], hosts: [198.51.100.7] }`,
  }),
  '60 long host names on one endpoint': variantSpec({ extra: `extraEndpoints:\n  - { name: many, protocol: tcp, ports: [443], hosts: [${longHosts.join(', ')}] }` }),
  'the longest site id': variantSpec({ id: 'a-very-long-site-id-here' }),
};

function render(text: string): Files {
  const r = renderText(text, ['nftables']);
  const errors = r.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length) throw new Error(errors.map((d) => `${d.line}:${d.col} ${d.code} ${d.message}`).join('\n'));
  return byName(r.files);
}

const nft = (ns: string, ...args: string[]) => lab!.exec(ns, 'nft', args);
const tableOf = (text: string) => /^table inet (\S+)$/m.exec(text)![1];
/** `nft list ruleset` without the element expiry countdowns and counter values, which change as time and packets pass. */
const ruleset = (ns: string) =>
  lab!
    .mustExec(ns, 'nft', ['list', 'ruleset'])
    .replace(/ expires [0-9hms.]+/g, '')
    .replace(/counter packets \d+ bytes \d+/g, 'counter');

const cases: [string, () => Files][] = [
  ...exampleFiles().map((rel): [string, () => Files] => [rel, () => byName(renderFile(rel, ['nftables']))]),
  ...Object.entries(variants).map(([name, text]): [string, () => Files] => [name, () => render(text)]),
];

describe.skipIf(!tools.ok)('real nft and dnsmasq accept the nftables target output', () => {
  for (const [name, files] of cases) {
    describe(name, () => {
      it('nft -c -f accepts chargewall.nft; a real load twice gives the same ruleset; dnsmasq --test accepts dnsmasq.conf', () => {
        const f = files();
        const dir = lab!.folder(`${name.replace(/[^a-z0-9]+/gi, '-')}`, f);
        const ns = lab!.ns(`c${cases.findIndex(([n]) => n === name)}`);
        const check = nft(ns, '-c', '-f', join(dir, 'chargewall.nft'));
        expect(check.status, check.stderr).toBe(0);
        expect(nft(ns, 'list', 'ruleset').stdout).toBe(''); // -c commits nothing
        const first = nft(ns, '-f', join(dir, 'chargewall.nft'));
        expect(first.status, first.stderr).toBe(0);
        const once = ruleset(ns);
        expect(once).toContain(`table inet ${tableOf(f['chargewall.nft'])} {`);
        expect(nft(ns, '-f', join(dir, 'chargewall.nft')).status).toBe(0);
        expect(ruleset(ns)).toBe(once);
        // Every set dnsmasq is told to fill exists in the table.
        for (const m of f['dnsmasq.conf'].matchAll(/^nftset=\/[^#]+\/4#inet#([^#]+)#(\S+)$/gm)) {
          expect(m[1]).toBe(tableOf(f['chargewall.nft']));
          expect(nft(ns, 'list', 'set', 'inet', m[1], m[2]).status, `set ${m[2]}`).toBe(0);
        }
        const dnsmasq = run('dnsmasq', ['--test', `--conf-file=${join(dir, 'dnsmasq.conf')}`]);
        expect(dnsmasq.status, dnsmasq.stderr).toBe(0);
        expect(run('sh', ['-n', join(dir, 'apply.sh')]).status).toBe(0);
        // nft keeps at most 128 characters of a comment, and every line stays within dnsmasq's limit.
        for (const c of f['chargewall.nft'].matchAll(/comment "([^"]*)"/g)) expect(c[1].length).toBeLessThanOrEqual(128);
        for (const line of f['dnsmasq.conf'].split('\n')) expect(line.length).toBeLessThanOrEqual(1024);
      });
    });
  }
});

describe.skipIf(!tools.ok)('what the rules say, per policy', () => {
  const out = (files: Files) => {
    const text = files['chargewall.nft'];
    return text.slice(text.indexOf('chain chargers-out {'), text.indexOf('chain chargers-in {'));
  };
  it('each endpoint group opens only its own ports, to its own set', () => {
    const o = out(render(variants['dns redirect, ntp auto (default)']));
    expect(o).toMatch(/ip daddr @allow-https tcp dport 443 accept/);
    expect(o).toMatch(/ip daddr @allow-mqtt tcp dport 8883 accept/);
    expect(o).toMatch(/ip daddr @allow-ntp udp dport 123 accept/);
    expect(o).toMatch(/\n\t\tcounter drop comment "chargewall nft-variant: default deny"\n\t\}/);
  });
  it('every packet in or out of the charger interface (any address, IPv4 or IPv6) takes the chains; a source outside the subnet is dropped first', () => {
    const f = render(variants['dns redirect, ntp auto (default)'])['chargewall.nft'];
    const forward = f.slice(f.indexOf('chain forward {'), f.indexOf('chain chargers-out {'));
    expect(forward.split('\n').filter((l) => /^\t\t(iif|oif)/.test(l))).toEqual(['\t\tiifname "br-lan" jump chargers-out', '\t\toifname "br-lan" jump chargers-in']);
    expect(out(render(variants['dns redirect, ntp auto (default)'])).split('\n')[1]).toBe('\t\tip saddr != 10.66.0.0/24 counter drop comment "chargewall nft-variant: source outside the charger subnet"');
    // No allow rule can match IPv6, in any variant: each names IPv4 addresses or an IPv4 set, or says ipv4
    // (the last rule, `counter accept` with policy.defaultDeny false, is the default itself).
    for (const [name, text] of Object.entries(variants)) {
      for (const l of out(render(text)).split('\n').filter((x) => / accept comment/.test(x) && !x.includes('counter accept'))) expect(l, name).toMatch(/^\t\t(ip daddr |meta nfproto ipv4 )/);
    }
  });
  it('literal addresses are permanent rule matches, the names go to the set; 40 ports in one rule', () => {
    const f = render(variants['extra endpoint with literal addresses and 40 ports']);
    const o = out(f);
    expect(o).toContain(`ip daddr @allow-ocpp tcp dport { ${ports40.join(', ')} } accept`);
    expect(o).toContain(`ip daddr { 192.0.2.10, 192.0.2.11 } tcp dport { ${ports40.join(', ')} } accept`);
    expect(o).toContain('ip daddr { 198.51.100.7 } udp dport 5000 accept');
    // A group of literal addresses only needs no set, and dnsmasq is not told to fill one.
    expect(f['chargewall.nft']).not.toContain('allow-lit-only');
    expect(f['dnsmasq.conf']).toContain('nftset=/csms.example.com/4#inet#cw-nft-variant#allow-ocpp');
    expect(f['dnsmasq.conf']).not.toContain('lit-only');
  });
  it('ntp any opens UDP 123 to every address; ntp redirect answers it on the router', () => {
    expect(out(render(variants['ntp any']))).toMatch(/\n\t\tmeta nfproto ipv4 udp dport 123 accept/);
    const redirect = render(variants['ntp redirect (the router answers NTP)'])['chargewall.nft'];
    expect(redirect).toMatch(/iifname "br-lan" udp dport 123 redirect to :123/);
    expect(redirect).not.toContain('@allow-ntp');
  });
  it('dns allow-fallback lets 53 reach the fallback resolvers and does not redirect', () => {
    const f = render(variants['dns allow-fallback'])['chargewall.nft'];
    expect(f).toMatch(/ip daddr \{ [\d., ]+ \} udp dport 53 accept/);
    expect(f).not.toMatch(/dport 53 redirect/);
  });
  it('default allow: the chains end in accept/return, and no log rule is written without a drop', () => {
    const f = render(variants['default allow, logging on'])['chargewall.nft'];
    expect(out({ 'chargewall.nft': f })).toMatch(/\n\t\tcounter accept comment "chargewall nft-variant: default allow"\n/);
    expect(f).toMatch(/\n\t\tcounter return comment "chargewall nft-variant: no inbound connections to chargers"\n/);
    expect(f).not.toContain('log prefix');
    expect(render(variants['default deny, logging on, no Wi-Fi'])['chargewall.nft']).toContain('limit rate 10/minute log prefix "cw-nft-variant drop: "');
  });
});

describe.skipIf(!tools.ok)('reloading keeps what dnsmasq learnt; negative controls', () => {
  const files = () => render(variants['dns redirect, ntp auto (default)']);

  it('an element added between loads (as dnsmasq adds them) survives the reload, with its timeout', () => {
    const f = files();
    const dir = lab!.folder('reload', f);
    const ns = lab!.ns('reload');
    const table = tableOf(f['chargewall.nft']);
    expect(nft(ns, '-f', join(dir, 'chargewall.nft')).status).toBe(0);
    const add = nft(ns, 'add', 'element', 'inet', table, 'allow-https', '{ 203.0.113.10 }');
    expect(add.status, add.stderr).toBe(0);
    expect(nft(ns, '-f', join(dir, 'chargewall.nft')).status).toBe(0);
    const set = lab!.mustExec(ns, 'nft', ['list', 'set', 'inet', table, 'allow-https']);
    expect(set).toMatch(/elements = \{ 203\.0\.113\.10 expires /);
  });

  it('negative control: a table that is deleted and recreated on load loses the element (the check can fail)', () => {
    const f = files();
    const table = tableOf(f['chargewall.nft']);
    const deleting = corrupt(f['chargewall.nft'], `flush table inet ${table}`, `delete table inet ${table}`);
    const dir = lab!.folder('reload-delete', { ...f, 'chargewall.nft': deleting });
    const ns = lab!.ns('reload-del');
    expect(nft(ns, '-f', join(dir, 'chargewall.nft')).status).toBe(0);
    expect(nft(ns, 'add', 'element', 'inet', table, 'allow-https', '{ 203.0.113.10 }').status).toBe(0);
    expect(nft(ns, '-f', join(dir, 'chargewall.nft')).status).toBe(0);
    expect(lab!.mustExec(ns, 'nft', ['list', 'set', 'inet', table, 'allow-https'])).not.toContain('203.0.113.10');
  });

  it('negative controls: nft -c rejects an unknown set, a comment over 128 characters and a quote in a comment', () => {
    const f = files()['chargewall.nft'];
    const ns = lab!.ns('neg');
    const bad = {
      'unknown set': corrupt(f, '@allow-mqtt', '@allow-mqtx'),
      'long comment': corrupt(f, /comment "chargewall nft-variant: default deny"/, `comment "${'x'.repeat(129)}"`),
      'quote in comment': corrupt(f, /comment "chargewall nft-variant: default deny"/, 'comment "a"b"'),
    };
    for (const [what, text] of Object.entries(bad)) {
      const dir = lab!.folder(`neg-${what.replace(/ /g, '-')}`, { 'chargewall.nft': text });
      expect(nft(ns, '-c', '-f', join(dir, 'chargewall.nft')).status, what).not.toBe(0);
    }
  });

  it('apply.sh run twice leaves the ruleset unchanged and loads the whole table; a broken table changes nothing', () => {
    const f = files();
    const ns = lab!.ns('apply');
    lab!.mustExec(ns, 'ip', ['link', 'add', 'br-lan', 'type', 'bridge']);
    lab!.mustExec(ns, 'ip', ['link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'wanpeer']);
    lab!.mustExec(ns, 'ip', ['link', 'add', 'wlan0', 'type', 'veth', 'peer', 'name', 'wifipeer']);
    lab!.mustExec(ns, 'ip', ['addr', 'add', '10.66.0.1/24', 'dev', 'br-lan']);
    const dir = lab!.folder('apply', f);
    const env = { ...cleanEnv(), CHARGER_WIFI_PSK: 'apply-test-passphrase' };
    // The passphrase file goes to the lab, not to /etc.
    const pskFile = /'(\/etc\/chargewall\/[^']+\/hostapd\.psk)'/.exec(f['apply.sh'])![1];
    writeFileSync(join(dir, 'apply.sh'), f['apply.sh'].split(`'${pskFile}'`).join(`'${join(dir, 'hostapd.psk')}'`));
    const runApply = () => lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env });
    const a = runApply();
    expect(a.status, a.stderr).toBe(0);
    expect(a.stderr).toBe('');
    const once = ruleset(ns);
    for (const chain of ['forward', 'chargers-out', 'chargers-in', 'input', 'chargers-router', 'dstnat', 'srcnat']) expect(once).toContain(`chain ${chain} {`);
    expect(runApply().status).toBe(0);
    expect(ruleset(ns)).toBe(once);
    // A table nft refuses stops apply.sh with an error and leaves the loaded ruleset as it was (one transaction).
    writeFileSync(join(dir, 'chargewall.nft'), corrupt(f['chargewall.nft'], '@allow-mqtt', '@allow-mqtx'));
    const broken = runApply();
    expect(broken.status).not.toBe(0);
    expect(broken.stdout).not.toContain('applied');
    expect(ruleset(ns)).toBe(once);
  });

  it('apply.sh refuses a wrong box before any change: a missing uplink, charger interface or radio, a LAN that is no bridge', () => {
    const f = files();
    const env = { ...cleanEnv(), CHARGER_WIFI_PSK: 'apply-test-passphrase' };
    const cases: { without: string; says: string }[] = [
      { without: 'wan0', says: 'the uplink wan0 does not exist' },
      { without: 'br-lan', says: 'the charger interface br-lan does not exist' },
      { without: 'wlan0', says: 'the radio wlan0 does not exist' },
      { without: 'bridge', says: 'br-lan is not a bridge, so hostapd cannot add the radio wlan0' },
    ];
    for (const c of cases) {
      const ns = lab!.ns(`refuse-${c.without}`);
      const add = (name: string, ...type: string[]) => lab!.mustExec(ns, 'ip', ['link', 'add', name, 'type', ...type]);
      if (c.without === 'bridge') add('br-lan', 'veth', 'peer', 'name', 'lanpeer');
      else if (c.without !== 'br-lan') add('br-lan', 'bridge');
      if (c.without !== 'br-lan') lab!.mustExec(ns, 'ip', ['addr', 'add', '10.66.0.1/24', 'dev', 'br-lan']);
      if (c.without !== 'wan0') add('wan0', 'veth', 'peer', 'name', 'wanpeer');
      if (c.without !== 'wlan0') add('wlan0', 'veth', 'peer', 'name', 'wifipeer');
      // The router's own table, which must be all there is afterwards.
      lab!.mustExec(ns, 'nft', ['add table inet router-own; add chain inet router-own own-forward { type filter hook forward priority 0; policy accept; }']);
      const before = ruleset(ns);
      const dir = lab!.folder(`refuse-${c.without}`, f);
      const pskFile = /'(\/etc\/chargewall\/[^']+\/hostapd\.psk)'/.exec(f['apply.sh'])![1];
      writeFileSync(join(dir, 'apply.sh'), f['apply.sh'].split(`'${pskFile}'`).join(`'${join(dir, 'hostapd.psk')}'`));
      const r = lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env });
      expect(r.status, c.without).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines, c.without).toHaveLength(2);
      expect(lines[0]).toContain(c.says);
      expect(lines[1]).toBe('chargewall: nft-variant: 1 problem(s) above; nothing was changed');
      expect(ruleset(ns)).toBe(before);
      expect(lab!.mustExec(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward']).trim()).toBe('0');
    }
  });
});

describe('the passphrase variable cannot clash with what apply.sh or the shell sets', () => {
  it('LAN, GATEWAY, PWD, PATH, CW_* are refused at wifi.passphrase with a located error; CHARGER_WIFI_PSK is read before anything is set', () => {
    for (const name of ['LAN', 'GATEWAY', 'SUBNET', 'PWD', 'PATH', 'IFS', 'CW_LAN', 'LC_ALL']) {
      for (const target of ['nftables', 'iptables']) {
        const r = renderText(variantSpec().replace('{ env: CHARGER_WIFI_PSK }', `{ env: ${name} }`).replace('  nftables:', `  ${target}:`), [target]);
        const errors = r.diagnostics.filter((d) => d.severity === 'error');
        // LAN, GATEWAY and SUBNET are no longer apply.sh's names (they are CW_*), so they are accepted.
        if (['LAN', 'GATEWAY', 'SUBNET'].includes(name)) {
          expect(errors, `${target} ${name}`).toEqual([]);
          expect(byName(r.files)['apply.sh']).toMatch(new RegExp(`^CW_PSK=\\$\\{${name}:-\\}$`, 'm'));
        } else {
          expect(errors.map((d) => d.code), `${target} ${name}`).toEqual(['passphrase-env-reserved']);
          expect(errors[0].path).toBe('wifi.passphrase');
        }
      }
    }
  });
});

describe('lanPorts', () => {
  it('a port that is also the uplink, the LAN or the radio is refused where it is written; a VLAN name past 15 characters too', () => {
    const spec = (ports: string, vlan = '') =>
      variantSpec().replace('network: { subnet: 10.66.0.0/24 }', `network: { subnet: 10.66.0.0/24${vlan} }`).replace('wifiInterface: wlan0 }', `wifiInterface: wlan0, lanPorts: [${ports}] }`);
    const errors = (text: string) => renderText(text, ['nftables']).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.path} ${d.line}`);
    expect(errors(spec('eth1'))).toEqual([]);
    for (const bad of ['wan0', 'br-lan', 'wlan0']) expect(errors(spec(`eth1, ${bad}`))).toEqual([`interface-clash targets.nftables.lanPorts.1 ${spec('').split('\n').findIndex((l) => l.includes('lanPorts')) + 1}`]);
    expect(errors(spec('enx0123456789ab', ', vlan: 40'))).toEqual([expect.stringMatching(/^interface-name-long targets\.nftables\.lanPorts\.0 /)]);
    expect(errors(spec('eth1', ', vlan: 40'))).toEqual([]);
  });
});
