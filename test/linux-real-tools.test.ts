/**
 * The Linux (iptables) target's files for every example, fed to the real tools:
 * ipset / iptables-restore (nf_tables and legacy backends) in namespaces made here, dnsmasq --test,
 * hostapd's config parser (driver=none copy), and apply.sh run twice to prove it is idempotent.
 * Each check has a negative control showing it can fail.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exampleFiles, renderFile, renderText, requireTools, root } from './helpers.js';
import { Lab, cleanEnv, corrupt, run, runAsync } from './netns.js';

const tools = requireTools(['ip', 'iptables', 'iptables-restore', 'iptables-save', 'iptables-legacy-restore', 'ip6tables-restore', 'ip6tables-save', 'ip6tables-legacy-restore', 'ipset', 'dnsmasq', 'hostapd', 'timeout', 'systemd-analyze']);
const lab = tools.ok ? new Lab('rt') : undefined;

/** The iptables target's files of one example, keyed by file name. */
function linuxFiles(rel: string, withSecrets = false): Record<string, string> {
  const all = renderFile(rel, ['iptables'], withSecrets);
  return Object.fromEntries(Object.entries(all).map(([k, v]) => [k.split('/').pop()!, v]));
}

const settings = (apply: string) => ({
  lan: /^CW_LAN='([^']+)'$/m.exec(apply)![1],
  wan: /^CW_WAN='([^']+)'$/m.exec(apply)![1],
  wifi: /^CW_WIFI='([^']+)'$/m.exec(apply)?.[1],
  gateway: /^CW_GATEWAY='([^']+)'$/m.exec(apply)![1],
  prefix: /^CW_PREFIX='(\d+)'$/m.exec(apply)![1],
});

/**
 * A namespace with the interfaces apply.sh expects: the LAN is a bridge (as hostapd needs for Wi-Fi)
 * with a veth port, and has the gateway; the WAN is a veth; the radio (with Wi-Fi) a veth standing in for it.
 * `without` leaves one of them out, or makes the LAN a plain veth (`bridge`), or leaves off the address.
 */
function routerNs(role: string, apply: string, without?: 'lan' | 'wan' | 'wifi' | 'bridge' | 'gateway'): string {
  const ns = lab!.ns(role);
  const s = settings(apply);
  const up: string[] = [];
  if (without !== 'lan') {
    if (without === 'bridge') {
      lab!.mustExec(ns, 'ip', ['link', 'add', s.lan, 'type', 'veth', 'peer', 'name', 'lanpeer']);
      up.push(s.lan, 'lanpeer');
    } else {
      lab!.mustExec(ns, 'ip', ['link', 'add', s.lan, 'type', 'bridge']);
      lab!.mustExec(ns, 'ip', ['link', 'add', 'lanport', 'type', 'veth', 'peer', 'name', 'lanpeer']);
      lab!.mustExec(ns, 'ip', ['link', 'set', 'lanport', 'master', s.lan]);
      up.push(s.lan, 'lanport', 'lanpeer');
    }
    if (without !== 'gateway') lab!.mustExec(ns, 'ip', ['addr', 'add', `${s.gateway}/${s.prefix}`, 'dev', s.lan]);
  }
  if (without !== 'wan') {
    lab!.mustExec(ns, 'ip', ['link', 'add', s.wan, 'type', 'veth', 'peer', 'name', 'wanpeer']);
    up.push(s.wan, 'wanpeer');
  }
  if (s.wifi && without !== 'wifi') lab!.mustExec(ns, 'ip', ['link', 'add', s.wifi, 'type', 'veth', 'peer', 'name', 'wifipeer']);
  for (const dev of up) lab!.mustExec(ns, 'ip', ['link', 'set', dev, 'up']);
  return ns;
}

/** The passphrase the lab's apply.sh runs get, and a copy of apply.sh that writes its PSK file into `dir`. */
const LAB_PSK = 'lab-test-passphrase';
function labApply(files: Record<string, string>, dir: string): string {
  const pskFile = /^elif \[ ! -s '([^']+)' \]/m.exec(files['apply.sh'])?.[1];
  return pskFile ? files['apply.sh'].split(`'${pskFile}'`).join(`'${join(dir, 'hostapd.psk')}'`) : files['apply.sh'];
}
const pskEnv = (files: Record<string, string>) => /^CW_PSK=\$\{(\w+):-\}$/m.exec(files['apply.sh'])?.[1];
const applyEnv = (files: Record<string, string>) => cleanEnv(pskEnv(files) ? { [pskEnv(files)!]: LAB_PSK } : {});

/** iptables-save without its date comments and counters. */
const saved = (ns: string, cmd: 'iptables-save' | 'ip6tables-save' = 'iptables-save') =>
  lab!
    .mustExec(ns, cmd, [])
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]$/, '[0:0]'))
    .join('\n');

const ruleLines = (text: string) => text.split('\n').filter((l) => l.startsWith('-A '));

/** A saved rule as the file writes it (iptables-save lists conntrack states in its own order). */
const asWritten = (line: string) => line.replace('--ctstate RELATED,ESTABLISHED', '--ctstate ESTABLISHED,RELATED');

/** The jump lines apply.sh adds to built-in chains (`-A FORWARD ... -j cw-...`). */
const jumps = (save: string) => ruleLines(save).filter((l) => /^-A (INPUT|FORWARD|PREROUTING|POSTROUTING) .* -j cw-/.test(l));

afterAll(async () => {
  await lab?.cleanup();
}, 20_000);

describe.skipIf(!tools.ok)('real Linux tools accept the iptables target output', () => {
  const examples = exampleFiles();

  it('has examples to check', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  for (const rel of examples) {
    describe(rel, () => {
      const files = linuxFiles(rel);
      const id = /^# Site: ([a-z0-9-]+) /m.exec(files['rules.v4'])![1];

      it('ipset -exist restore, then iptables-restore --test and a real --noflush load (nf_tables)', () => {
        const dir = lab!.folder(`${id}-restore`, files);
        const ns = lab!.ns(`${id.slice(0, 6)}-nft`);
        const ipt = (args: string[], file: string) => lab!.exec(ns, 'sh', ['-c', `iptables-restore ${args.join(' ')} < "$1"`, 'sh', join(dir, file)]);

        // Without the sets, the rules must not load (the check sees the set references).
        expect(ipt(['--test'], 'rules.v4').stderr).toMatch(/Set cw-\S+ doesn't exist/);

        const sets = lab!.exec(ns, 'sh', ['-c', 'ipset -exist restore < "$1"', 'sh', join(dir, 'ipset.conf')]);
        expect(sets.stderr).toBe('');
        expect(sets.status).toBe(0);
        const declared = [...files['ipset.conf'].matchAll(/^create (\S+) /gm)].map((m) => m[1]).sort();
        expect(lab!.mustExec(ns, 'ipset', ['list', '-n']).trim().split('\n').sort()).toEqual(declared);

        const test = ipt(['--test'], 'rules.v4');
        expect(test.stderr).toBe('');
        expect(test.status).toBe(0);
        expect(saved(ns)).not.toContain('cw-'); // --test commits nothing

        const load = ipt(['--noflush'], 'rules.v4');
        expect(load.stderr).toBe('');
        expect(load.status).toBe(0);
        const save = saved(ns);
        for (const chain of files['rules.v4'].matchAll(/^:(\S+) - \[0:0\]$/gm)) expect(save).toContain(`:${chain[1]} - [0:0]`);
        expect(ruleLines(save)).toHaveLength(ruleLines(files['rules.v4']).length);

        // Negative control: a typo in one rule is rejected.
        writeFileSync(join(dir, 'bad.rules'), corrupt(files['rules.v4'], '--dport', '--dprot'));
        const bad = ipt(['--test'], 'bad.rules');
        expect(bad.status).not.toBe(0);
        expect(bad.stderr).toContain('unknown option "--dprot"');
      });

      it('iptables-legacy-restore --test accepts the rules too (legacy rejects jumps to undeclared chains)', () => {
        const dir = lab!.folder(`${id}-legacy`, files);
        const ns = lab!.ns(`${id.slice(0, 6)}-leg`);
        lab!.mustExec(ns, 'sh', ['-c', 'ipset -exist restore < "$1"', 'sh', join(dir, 'ipset.conf')]);
        const test = lab!.exec(ns, 'sh', ['-c', 'iptables-legacy-restore --test < "$1"', 'sh', join(dir, 'rules.v4')]);
        expect(test.stderr).toBe('');
        expect(test.status).toBe(0);
        // Negative control: a jump to a chain the file does not declare.
        const fwd = /^:(cw-\S+-fwd) /m.exec(files['rules.v4'])![1];
        writeFileSync(join(dir, 'bad.rules'), corrupt(files['rules.v4'], `-A ${fwd} -m conntrack`, `-A ${fwd} -j cw-undeclared\n-A ${fwd} -m conntrack`));
        const bad = lab!.exec(ns, 'sh', ['-c', 'iptables-legacy-restore --test < "$1"', 'sh', join(dir, 'bad.rules')]);
        expect(bad.status).not.toBe(0);
        expect(bad.stderr).toContain("Couldn't load target `cw-undeclared'");
      });

      it('rules.v6: ip6tables-restore --test (nf_tables and legacy) and a real --noflush load', () => {
        const dir = lab!.folder(`${id}-v6`, files);
        const ns = lab!.ns(`${id.slice(0, 6)}-v6`);
        const ip6t = (cmd: string, args: string, file: string) => lab!.exec(ns, 'sh', ['-c', `${cmd} ${args} < "$1"`, 'sh', join(dir, file)]);
        for (const cmd of ['ip6tables-restore', 'ip6tables-legacy-restore']) {
          const test = ip6t(cmd, '--test', 'rules.v6');
          expect(test.stderr, cmd).toBe('');
          expect(test.status, cmd).toBe(0);
        }
        expect(ip6t('ip6tables-restore', '--noflush', 'rules.v6').status).toBe(0);
        expect(ruleLines(saved(ns, 'ip6tables-save')).map(asWritten)).toEqual(ruleLines(files['rules.v6']));
        // Negative control: IPv4 syntax in the IPv6 file is rejected.
        writeFileSync(join(dir, 'bad.rules'), corrupt(files['rules.v6'], '-j DROP', '-d 10.0.0.1/32 -j DROP'));
        expect(ip6t('ip6tables-restore', '--test', 'bad.rules').status).not.toBe(0);
      });

      it('dnsmasq --test accepts dnsmasq.conf', () => {
        const dir = lab!.folder(`${id}-dnsmasq`, files);
        const check = (file: string) => run('dnsmasq', ['--test', `--conf-file=${join(dir, file)}`]);
        const ok = check('dnsmasq.conf');
        expect(ok.stderr.trim()).toBe('dnsmasq: syntax check OK.');
        expect(ok.status).toBe(0);
        // Negative controls: a host name where dnsmasq needs an address, and a misspelt option.
        writeFileSync(join(dir, 'bad1.conf'), files['dnsmasq.conf'] + 'dhcp-option=option:ntp-server,no.pool.ntp.org\n');
        writeFileSync(join(dir, 'bad2.conf'), corrupt(files['dnsmasq.conf'], 'dhcp-range=', 'dhcp-rnage='));
        const r1 = check('bad1.conf');
        const r2 = check('bad2.conf');
        expect([r1.status, r2.status]).toEqual([1, 1]);
        expect(r1.stderr).toContain('bad IP address');
        expect(r2.stderr).toContain('bad option');
      });

      it('apply.sh run twice leaves iptables-save and ipset list unchanged, each jump present once', () => {
        const dir = lab!.folder(`${id}-apply`, files);
        writeFileSync(join(dir, 'apply.sh'), labApply(files, dir));
        const ns = routerNs(`${id.slice(0, 6)}-app`, files['apply.sh']);
        // The router's own rules and sets, which apply.sh must leave alone.
        const s = settings(files['apply.sh']);
        lab!.mustExec(ns, 'iptables', ['-N', 'router-own']);
        lab!.mustExec(ns, 'iptables', ['-A', 'router-own', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
        lab!.mustExec(ns, 'iptables', ['-A', 'FORWARD', '-i', s.wan, '-j', 'router-own']);
        lab!.mustExec(ns, 'ipset', ['create', 'router-own', 'hash:ip']);
        lab!.mustExec(ns, 'ipset', ['add', 'router-own', '192.0.2.1']);
        // The jumps an earlier version added (on the subnet): the new apply.sh replaces them.
        const subnet = /^CW_SUBNET='([^']+)'$/m.exec(files['apply.sh'])![1];
        lab!.mustExec(ns, 'iptables', ['-N', `cw-${id}-fwd`]);
        lab!.mustExec(ns, 'iptables', ['-N', `cw-${id}-ret`]);
        lab!.mustExec(ns, 'iptables', ['-I', 'FORWARD', '-i', s.lan, '-s', subnet, '-j', `cw-${id}-fwd`]);
        lab!.mustExec(ns, 'iptables', ['-I', 'FORWARD', '-o', s.lan, '-d', subnet, '-j', `cw-${id}-ret`]);

        const apply = () => lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env: applyEnv(files), timeoutMs: 20_000 });
        const first = apply();
        expect(first.stderr).toBe('');
        expect(first.status).toBe(0);
        expect(first.stdout).toContain(`chargewall: ${id} applied`);
        // The LAN's port became an isolated bridge port.
        expect(lab!.mustExec(ns, 'bridge', ['-d', 'link', 'show', 'dev', 'lanport'])).toMatch(/isolated on/);
        const save1 = saved(ns);
        const v6save1 = saved(ns, 'ip6tables-save');
        const sets1 = lab!.mustExec(ns, 'ipset', ['list']);

        const second = apply();
        expect(second.status).toBe(0);
        const save2 = saved(ns);
        const v6save2 = saved(ns, 'ip6tables-save');
        const sets2 = lab!.mustExec(ns, 'ipset', ['list']);

        expect(save2).toBe(save1);
        expect(v6save2).toBe(v6save1);
        expect(sets2).toBe(sets1);
        // IPv6: one jump each way on the charger interface, to chains holding exactly rules.v6.
        expect(jumps(v6save2).sort()).toEqual([`-A FORWARD -i ${s.lan} -j cw-${id}-fwd`, `-A FORWARD -o ${s.lan} -j cw-${id}-ret`]);
        expect(ruleLines(v6save2).filter((l) => l.startsWith('-A cw-')).map(asWritten)).toEqual(ruleLines(files['rules.v6']));
        const expected = ['-j cw-' + id + '-fwd', '-j cw-' + id + '-ret', '-j cw-' + id + '-in', '-j cw-' + id + '-snat'];
        if (files['rules.v4'].includes('REDIRECT')) expected.push('-j cw-' + id + '-dnat');
        const j = jumps(save2);
        expect(j.filter((l) => l.startsWith('-A FORWARD') && (l.includes(` -s ${subnet} `) || l.includes(` -d ${subnet} `)))).toEqual([]); // the old jumps are gone
        expect(j.filter((l) => l.startsWith('-A FORWARD'))).toEqual([`-A FORWARD -o ${s.lan} -j cw-${id}-ret`, `-A FORWARD -i ${s.lan} -j cw-${id}-fwd`]);
        expect(j).toHaveLength(expected.length);
        for (const target of expected) expect(j.filter((l) => l.endsWith(target))).toHaveLength(1);
        // Our chains hold exactly the file's rules; the router's own rules and set are still there.
        expect(ruleLines(save2).filter((l) => l.startsWith('-A cw-'))).toHaveLength(ruleLines(files['rules.v4']).length);
        expect(save2).toContain(`-A FORWARD -i ${s.wan} -j router-own`);
        expect(save2).toContain('-A router-own -p tcp -m tcp --dport 22 -j ACCEPT');
        expect(sets2).toMatch(/Name: router-own[\s\S]*192\.0\.2\.1/);
        expect(lab!.mustExec(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward']).trim()).toBe('1');
      });
    });
  }

  it('apply.sh refuses a wrong box before any change: one line per problem, exit 1, iptables-save and ipset list unchanged', () => {
    const cases: { rel: string; without?: 'lan' | 'wan' | 'wifi' | 'bridge' | 'gateway'; extra?: string; radioIn?: string; says: RegExp }[] = [
      { rel: 'examples/small-garage.yaml', without: 'wan', says: /the uplink eth0 does not exist/ },
      { rel: 'examples/small-garage.yaml', without: 'lan', says: /the charger interface br-lan does not exist/ },
      { rel: 'examples/small-garage.yaml', without: 'bridge', says: /br-lan is not a bridge, so hostapd cannot add the radio wlan0/ },
      { rel: 'examples/small-garage.yaml', without: 'wifi', says: /the radio wlan0 does not exist/ },
      { rel: 'examples/small-garage.yaml', without: 'gateway', says: /br-lan does not have the gateway address 192\.168\.50\.1\/24 / },
      { rel: 'examples/no-wifi-4g.yaml', without: 'wan', says: /the uplink wwan0 does not exist/ },
      { rel: 'examples/small-garage.yaml', extra: '192.0.2.1/24', says: /br-lan also has 192\.0\.2\.1\/24, so it serves another network/ },
      { rel: 'examples/small-garage.yaml', radioIn: 'br-office', says: /the radio wlan0 is a port of br-office, another network's bridge/ },
    ];
    for (const [i, c] of cases.entries()) {
      const files = linuxFiles(c.rel);
      const dir = lab!.folder(`refuse-${i}`, files);
      writeFileSync(join(dir, 'apply.sh'), labApply(files, dir));
      const ns = routerNs(`refuse${i}`, files['apply.sh'], c.without);
      if (c.extra) lab!.mustExec(ns, 'ip', ['addr', 'add', c.extra, 'dev', settings(files['apply.sh']).lan]); // the LAN of another network
      if (c.radioIn) {
        // The radio already serves another bridge (as an office AP's would).
        lab!.mustExec(ns, 'ip', ['link', 'add', c.radioIn, 'type', 'bridge']);
        lab!.mustExec(ns, 'ip', ['link', 'set', settings(files['apply.sh']).wifi!, 'master', c.radioIn]);
      }
      // The router's own rule, which must be all there is afterwards.
      lab!.mustExec(ns, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '22', '-j', 'ACCEPT']);
      const before = [saved(ns), saved(ns, 'ip6tables-save'), lab!.mustExec(ns, 'ipset', ['list']), lab!.mustExec(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward'])];
      const r = lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env: applyEnv(files), timeoutMs: 20_000 });
      expect(r.status, `${c.rel} without ${c.without} extra ${c.extra}: ${r.stderr}`).toBe(1);
      expect(r.stdout).not.toContain('applied');
      const lines = r.stderr.trim().split('\n');
      expect(lines[0], c.without ?? c.extra ?? c.radioIn).toMatch(c.says);
      expect(lines).toHaveLength(2); // one problem, then the summary
      expect(lines[1]).toMatch(/: 1 problem\(s\) above; nothing was changed$/);
      expect([saved(ns), saved(ns, 'ip6tables-save'), lab!.mustExec(ns, 'ipset', ['list']), lab!.mustExec(ns, 'sysctl', ['-n', 'net.ipv4.ip_forward'])]).toEqual(before);
      expect(existsSync(join(dir, 'hostapd.psk'))).toBe(false);
    }
    // Several problems: each gets its line. Control: the full box is accepted.
    const files = linuxFiles('examples/small-garage.yaml');
    const dir = lab!.folder('refuse-all', files);
    writeFileSync(join(dir, 'apply.sh'), labApply(files, dir));
    const bare = lab!.ns('refuse-all');
    const all = lab!.exec(bare, 'sh', [join(dir, 'apply.sh')], { env: cleanEnv(), timeoutMs: 20_000 });
    expect(all.status).toBe(1);
    expect(all.stderr.trim().split('\n')).toHaveLength(5); // WAN, LAN, radio, passphrase, summary
    expect(all.stderr).toContain('set CHARGER_WIFI_PSK to the Wi-Fi passphrase');
    expect(saved(bare)).not.toContain('cw-');
    const good = routerNs('refuse-ok', files['apply.sh']);
    expect(lab!.exec(good, 'sh', [join(dir, 'apply.sh')], { env: applyEnv(files), timeoutMs: 20_000 }).status).toBe(0);
  });

  it('negative control: an apply.sh that adds its jumps unconditionally is caught by the same comparison', () => {
    const files = linuxFiles(exampleFiles()[0]);
    const dir = lab!.folder('naive-apply', files);
    const naive = corrupt(labApply(files, dir), '"$CW_CMD" -t "$CW_TABLE" -C "$CW_CHAIN" "$@" 2>/dev/null || ', '');
    writeFileSync(join(dir, 'apply.sh'), naive);
    const ns = routerNs('naive', files['apply.sh']);
    const apply = () => lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env: applyEnv(files) });
    expect(apply().status).toBe(0);
    const save1 = saved(ns);
    expect(apply().status).toBe(0);
    const save2 = saved(ns);
    expect(save2).not.toBe(save1);
    expect(jumps(save2)).toHaveLength(2 * jumps(save1).length);
  });
});

describe.skipIf(!tools.ok)('systemd accepts the units of both Linux targets', () => {
  const verify = (file: string) => run('systemd-analyze', ['verify', file]);
  for (const rel of exampleFiles()) {
    it(`${rel}: systemd-analyze verify on every unit, with nothing to say; rules at boot, supervised dnsmasq and hostapd`, () => {
      for (const target of ['iptables', 'nftables']) {
        const files = Object.fromEntries(Object.entries(renderFile(rel, [target])).map(([k, v]) => [k.split('/').pop()!, v]));
        const names = Object.keys(files).filter((f) => f.endsWith('.service')).sort();
        const rules = names.find((f) => /^chargewall-[a-z0-9-]+\.service$/.test(f) && !/-(dnsmasq|hostapd)\.service$/.test(f))!;
        const id = /^chargewall-([a-z0-9-]+)\.service$/.exec(rules)![1];
        const wifi = 'hostapd.conf' in files;
        expect(names).toEqual([`chargewall-${id}-dnsmasq.service`, ...(wifi ? [`chargewall-${id}-hostapd.service`] : []), rules].sort());
        const dir = lab!.folder(`${id}-${target}-unit`, Object.fromEntries(names.map((n) => [n, files[n]])));
        for (const name of names) {
          const r = verify(join(dir, name));
          expect(r.stderr, `${target} ${name}`).toBe('');
          expect(r.status).toBe(0);
          expect(files[name]).toMatch(/^WantedBy=multi-user\.target/m);
        }
        expect(files[rules]).toContain(`ExecStart=/bin/sh /etc/chargewall/${id}/apply.sh\n`);
        const dnsmasq = files[`chargewall-${id}-dnsmasq.service`];
        expect(dnsmasq).toContain(`ExecStart=/usr/sbin/dnsmasq --keep-in-foreground --conf-file=/etc/chargewall/${id}/dnsmasq.conf\n`);
        expect(dnsmasq).toMatch(/^Restart=on-failure$/m);
        expect(dnsmasq).toContain(`Requires=${rules}\n`);
        if (wifi) {
          const hostapd = files[`chargewall-${id}-hostapd.service`];
          const radio = /^interface=(\S+)$/m.exec(files['hostapd.conf'])![1];
          const device = `sys-subsystem-net-devices-${radio.replace(/-/g, '\\x2d')}.device`;
          expect(hostapd).toContain(`BindsTo=${device}\n`);
          expect(hostapd).toMatch(new RegExp(`^WantedBy=multi-user\\.target ${device.replace(/[.\\]/g, '\\$&')}$`, 'm'));
          expect(hostapd).toMatch(/^Restart=on-failure$/m);
          expect(hostapd).toContain(`Requires=${rules}\n`);
        }
        // Negative controls: a misspelt value, a command that does not exist, a unit it requires that is not there.
        const bad = lab!.folder(`${id}-${target}-unit-bad`, {
          [rules]: corrupt(files[rules], 'Type=oneshot', 'Type=oneshoot'),
          [`x-${rules}`]: corrupt(files[rules], 'ExecStart=/bin/sh', 'ExecStart=/bin/no-such-shell'),
          [`chargewall-${id}-dnsmasq.service`]: corrupt(dnsmasq, `Requires=${rules}`, 'Requires=chargewall-missing.service'),
        });
        expect(verify(join(bad, rules)).stderr).toContain('Failed to parse service type');
        expect(verify(join(bad, `x-${rules}`)).status).not.toBe(0);
        expect(verify(join(bad, `chargewall-${id}-dnsmasq.service`)).status).not.toBe(0);
      }
    });
  }
});

describe.skipIf(!tools.ok)('apply.sh writes the Wi-Fi passphrase file that hostapd reads', () => {
  const withWifi = exampleFiles().filter((rel) => 'hostapd.conf' in linuxFiles(rel));
  // Quotes, a dollar expansion, a printf directive and a backslash must arrive verbatim.
  const PSK = `pass phrase 'q' "d" $(x) %s \\ end`;

  for (const rel of withWifi) {
    it(`${rel}: the file is root-only, holds the passphrase verbatim, and hostapd brings the AP up with it`, async () => {
      const files = linuxFiles(rel);
      const pskFile = /^wpa_psk_file=(.+)$/m.exec(files['hostapd.conf'])![1];
      const env = /apply\.sh writes it from \$(\w+)/.exec(files['hostapd.conf'])![1];
      expect(files['apply.sh']).toContain(`'${pskFile}'`); // apply.sh writes where hostapd reads
      const site = /^# Site: ([a-z0-9-]+) /m.exec(files['rules.v4'])![1];
      const dir = join(lab!.dir, `${site}-psk`);
      const local = join(dir, 'etc', 'hostapd.psk');
      // The copy writes into the lab instead of /etc/chargewall.
      const apply = files['apply.sh'].split(`'${pskFile}'`).join(`'${local}'`);
      lab!.folder(`${site}-psk`, { ...files, 'apply.sh': apply });
      const ns = routerNs(`${site.slice(0, 6)}-psk`, files['apply.sh']);
      const run1 = lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env: cleanEnv({ [env]: PSK }) });
      expect(run1.stderr).toBe('');
      expect(run1.status).toBe(0);
      expect(statSync(local).mode & 0o777).toBe(0o600);
      expect(readFileSync(local, 'utf8')).toBe(`00:00:00:00:00:00 ${PSK}\n`);

      // hostapd with driver=none reads the PSK file once the interface is set up; without a radio it only
      // gets there when it does not wait for a regulatory-domain event (country_code/ieee80211d removed).
      const conf = (psk: string, ctrl: string) =>
        corrupt(corrupt(corrupt(files['hostapd.conf'], /^driver=nl80211$/m, 'driver=none'), /^ctrl_interface=.*$/m, `ctrl_interface=${dir}/${ctrl}`), /^wpa_psk_file=.*$/m, `wpa_psk_file=${psk}`)
          .replace(/^(country_code|ieee80211d)=.*\n/gm, '');
      writeFileSync(join(dir, 'good.conf'), conf(local, 'ctrl-good'));
      writeFileSync(join(dir, 'short.psk'), '00:00:00:00:00:00 short\n');
      writeFileSync(join(dir, 'bad.conf'), conf(join(dir, 'short.psk'), 'ctrl-bad'));
      const [good, bad] = await Promise.all(
        ['good.conf', 'bad.conf'].map((f) => runAsync('ip', ['netns', 'exec', ns, 'timeout', '3', 'hostapd', join(dir, f)], { timeoutMs: 10_000 })),
      );
      expect(good.stdout + good.stderr).toContain('AP-ENABLED');
      expect(good.stdout + good.stderr).not.toMatch(/Invalid PSK|WPA-PSK setup failed/);
      expect(good.status).toBe(124);
      // Negative control: hostapd does check the file's passphrase.
      expect(bad.stdout + bad.stderr).toContain("Invalid PSK 'short'");
      expect(bad.status).toBe(1);
    });

    it(`${rel}: a passphrase hostapd would reject stops apply.sh before it changes anything`, () => {
      const files = linuxFiles(rel);
      const pskFile = /^wpa_psk_file=(.+)$/m.exec(files['hostapd.conf'])![1];
      const env = /apply\.sh writes it from \$(\w+)/.exec(files['hostapd.conf'])![1];
      const site = /^# Site: ([a-z0-9-]+) /m.exec(files['rules.v4'])![1];
      const local = join(lab!.dir, `${site}-badpsk`, 'hostapd.psk');
      const dir = lab!.folder(`${site}-badpsk`, { ...files, 'apply.sh': files['apply.sh'].split(`'${pskFile}'`).join(`'${local}'`) });
      const ns = routerNs(`${site.slice(0, 6)}-bps`, files['apply.sh']);
      const apply = (psk: string) => lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env: cleanEnv({ [env]: psk }), timeoutMs: 20_000 });
      for (const bad of ['short7c', 'x'.repeat(64), 'line one\nline two', 'grön-lösenord', 'tab\there-too']) {
        const r = apply(bad);
        expect(r.status, JSON.stringify(bad)).toBe(1);
        expect(r.stderr).toContain(`${env} must hold 8 to 63 printable ASCII characters`);
        expect(saved(ns)).not.toContain('cw-');
        expect(existsSync(local)).toBe(false);
      }
      // The boundaries hostapd accepts pass (control: the gate is not simply closed).
      for (const good of ['x'.repeat(8), '~'.repeat(63)]) {
        const r = apply(good);
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(readFileSync(local, 'utf8')).toBe(`00:00:00:00:00:00 ${good}\n`);
      }
    });
  }
});

describe.skipIf(!tools.ok)("hostapd's parser accepts hostapd.conf (driver=none copy, with and without secrets)", () => {
  const withWifi = exampleFiles().filter((rel) => 'hostapd.conf' in linuxFiles(rel));

  it('examples with Wi-Fi get a hostapd.conf, those without get none', () => {
    expect(withWifi.length).toBeGreaterThanOrEqual(1);
    for (const rel of exampleFiles()) {
      const hasWifi = /^wifi:/m.test(readFileSync(join(root, rel), 'utf8'));
      expect('hostapd.conf' in linuxFiles(rel)).toBe(hasWifi);
    }
  });

  it('every variant keeps running (accepted); corrupted copies are rejected', async () => {
    type Case = { name: string; text: string; accept: boolean; up?: boolean; error?: string };
    const cases: Case[] = [];
    for (const rel of withWifi) {
      const plain = linuxFiles(rel)['hostapd.conf'];
      const secret = linuxFiles(rel, true)['hostapd.conf'];
      const site = /^# Site: ([a-z0-9-]+) /m.exec(plain)![1];
      expect(plain).toMatch(/^wpa_psk_file=/m);
      expect(plain).not.toMatch(/^wpa_passphrase=/m);
      expect(secret).toMatch(/^wpa_passphrase=golden-test-passphrase$/m);
      cases.push({ name: `${site}-plain`, text: plain, accept: true });
      cases.push({ name: `${site}-secret`, text: secret, accept: true });
      // Without country_code/ieee80211d hostapd does not wait for a regulatory event that never comes
      // without a radio, and goes through the whole access-point setup (PSK from the passphrase, beacons).
      cases.push({ name: `${site}-secret-up`, text: secret.replace(/^(country_code|ieee80211d)=.*\n/gm, ''), accept: true, up: true });
      cases.push({ name: `${site}-bad-hwmode`, text: corrupt(plain, /^hw_mode=g$/m, 'hw_mode=q'), accept: false, error: "unknown hw_mode 'q'" });
      cases.push({ name: `${site}-bad-ssid`, text: corrupt(plain, /^ssid2=.*$/m, 'ssid2=zz'), accept: false, error: "invalid SSID 'zz'" });
      cases.push({ name: `${site}-short-psk`, text: corrupt(secret, /^wpa_passphrase=.*$/m, 'wpa_passphrase=short'), accept: false, error: 'invalid WPA passphrase length 5' });
    }
    const ns = lab!.ns('hostapd');
    const dir = join(lab!.dir, 'hostapd');
    mkdirSync(dir, { recursive: true });
    const results = await Promise.all(
      cases.map((c) => {
        // Only the driver (no radio here) and the control socket folder (one per copy) change.
        const text = corrupt(corrupt(c.text, /^driver=nl80211$/m, 'driver=none'), /^ctrl_interface=.*$/m, `ctrl_interface=${join(dir, c.name)}.ctrl`);
        const file = join(dir, `${c.name}.conf`);
        writeFileSync(file, text);
        return runAsync('ip', ['netns', 'exec', ns, 'timeout', '3', 'hostapd', file], { timeoutMs: 10_000 });
      }),
    );
    cases.forEach((c, i) => {
      const r = results[i];
      const out = r.stdout + r.stderr;
      if (c.accept) {
        expect(out, c.name).not.toMatch(/errors found in configuration file/);
        expect(r.status, `${c.name}: ${out}`).toBe(124); // still running when timeout stopped it
        if (c.up) expect(out, c.name).toContain('AP-ENABLED');
      } else {
        expect(out, c.name).toMatch(/\d+ errors found in configuration file/);
        expect(out, c.name).toContain(c.error);
        expect(r.status, c.name).toBe(1);
        expect(r.ms, c.name).toBeLessThan(2_500); // rejected at once, not stopped by timeout
      }
    });
  });
});

// (With network.vlan the files also make <port>.<vlan>; this lab's kernel has no 8021q module, so that
// path is checked by the golden files only.)
describe.skipIf(!tools.ok || !existsSync('/lib/systemd/systemd-networkd'))('systemd-networkd builds the charger segment from the network files (Wi-Fi bridge with a wired port)', () => {
  it('br-chargers with the gateway address, eth1 an isolated port of it, no warning about the files', async () => {
    const spec = `version: 1
site: { id: vlan-site, name: "Bridge site" }
profile: zaptec-pro
chargers: { count: 4 }
network: { subnet: 10.77.0.0/24 }
wifi: { ssid: Chargers, passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE }
targets:
  iptables: { lanInterface: br-chargers, wanInterface: wan0, wifiInterface: wlan0, lanPorts: [eth1] }
`;
    const reports: string[] = [];
    const r = renderText(spec, ['iptables']);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const d of r.diagnostics) reports.push(d.code);
    expect(reports).toContain('network-port-taken-over');
    const files = Object.fromEntries(Object.entries(r.files).map(([k, v]) => [k.split('/').pop()!, v]));
    const net = Object.fromEntries(Object.entries(files).filter(([k]) => /^10-chargewall-vlan-site-/.test(k)));
    expect(Object.keys(net).sort()).toEqual([
      '10-chargewall-vlan-site-br-chargers.netdev',
      '10-chargewall-vlan-site-br-chargers.network',
      '10-chargewall-vlan-site-eth1.network',
    ]);
    const ns = lab!.ns('networkd');
    lab!.mustExec(ns, 'ip', ['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'switch']);
    lab!.mustExec(ns, 'ip', ['link', 'set', 'switch', 'up']);
    const dir = lab!.folder('networkd-vlan', net);
    const nd = lab!.networkd(ns, 'networkd-vlan', dir);
    const show = (dev: string) => lab!.exec(ns, 'ip', ['-d', 'link', 'show', 'dev', dev]).stdout;
    const end = Date.now() + 10_000;
    const ready = () =>
      lab!.exec(ns, 'ip', ['-4', 'addr', 'show', 'dev', 'br-chargers']).stdout.includes('inet 10.77.0.1/24 ') &&
      /master br-chargers/.test(show('eth1')) &&
      /isolated on/.test(lab!.exec(ns, 'bridge', ['-d', 'link', 'show', 'dev', 'eth1']).stdout);
    while (Date.now() < end && !ready()) await new Promise((res) => setTimeout(res, 100));
    const log = readFileSync(join(lab!.dir, 'networkd-vlan.log'), 'utf8');
    expect(ready(), `${log}\n${show('eth1')}\n${lab!.exec(ns, 'ip', ['-4', 'addr', 'show', 'dev', 'br-chargers']).stdout}\n${lab!.exec(ns, 'bridge', ['-d', 'link', 'show']).stdout}`).toBe(true);
    expect(/bridge/.test(show('br-chargers'))).toBe(true);
    expect(log.split('\n').filter((l) => /10-chargewall|br-chargers|eth1/.test(l) && /Unknown|ignoring|[Ff]ailed|[Ii]nvalid/.test(l))).toEqual([]);
    // Negative control: a misspelt key in a copy is reported by networkd (the log check can fail).
    const bad = lab!.folder('networkd-bad', { ...net, '10-chargewall-vlan-site-eth1.network': corrupt(net['10-chargewall-vlan-site-eth1.network'], 'Isolated=yes', 'Isolatd=yes') });
    const ns2 = lab!.ns('networkd-bad');
    lab!.mustExec(ns2, 'ip', ['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'switch']);
    const nd2 = lab!.networkd(ns2, 'networkd-bad', bad);
    const end2 = Date.now() + 5_000;
    const badLog = () => (existsSync(join(lab!.dir, 'networkd-bad.log')) ? readFileSync(join(lab!.dir, 'networkd-bad.log'), 'utf8') : '');
    while (Date.now() < end2 && !/Unknown key/.test(badLog())) await new Promise((res) => setTimeout(res, 100));
    expect(badLog()).toMatch(/10-chargewall-vlan-site-eth1\.network:\d+: Unknown key 'Isolatd' in section \[Bridge\]/);
    await lab!.stop(nd);
    await lab!.stop(nd2);
  }, 30_000);
});

describe.skipIf(!tools.ok)('apply.sh: the passphrase variable and the radio port', () => {
  it('a passphrase in $LAN (a name apply.sh once used itself) reaches the PSK file verbatim, and the rules still use the charger interface', () => {
    const spec = readFileSync(join(root, 'examples/small-garage.yaml'), 'utf8').replace('{ env: CHARGER_WIFI_PSK }', '{ env: LAN }');
    const r = renderText(spec, ['iptables']);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const files = Object.fromEntries(Object.entries(r.files).map(([k, v]) => [k.split('/').pop()!, v]));
    const dir = lab!.folder('env-lan', files);
    writeFileSync(join(dir, 'apply.sh'), labApply(files, dir));
    const ns = routerNs('env-lan', files['apply.sh']);
    const run1 = lab!.exec(ns, 'sh', [join(dir, 'apply.sh')], { env: cleanEnv({ LAN: 'the-real-passphrase' }), timeoutMs: 20_000 });
    expect(run1.stderr).toBe('');
    expect(run1.status).toBe(0);
    expect(readFileSync(join(dir, 'hostapd.psk'), 'utf8')).toBe('00:00:00:00:00:00 the-real-passphrase\n');
    expect(saved(ns)).toContain('-A FORWARD -i br-lan -j cw-verkstad-lund-fwd');
  });

  it('--isolate-radio makes the radio an isolated port once hostapd has added it to the bridge', () => {
    const files = linuxFiles('examples/small-garage.yaml');
    const s = settings(files['apply.sh']);
    const dir = lab!.folder('isolate-radio', files);
    const ns = routerNs('isolate', files['apply.sh']);
    // What hostapd does with bridge= (here by hand: no radio in the lab).
    lab!.mustExec(ns, 'ip', ['link', 'set', s.wifi!, 'master', s.lan]);
    const port = () => lab!.mustExec(ns, 'bridge', ['-d', 'link', 'show', 'dev', s.wifi!]);
    expect(port()).toMatch(/isolated off/);
    const r = lab!.exec(ns, 'sh', [join(dir, 'apply.sh'), '--isolate-radio'], { env: cleanEnv() });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(port()).toMatch(/isolated on/);
    expect(saved(ns)).not.toContain('cw-'); // it only isolates the port
  });
});
