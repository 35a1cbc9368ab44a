import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { exampleFiles, renderFile, renderText, root } from './helpers.js';
import { checkScript, housingVariant, renderMikrotik, tree, variants } from './mikrotik-tree.js';
import { allCommands, allStrings, checkSyntax, parseScript, ScriptSyntaxError, unescapeString, type Command } from '../src/targets/mikrotik/script.js';
import { str } from '../src/targets/mikrotik/escape.js';
import { holdable } from './arbitraries.js';

const variantDir = join(root, 'test', 'golden-variants', 'mikrotik');
const update = process.env.UPDATE_GOLDEN === '1';

const head = (c: Command): string =>
  c.items
    .filter((i) => i.kind === 'positional' && i.value.kind === 'word')
    .map((i) => (i as any).value.text)
    .join(' ');
const arg = (c: Command, name: string) => {
  const it = c.items.find((i) => i.kind === 'named' && i.name === name);
  return it && it.kind === 'named' ? it.value : undefined;
};

describe('mikrotik: golden variants of the housing-association example', () => {
  for (const v of variants) {
    it(`${v.name} renders exactly test/golden-variants/mikrotik/${v.name}.rsc`, () => {
      const script = renderMikrotik(v.yaml());
      const file = join(variantDir, `${v.name}.rsc`);
      if (update) {
        mkdirSync(variantDir, { recursive: true });
        writeFileSync(file, script);
      }
      expect(existsSync(file), `${file} missing: run UPDATE_GOLDEN=1`).toBe(true);
      expect(script).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('mikrotik: every path, command and argument exists in the RouterOS command tree', () => {
  const cases = [
    ...variants.filter((v) => v.tree).map((v) => ({ name: v.name, tree: v.tree!, script: () => renderMikrotik(v.yaml()) })),
    ...exampleFiles().map((f) => ({
      name: f,
      tree: '7.20' as const,
      script: () => Object.entries(renderFile(f, ['mikrotik'])).find(([k]) => k.endsWith('chargewall.rsc'))![1],
    })),
  ];
  for (const c of cases) {
    it(`${c.name} (inspect-${c.tree}.json)`, () => {
      const script = c.script();
      expect(script).toMatch(/^:if \(\(\[\/system resource get version\] \. " "\) ~ "\^7\[\.\]"\) do=\{\} else=\{ :error /m);
      const { problems, checked } = checkScript(script, tree(c.tree));
      expect(problems).toEqual([]);
      expect(checked).toBeGreaterThan(40);
      // The undo lines (comments in the script, code in STEPS.md) are commands too.
      const lines = script.split('\n');
      const from = lines.findIndex((l) => l.startsWith('# ---- Undo'));
      const undo = lines.slice(from).filter((l) => /^# [/:]/.test(l) || /^#     \//.test(l)).map((l) => l.replace(/^#\s+/, ''));
      expect(undo.length).toBeGreaterThan(10);
      expect(checkScript(undo.join('\n'), tree(c.tree)).problems).toEqual([]);
    });
  }

  it('the checker catches wrong paths, commands, arguments, enum values, find properties and string lengths', () => {
    const ok = renderMikrotik(variants.find((v) => v.name === 'v7-wifi')!.yaml());
    const mutations: [string, string][] = [
      ['/ip firewall filter add', '/ip firewall filtr add'],
      ['/ip dns set allow-remote-requests=yes', '/ip dns sett allow-remote-requests=yes'],
      ['dst-port=8883', 'dst-prot=8883'],
      ['authentication-types=wpa2-psk', 'authentication-types=wpa2-pks'],
      ['encryption=ccmp', 'encryption=ccmp,aes'],
      ['find where name="cw-brf-solgarden-pool"', 'find where nmae="cw-brf-solgarden-pool"'],
      ['value-name=security.passphrase', 'value-name=security.passphrse'],
      ['bands~"2ghz"', 'band~"2ghz"'],
      ['ssid="BRF Solg\\C3\\A5rden Laddare"', `ssid="${'x'.repeat(33)}"`],
      [':if ([:len', ':iff ([:len'],
    ];
    for (const [from, to] of mutations) {
      expect(ok.includes(from), from).toBe(true);
      const { problems } = checkScript(ok.replace(from, to), tree('7.20'));
      expect(problems.length, `${from} -> ${to}`).toBeGreaterThan(0);
    }
    // The wifiwave2 menu exists only in the 7.12.2 tree, the wifi menu only in 7.20.
    const ww2 = renderMikrotik(variants.find((v) => v.name === 'v7-wifiwave2')!.yaml());
    expect(checkScript(ww2, tree('7.20')).problems.length).toBeGreaterThan(0);
    expect(checkScript(ok, tree('7.12.2')).problems.length).toBeGreaterThan(0);
  });
});

describe('mikrotik: idempotent structure', () => {
  for (const v of variants) {
    it(`${v.name}: every add carries the site tag and is preceded by a remove of that tag or guarded`, () => {
      const script = renderMikrotik(v.yaml());
      const tag = 'chargewall:brf-solgarden:';
      const top = parseScript(script);
      const removed = new Set<string>();
      let adds = 0;
      for (const c of top) {
        const h = head(c);
        const where = c.items.find((i) => i.kind === 'positional' && i.value.kind === 'cmd');
        if (h.endsWith(' remove') && where) {
          const inner = (where as any).value.cmd as Command;
          const re = allStrings([inner]).find((s) => s.value === `^${tag}`);
          if (re) removed.add(h.replace(/ remove$/, ''));
        }
        if (h.endsWith(' add')) {
          expect(removed.has(h.replace(/ add$/, '')), `${h} at line ${c.line} without a remove by tag before it`).toBe(true);
        }
      }
      for (const c of allCommands(top)) {
        const h = head(c);
        if (!h.endsWith(' add')) continue;
        adds++;
        const comment = arg(c, 'comment');
        expect(comment?.kind, `${h} at line ${c.line} has no comment`).toBe('string');
        // DNS FWD entries are shared by the chargewall sites of a router (one entry per name): their own tag.
        const owner = h === '/ip dns static add' ? 'chargewall:fwd:' : tag;
        expect((comment as any).value.startsWith(owner), `${h} at line ${c.line}`).toBe(true);
      }
      expect(adds).toBeGreaterThan(20);
      // Named singletons are created only when missing: `add name=` appears only inside an :if block.
      for (const c of top) if (head(c).endsWith(' add')) expect(arg(c, 'name'), `${head(c)} line ${c.line}`).toBeUndefined();
    });
  }

  it('never removes by a bare find (only by tag, by owned name, dynamic leases of the owned server, or the radio moveRadio asks to move)', () => {
    let removes = 0;
    for (const v of variants) {
      const script = renderMikrotik(v.yaml());
      for (const line of script.split('\n').filter((l) => !l.startsWith('#'))) {
        for (const m of line.matchAll(/ remove \[(\/[a-z0-9 -]+) find where ([^\]]*)\]/g)) {
          removes++;
          const ok =
            /comment~"\^chargewall:brf-solgarden:"/.test(m[2]) ||
            m[2] === 'comment="chargewall:brf-solgarden: stale"' ||
            m[2] === 'comment="chargewall:brf-solgarden: stale" and dynamic=no' ||
            /^server="cw-brf-solgarden-dhcp" and mac-address="[0-9A-F:]+" and dynamic=yes$/.test(m[2]) ||
            (m[1] === '/interface bridge port' && /^interface="(wifi2|wlan1)" and bridge!="bridge-chargers"$/.test(m[2]) && v.name.includes('move'));
          expect(ok, `${v.name}: ${m[0]}`).toBe(true);
        }
      }
    }
    expect(removes).toBeGreaterThan(50);
  });
});

describe('mikrotik: version and dialect specifics', () => {
  const get = (name: string) => renderMikrotik(variants.find((v) => v.name === name)!.yaml());

  it('v7 fills address lists from DNS FWD entries; v6 uses name entries and redirects NTP to the router', () => {
    const v7 = get('v7-wifi');
    const v6 = get('v6-wireless');
    for (const host of ['zapcloud-api.azurewebsites.net', 'devices.zaptec.com', 'api.zaptec.com', 'zapcloud.azure-devices.net', 'csms.example.com']) {
      expect(v7).toContain(`/ip dns static add name="${host}" type=FWD address-list=`);
      expect(v6).toContain(`address="${host}"`);
      expect(v6).not.toContain(`name="${host}" type=FWD`);
    }
    expect(v7).toMatch(/\/ip dns static add name="zapcloud.azure-devices.net" type=FWD address-list="cw-fwd-mqtt-[0-9a-f]{6}" comment="chargewall:fwd: mqtt zapcloud.azure-devices.net"/);
    expect(v7).toMatch(/action=accept protocol=tcp dst-port=8883 dst-address-list="cw-fwd-mqtt-[0-9a-f]{6}" comment="chargewall:brf-solgarden: fwd mqtt tcp 8883"/);
    expect(v7).toContain('/ip dns set address-list-extra-time=1h');
    expect(v7).toContain('dst-port=123 dst-address-list="cw-brf-solgarden-ntp"');
    expect(v7).not.toContain('/system ntp');
    expect(v6).toContain('/system ntp client set enabled=yes server-dns-names="no.pool.ntp.org"');
    expect(v6).toContain('/system ntp server set enabled=yes');
    expect(v6).toContain('/system package find where name="ntp"');
    expect(v6).toMatch(/protocol=udp dst-port=123 to-ports=123/);
    expect(v6).toContain('ntp-server=10.40.0.1');
    expect(get('v7-wifi-enforce-ntp-redirect')).toContain('/system ntp client servers add address="no.pool.ntp.org"');
  });

  it('Wi-Fi dialects: band, frequency from the channel, 20 MHz, country names, WPA2-PSK, interface-level values', () => {
    const wireless = get('v6-wireless-take-over-move');
    expect(wireless).toContain('band=2ghz-b/g/n channel-width=20mhz frequency=2437 frequency-mode=regulatory-domain country="sweden"');
    expect(wireless).toContain('authentication-types=wpa2-psk unicast-ciphers=aes-ccm group-ciphers=aes-ccm');
    expect(wireless).toContain('ssid="BRF Solg\\C3\\A5rden Laddare"');
    // Virtual AP: the master keeps its SSID; only its channel is set, and said.
    const vap = get('v6-wireless');
    expect(vap).toContain('/interface wireless add name="cw-brf-solgarden-ap" master-interface="wlan1" mode=ap-bridge ssid=');
    expect(vap).toContain('/interface wireless set [/interface wireless find where name="wlan1"] frequency=2437 channel-width=20mhz');
    expect(vap).toMatch(/:put "chargewall: NOTE wlan1 now runs on channel 6/);
    for (const [name, menu] of [['v7-wifi-take-over-move', '/interface wifi'], ['v7-wifiwave2-take-over', '/interface wifiwave2']]) {
      const s = get(name);
      expect(s).toContain(`${menu} channel add name="cw-brf-solgarden-ch" band=2ghz-n frequency=2437 width=20mhz`);
      expect(s).toContain('country="Sweden"');
      // The values that win: on the interface, after the profiles assigned to it and the sticker passphrase are removed.
      expect(s).toContain(`${menu} unset [${menu} find where name="wifi2"] value-name=security.passphrase`);
      expect(s).toContain(`${menu} unset [${menu} find where name="wifi2"] value-name=security\n`);
      expect(s).toMatch(new RegExp(`configuration.ssid="BRF Solg\\\\C3\\\\A5rden Laddare" channel.band=2ghz-n channel.frequency=2437 channel.width=20mhz configuration.country="Sweden" security.authentication-types=wpa2-psk security.encryption=ccmp security.ft=no security.ft-over-ds=no`));
      expect(s).not.toContain('/interface wireless');
    }
    expect(get('v7-wifi')).not.toContain('/interface wifiwave2');
  });

  it('minimum signal is enforced only when asked for, at association; the removal line is always there', () => {
    expect(get('v7-wifi')).not.toContain('access-list add');
    expect(get('v7-wifi')).toContain('/interface wifi access-list remove [/interface wifi access-list find where comment~"^chargewall:brf-solgarden:"]');
    expect(get('v7-wifi')).toContain('Survey check');
    const wifi = get('v7-wifi-enforce-ntp-redirect');
    expect(wifi).toContain('/interface wifi access-list add interface="cw-brf-solgarden-ap" signal-range=-75..120 allow-signal-out-of-range=30s action=accept');
    expect(wifi).toContain('/interface wifi access-list add interface="cw-brf-solgarden-ap" action=reject');
    const wireless = get('v6-wireless-enforce');
    expect(wireless).toContain('signal-range=-75..120 allow-signal-out-of-range=30s authentication=yes forwarding=yes');
    expect(wireless).toContain('signal-range=-120..-76 authentication=no forwarding=no');
  });

  it('VLAN: a VLAN interface named from the site id on targets.mikrotik.interface carries the segment', () => {
    const s = get('v7-wifi');
    expect(s).toContain('/interface vlan add name="cw-brf-solgarden-vlan" interface="bridge-chargers" vlan-id=40');
    expect(s).toContain('/ip address add address=10.40.0.1/24 interface="cw-brf-solgarden-vlan"');
    expect(s).toContain('/interface list member add list="cw-brf-solgarden" interface="cw-brf-solgarden-vlan"');
    const noVlan = get('v7-wifi-enforce-ntp-redirect');
    expect(noVlan).not.toContain('/interface vlan');
    expect(noVlan).toContain('/ip address add address=10.40.0.1/24 interface="bridge-chargers"');
  });

  it('default deny is the last rule of the owned chain (logged with a rate limit); input rules go to the top of input; default allow returns', () => {
    const s = get('v7-wifi');
    const chainRules = s.split('\n').filter((l) => /do=\{ \/ip firewall filter add chain="cw-brf-solgarden-[0-9a-f]{6}"/.test(l));
    expect(chainRules.at(-1)).toContain('action=drop comment="chargewall:brf-solgarden: default deny"');
    expect(chainRules.at(-2)).toContain('action=log limit=10/1m,5:packet');
    expect(chainRules[1]).toContain('action=drop out-interface-list="cw-brf-solgarden"');
    expect(chainRules.slice(2, -2).every((l) => l.includes('action=accept'))).toBe(true);
    expect(s).toContain('place-before=[:pick [/ip firewall filter find where chain="input" and dynamic=no] 0]');
    expect(s).toContain('place-before=[:pick [/ip firewall nat find where chain="dstnat" and dynamic=no] 0]');
    const allow = get('v7-wifi-enforce-ntp-redirect');
    expect(allow).toContain('action=return comment="chargewall:brf-solgarden: default: back to the forward chain \\28defaultDeny false\\29"');
    expect(allow).not.toMatch(/action=accept comment="chargewall:brf-solgarden: default/);
    expect(allow).toContain('dst-address=8.8.8.8');
    expect(get('v6-wireless-enforce')).toContain('action=log limit=10/1m,5 log-prefix');
  });

  it('the passphrase appears only with --with-secrets, escaped', () => {
    expect(renderMikrotik(variants[0].yaml())).not.toContain('golden-test-passphrase');
    const withSecret = renderMikrotik(variants[0].yaml(), true);
    expect(withSecret).toContain('passphrase="golden-test-passphrase"');
    const v6 = renderMikrotik(variants.find((v) => v.name === 'v6-wireless')!.yaml(), true);
    expect(v6).toContain('wpa2-pre-shared-key="golden-test-passphrase"');
    const hostile = renderText(housingVariant({}, (s) => (s.wifi.passphrase = 'a"b$[x];c?\\d')), ['mikrotik'], true);
    const script = Object.values(hostile.files)[0];
    const p = allStrings(parseScript(script)).find((x) => x.arg === 'passphrase');
    expect(p?.value).toBe('a"b$[x];c?\\d');
  });

  it('reports what it takes over and what it relies on, located at the spec setting', () => {
    const codes = (yaml: string) => renderText(yaml, ['mikrotik']).diagnostics.filter((d) => d.code.startsWith('mikrotik-')).map((d) => `${d.severity} ${d.code} ${d.path}`);
    const vap = codes(variants.find((v) => v.name === 'v7-wifi')!.yaml());
    expect(vap).toEqual([
      'warning mikrotik-radio-channel-set targets.mikrotik.radio',
    ]);
    expect(codes(variants.find((v) => v.name === 'v7-wifi-take-over-move')!.yaml())).toContain('warning mikrotik-radio-taken-over targets.mikrotik.radio');
    expect(codes(variants.find((v) => v.name === 'v7-wifiwave2')!.yaml())).toContain('warning mikrotik-fwd-needs-7.17 targets.mikrotik.wifi');
    expect(codes(housingVariant({ routeros: 7, wifi: 'wifi', wifiInterface: 'wifi2', moveRadio: true }))).toContain('warning mikrotik-move-radio-ignored targets.mikrotik.moveRadio');
    // And the same at import time, on the router's terminal.
    const script = renderMikrotik(variants.find((v) => v.name === 'v7-wifi')!.yaml());
    expect(script).toMatch(/:put "chargewall: WARNING no masquerade rule in srcnat/);
    expect(script).toMatch(/:put "chargewall: WARNING the router has no DNS servers/);
  });

  it('an unknown country fails closed with a target diagnostic', () => {
    const r = renderText(housingVariant({}, (s) => (s.wifi.country = 'JP')), ['mikrotik']);
    expect(r.diagnostics.map((d) => d.code)).toContain('target-unsupported');
    expect(Object.keys(r.files)).toEqual([]);
  });

  it('no Wi-Fi in the site: no Wi-Fi commands', () => {
    const s = Object.values(renderFile('examples/no-wifi-4g.yaml', ['mikrotik']))[0];
    expect(s).not.toMatch(/\/interface (wifi|wifiwave2|wireless)/);
  });
});

describe('mikrotik: string escaping', () => {
  it('escapes every character that could end a string or run code, and round-trips', () => {
    expect(str('a"b')).toBe('"a\\22b"');
    expect(str('$[/system reboot]')).toBe('"\\24\\5B/system reboot\\5D"');
    expect(str('x\\')).toBe('"x\\5C"');
    expect(str('?;#\n')).toBe('"\\3F\\3B\\23\\0A"');
    expect(str('å')).toBe('"\\C3\\A5"');
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const q = str(s);
        expect(q).toMatch(/^"[A-Za-z0-9 ._:/@,+=\\-]*"$/);
        expect(unescapeString(q.slice(1, -1))).toBe(s);
        expect(parseScript(`:put ${q}`)).toHaveLength(1);
      }),
      { numRuns: 500 },
    );
  });

  it('the tokenizer rejects what would break out', () => {
    const bads = [':put "a', ':put "a$b"', ':put "a\\', ':put [:len "x"', ':put {', ':put a$b', ':put "a\nb"', ':put "\\q"', '/ip dns set servers=1.1.1.1 \\\n'];
    // Broken hex escapes: one digit, lower case, a digit then a non-digit, a `$` after a good escape.
    bads.push(':put "\\4"', ':put "\\4g"', ':put "\\c3\\a5"', ':put "\\C3$"', ':put "a\\\r"', ':put x=', ':put x= y', ':put (1', ':put a]', 'a=\u00a0');
    for (const bad of bads) {
      expect(() => parseScript(bad), JSON.stringify(bad)).toThrow(ScriptSyntaxError);
      expect(() => checkSyntax(bad), JSON.stringify(bad)).toThrow(ScriptSyntaxError);
    }
  });

  it('checkSyntax (the check every render runs) accepts and rejects exactly what parseScript does, with the same error', () => {
    const script = renderMikrotik(variants.find((v) => v.name === 'v7-wifi')!.yaml());
    const outcome = (f: (s: string) => unknown, s: string) => {
      try {
        f(s);
        return 'ok';
      } catch (e) {
        expect(e).toBeInstanceOf(ScriptSyntaxError);
        return (e as Error).message;
      }
    };
    const same = (s: string) => expect(outcome(checkSyntax, s), JSON.stringify(s)).toBe(outcome(parseScript, s));
    same(script);
    const piece = fc.constantFrom('"', '$', '\\', ';', '\n', '\r', '\t', ' ', '[', ']', '{', '}', '(', ')', '#', '=', 'a', 'A', '0', 'F', 'q', '_', 'é', '\u00a0', '\u2028', '\ud83d', ':put ', 'x=', '"\\41', '\\4', '$[');
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (a) => {
        const s = a.join('');
        if (outcome(parseScript, s) === 'ok') accepted++;
        same(s);
      }),
      { numRuns: 3000 },
    );
    // One character of the real script replaced or inserted.
    fc.assert(
      fc.property(fc.nat(script.length - 1), piece, fc.boolean(), (at, c, insert) => {
        same(script.slice(0, at) + c + script.slice(insert ? at : at + 1));
      }),
      { numRuns: 1500 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  const hostile = fc.oneof(
    fc.constantFrom('"', '$', '\\', '?', ';', '\n', '\r', '[', ']', '{', '}', '#', '$[/system reboot]', '$(1)', '" ; /system reset-configuration ; :put "', '\\"', 'å', '€', '\u2028', '\t'),
    fc.string({ unit: 'grapheme', maxLength: 6 }),
    fc.string({ unit: 'binary', maxLength: 6 }),
  );
  const text = (max: number) =>
    fc
      .array(hostile, { minLength: 1, maxLength: 6 })
      // Control characters are refused at validation (test/hostile.test.ts checks that); here every case renders.
      .map((a) => holdable(a.join('')))
      .filter((s) => s.trim().length > 0 && Buffer.byteLength(s, 'utf8') <= max);

  it('hostile text in site.name, unit names, SSID and extra endpoint descriptions stays inside its strings', () => {
    const base = parseYaml(housingVariant({ routeros: 7, wifi: 'wifi' }));
    const render = (site: string, unit: string, ssid: string, desc: string, routeros: 6 | 7) => {
      const spec = structuredClone(base);
      spec.site.name = site;
      spec.chargers.units[0].name = unit;
      spec.chargers.units[1].name = `${unit} 2`;
      spec.wifi.ssid = ssid;
      spec.extraEndpoints[0].description = desc;
      spec.targets.mikrotik = { ...spec.targets.mikrotik, routeros, wifi: routeros === 6 ? 'wireless' : 'wifi' };
      const r = renderText(stringifyYaml(spec), ['mikrotik']);
      return { r, script: Object.values(r.files)[0] };
    };
    const benign = { 6: render('x', 'x', 'x', 'x', 6).script, 7: render('x', 'x', 'x', 'x', 7).script };
    const shape = (s: string) => allCommands(parseScript(s)).map(head);
    const benignShape = { 6: shape(benign[6]), 7: shape(benign[7]) };
    let rendered = 0;
    fc.assert(
      fc.property(text(60), text(60), text(32), text(200), fc.constantFrom(6 as const, 7 as const), (site, unit, ssid, desc, v) => {
        const { r, script } = render(site, unit, ssid, desc, v);
        // Specs the validator refuses (e.g. control characters in an SSID) never reach a target.
        fc.pre(!r.diagnostics.some((d) => d.severity === 'error'));
        rendered++;
        const cmds = parseScript(script); // throws on an unbalanced string, `$`, or a line continuation
        expect(allCommands(cmds).map(head)).toEqual(benignShape[v]);
        expect(script.split('\n').length).toBe(benign[v].split('\n').length);
        const strings = allStrings(cmds);
        const comments = strings.filter((s) => s.arg === 'comment').map((s) => s.value);
        expect(comments).toContain(`chargewall:brf-solgarden: lease ${unit}`);
        expect(comments).toContain(`chargewall:brf-solgarden: lease ${unit} 2`);
        expect(comments).toContain(`chargewall:brf-solgarden: charger segment of ${site}`);
        expect(comments).toContain(`chargewall:brf-solgarden: ocpp tcp 443 ${desc}`);
        // v7: the configuration profile (add or set) and the interface value; v6: the virtual AP (add or set).
        expect(strings.filter((s) => s.arg === 'ssid' || s.arg === 'configuration.ssid').map((s) => s.value)).toEqual(v === 7 ? [ssid, ssid, ssid] : [ssid, ssid]);
      }),
      { numRuns: 150 },
    );
    expect(rendered).toBeGreaterThan(120);
  });
});
