/**
 * End to end for the Linux targets (iptables, then nftables: the same lab and the same checks for
 * each), in network namespaces made here:
 *
 *   charger (udhcpc)  eth0 ──veth── lan-a ┐
 *                     pool address        ├ br-lan  router (apply.sh, generated dnsmasq)  wan0 ──veth── up0  cloud
 *   static (udhcpc)   eth0 ──veth── lan-b ┘ 10.99.0.1/24              198.51.100.1/24         198.51.100.2/24
 *                     MAC reserved in the spec -> 10.99.0.20
 *
 * The cloud namespace holds a fake upstream resolver (198.51.100.53) that answers every Zaptec name with
 * its own TEST-NET address, a rogue resolver (192.0.2.53) that answers everything with 192.0.2.66, TCP
 * listeners on 443, 8883, 22 and 80 on every address, and NTP responders on UDP 123. Every reply names
 * the address and port that answered and the peer it saw. An office namespace (10.98.0.2, on the
 * router's lan1, 10.98.0.1/24) is another LAN segment. Only 10.x and TEST-NET addresses are used.
 *
 * The last test reboots the router: its namespace goes, a new one gets the same cables, and only the
 * generated network files (run by the real systemd-networkd) and what the units run bring it back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, readFileSync, writeFileSync, mkdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { renderText, requireTools, root } from './helpers.js';
import { Lab, cleanEnv, runAsync, waitFor } from './netns.js';

const tools = requireTools(['ip', 'ss', 'iptables', 'iptables-save', 'ipset', 'nft', 'dnsmasq', 'udhcpc', 'socat', 'bridge', 'ifup', 'brctl']);

const SPEC = `version: 1
site: { id: e2e-lab, name: "End-to-end lab" }
profile: zaptec-pro
chargers:
  count: 4
  units:
    - { name: "Bay 7 (static)", mac: "98:3D:AE:99:00:07", ip: 10.99.0.20 }
network: { subnet: 10.99.0.0/24, dhcp: { pool: auto } }
targets:
  iptables: { lanInterface: br-lan, wanInterface: wan0, lanPorts: [lan-a, lan-b] }
  nftables: { lanInterface: br-lan, wanInterface: wan0, lanPorts: [lan-a, lan-b] }
`;

const GW = '10.99.0.1';
const STATIC = { mac: '98:3d:ae:99:00:07', ip: '10.99.0.20' };
/** Another LAN segment of the router (an office), and a source address outside the charger subnet. */
const OFFICE = { router: '10.98.0.1', host: '10.98.0.2' };
const SPOOF = '10.55.0.5';
const UPSTREAM = '198.51.100.53';
const ROGUE = '192.0.2.53';
const ROGUE_ANSWER = '192.0.2.66';
/** Every Zaptec name, its own cloud address, and the port the profile allows for it. */
const HOSTS = [
  { name: 'zapcloud-api.azurewebsites.net', ip: '203.0.113.10', proto: 'tcp', port: 443, set: 'https' },
  { name: 'devices.zaptec.com', ip: '203.0.113.11', proto: 'tcp', port: 443, set: 'https' },
  { name: 'api.zaptec.com', ip: '203.0.113.12', proto: 'tcp', port: 443, set: 'https' },
  { name: 'zapcloud.azure-devices.net', ip: '203.0.113.20', proto: 'tcp', port: 8883, set: 'mqtt' },
  { name: 'no.pool.ntp.org', ip: '203.0.113.30', proto: 'udp', port: 123, set: 'ntp' },
] as const;
/** A cloud address that no DNS answer ever hands out. */
const STRANGER = '203.0.113.99';
const CLOUD_ADDRS = [UPSTREAM, ROGUE, ...HOSTS.map((h) => h.ip), STRANGER];
const TCP_PORTS = [443, 8883, 22, 80];
const UDP_HOSTS = ['203.0.113.30', '203.0.113.10', STRANGER];

type Probe = { kind: 'dns' | 'dns-tcp'; server: string; name: string } | { kind: 'tcp' | 'udp'; host: string; port: number; from?: string };
type ProbeResult = { ok: boolean; addresses?: string[]; reply?: string; error?: string };

const PROBE = join(root, 'test', 'fixtures', 'probe.mjs');

/** The whole lab and every check, for one Linux target (each in namespaces of its own). */
function endToEnd(target: 'iptables' | 'nftables', labName: string): void {
  const lab = tools.ok ? new Lab(labName) : undefined;
  let charger = '';
  let staticCharger = '';
  let router = '';
  let cloud = '';
  let office = '';
  let routerDns: ReturnType<Lab['start']> | undefined;
  let lease: Record<string, string> = {};
  let staticLease: Record<string, string> = {};
  let files: Record<string, string> = {};
  const timings: Record<string, number> = {};
  /** Runs udhcpc in a charger namespace; resolves with what its script was given. */
  async function dhcp(ns: string): Promise<Record<string, string>> {
    const l = lab!;
    const role = ns.split('-').pop()!;
    const script = join(l.dir, `udhcpc-${role}.sh`);
    const leaseFile = join(l.dir, `${role}.lease`);
    writeFileSync(
      script,
      `#!/bin/sh
  case "$1" in
    deconfig) ip -4 addr flush dev "$interface"; ip link set "$interface" up ;;
    bound|renew)
      ip addr add "$ip/$subnet" dev "$interface"
      [ -n "$router" ] && ip route replace default via "\${router%% *}" dev "$interface"
      printf 'ip=%s\\nsubnet=%s\\nrouter=%s\\ndns=%s\\nntpsrv=%s\\nserverid=%s\\nlease=%s\\n' "$ip" "$subnet" "$router" "$dns" "$ntpsrv" "$serverid" "$lease" > '${leaseFile}' ;;
  esac
  exit 0
  `,
    );
    chmodSync(script, 0o755);
    // At most 10 discovers one second apart, then give up (-n). In the lab udhcpc sometimes misses the
    // server's DHCPACK (dnsmasq logs it sent three; the client logs three unanswered requests, then
    // gives up), in either target's lab: up to two more client runs, each counted in the printed
    // timings, so a server that never answers still fails.
    const client = (perPacket: string) =>
      runAsync('ip', ['netns', 'exec', ns, 'udhcpc', '-i', 'eth0', '-f', '-q', '-n', '-t', '10', '-T', perPacket, '-s', script], { env: cleanEnv(), timeoutMs: 30_000 });
    let r = await client('1');
    for (let retry = 1; retry <= 2 && (r.status !== 0 || !existsSync(leaseFile)); retry++) {
      timings[`dhcpRetry-${role}`] = retry;
      console.warn(`[linux-e2e ${target}] udhcpc in ${ns} got no lease (${r.status}), run ${retry + 1}:\n${r.stdout}\n${r.stderr}`);
      r = await client('2');
    }
    if (r.status !== 0 || !existsSync(leaseFile)) throw new Error(`udhcpc in ${ns} got no lease (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return Object.fromEntries(readFileSync(leaseFile, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  }

  /** probe() without blocking, so probes from several namespaces wait out their timeouts together. */
  async function probeAsync(ns: string, probes: Probe[]): Promise<ProbeResult[]> {
    const r = await runAsync('ip', ['netns', 'exec', ns, process.execPath, PROBE, JSON.stringify(probes)], { timeoutMs: 10_000 });
    if (r.status !== 0) throw new Error(`probe failed in ${ns}: ${r.status ?? r.signal}\n${r.stderr}`);
    return JSON.parse(r.stdout) as ProbeResult[];
  }

  function probe(ns: string, probes: Probe[]): ProbeResult[] {
    const r = lab!.exec(ns, process.execPath, [PROBE, JSON.stringify(probes)], { timeoutMs: 10_000 });
    if (r.status !== 0) throw new Error(`probe failed in ${ns}: ${r.status ?? r.signal}\n${r.stderr}`);
    return JSON.parse(r.stdout) as ProbeResult[];
  }

  /** The addresses in the router's allow-set for one endpoint group (an ipset, or a set in the nftables table). */
  function setMembers(set: string): string[] {
    if (target === 'nftables') {
      const json = JSON.parse(lab!.mustExec(router, 'nft', ['--json', 'list', 'set', 'inet', 'cw-e2e-lab', `allow-${set}`]));
      const elems: unknown[] = json.nftables.find((o: { set?: unknown }) => o.set).set.elem ?? [];
      return elems.map((e) => (typeof e === 'string' ? e : (e as { elem: { val: string } }).elem.val)).sort();
    }
    const out = lab!.mustExec(router, 'ipset', ['list', `cw-e2e-lab-${set}`]);
    return out
      .slice(out.indexOf('Members:') + 'Members:'.length)
      .split('\n')
      .map((l) => l.trim().split(' ')[0])
      .filter(Boolean)
      .sort();
  }

  /**
   * The router's cables: a veth to each charger (lan-a, lan-b), to the cloud (wan0) and to the office
   * (lan1), with the far ends configured. The router's side stays as the kernel made it (down, no address).
   */
  function cables(r: string): void {
    const ipn = (ns: string, ...args: string[]) => lab!.mustExec(ns, 'ip', args);
    ipn(r, 'link', 'add', 'lan-a', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', charger);
    ipn(r, 'link', 'add', 'lan-b', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', staticCharger);
    ipn(staticCharger, 'link', 'set', 'eth0', 'address', STATIC.mac);
    ipn(r, 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'up0', 'netns', cloud);
    ipn(r, 'link', 'add', 'lan1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', office);
    ipn(cloud, 'addr', 'add', '198.51.100.2/24', 'dev', 'up0');
    ipn(cloud, 'link', 'set', 'up0', 'up');
    // Lets the cloud try to open connections to the chargers (they must be dropped by the router), and
    // answer a source outside the charger subnet (so only the router can stop it).
    ipn(cloud, 'route', 'add', '10.99.0.0/24', 'via', '198.51.100.1');
    ipn(cloud, 'route', 'add', '10.55.0.0/24', 'via', '198.51.100.1');
    ipn(office, 'addr', 'add', `${OFFICE.host}/24`, 'dev', 'eth0');
    ipn(office, 'link', 'set', 'eth0', 'up');
    ipn(office, 'route', 'add', '10.99.0.0/24', 'via', OFFICE.router);
    for (const ns of [charger, staticCharger]) ipn(ns, 'link', 'set', 'eth0', 'up');
    for (const port of ['lan-a', 'lan-b']) ipn(r, 'link', 'set', port, 'up');
  }

  /** The router's own configuration of its uplink and office port (the admin's, not chargewall's). */
  function uplink(r: string): void {
    const ipn = (...args: string[]) => lab!.mustExec(r, 'ip', args);
    ipn('addr', 'add', '198.51.100.1/24', 'dev', 'wan0');
    ipn('link', 'set', 'wan0', 'up');
    ipn('addr', 'add', `${OFFICE.router}/24`, 'dev', 'lan1');
    ipn('link', 'set', 'lan1', 'up');
    // The router's upstream is the cloud namespace (which has no way out of the lab).
    ipn('route', 'add', 'default', 'via', '198.51.100.2');
  }

  const listening = (ns: string, proto: 'tcp' | 'udp', addrPort: string) => () =>
    lab!.exec(ns, 'ss', ['-Hln', proto === 'tcp' ? '-t' : '-u']).stdout.split(/\s+/).includes(addrPort);

  describe.skipIf(!tools.ok)(`Linux target ${target} end to end (charger ↔ router ↔ cloud namespaces)`, () => {
    beforeAll(async () => {
      const t0 = Date.now();
      const l = lab!;
      const result = renderText(SPEC, [target]);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      files = Object.fromEntries(Object.entries(result.files).map(([k, v]) => [k.split('/').pop()!, v]));
      const rdir = join(l.dir, 'router');
      mkdirSync(rdir);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(rdir, name), text);

      charger = l.ns('charger');
      staticCharger = l.ns('static');
      router = l.ns('router');
      cloud = l.ns('cloud');
      office = l.ns('office');
      const ipn = (ns: string, ...args: string[]) => l.mustExec(ns, 'ip', args);
      cables(router);
      // The charger segment as the guides used to set it up by hand (the reboot test uses the network files).
      ipn(router, 'link', 'add', 'br-lan', 'type', 'bridge');
      for (const port of ['lan-a', 'lan-b']) ipn(router, 'link', 'set', port, 'master', 'br-lan');
      ipn(router, 'addr', 'add', `${GW}/24`, 'dev', 'br-lan');
      ipn(router, 'link', 'set', 'br-lan', 'up');
      uplink(router);
      for (const a of CLOUD_ADDRS) ipn(cloud, 'addr', 'add', `${a}/32`, 'dev', 'lo');

      // Cloud services.
      const dnsmasqCloud = (name: string, listen: string, answers: string[]) =>
        l.start(cloud, name, 'dnsmasq', [
          '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces',
          `--listen-address=${listen}`, '--port=53', `--pid-file=${join(l.dir, `${name}.pid`)}`, '--user=root',
          '--log-queries', `--log-facility=${join(l.dir, `${name}.queries`)}`, ...answers.map((a) => `--address=${a}`),
        ]);
      dnsmasqCloud('upstream', UPSTREAM, HOSTS.map((h) => `/${h.name}/${h.ip}`));
      dnsmasqCloud('rogue', ROGUE, [`/#/${ROGUE_ANSWER}`]);
      for (const port of TCP_PORTS) {
        l.start(cloud, `tcp${port}`, 'socat', [`TCP4-LISTEN:${port},fork,reuseaddr`, 'SYSTEM:echo "cloud $SOCAT_SOCKADDR:$SOCAT_SOCKPORT from $SOCAT_PEERADDR"']);
      }
      l.start(cloud, 'ntp', process.execPath, [PROBE, 'udp-responder', ...UDP_HOSTS]);
      l.start(charger, 'charger-listener', 'socat', ['TCP4-LISTEN:8080,fork,reuseaddr', 'SYSTEM:echo "charger $SOCAT_SOCKADDR:8080"']);
      l.start(staticCharger, 'static-listener', 'socat', ['TCP4-LISTEN:8080,fork,reuseaddr', 'SYSTEM:echo "charger $SOCAT_SOCKADDR:8080"']);

      // Router: the generated apply.sh, then the generated dnsmasq.conf with its lease and pid files moved
      // into the lab and its upstream pointed at the fake resolver (the real file reads /etc/resolv.conf).
      const t1 = Date.now();
      const apply = l.exec(router, 'sh', [join(rdir, 'apply.sh')], { env: cleanEnv(), timeoutMs: 20_000 });
      timings.applyMs = Date.now() - t1;
      if (apply.status !== 0) throw new Error(`apply.sh failed: ${apply.stdout}\n${apply.stderr}`);
      expect(apply.stdout).toContain('chargewall: e2e-lab applied');
      expect(apply.stderr).toBe('');
      let conf = files['dnsmasq.conf'];
      const moved = { leases: join(l.dir, 'router.leases'), pid: join(l.dir, 'router-dnsmasq.pid') };
      expect(conf.match(/^dhcp-leasefile=.*$/gm)).toHaveLength(1);
      expect(conf.match(/^pid-file=.*$/gm)).toHaveLength(1);
      conf = conf.replace(/^dhcp-leasefile=.*$/m, `dhcp-leasefile=${moved.leases}`).replace(/^pid-file=.*$/m, `pid-file=${moved.pid}`);
      writeFileSync(join(l.dir, 'router-dnsmasq.conf'), conf);
      routerDns = l.start(router, 'router-dnsmasq', 'dnsmasq', [
        '--keep-in-foreground', `--conf-file=${join(l.dir, 'router-dnsmasq.conf')}`, '--no-resolv', `--server=${UPSTREAM}`,
        '--log-queries', '--log-dhcp', `--log-facility=${join(l.dir, 'router-dnsmasq.queries')}`,
      ]);

      const services: [string, () => boolean][] = [
        ['upstream resolver', listening(cloud, 'udp', `${UPSTREAM}:53`)],
        ['rogue resolver', listening(cloud, 'udp', `${ROGUE}:53`)],
        ...TCP_PORTS.map((p): [string, () => boolean] => [`cloud tcp ${p}`, listening(cloud, 'tcp', `0.0.0.0:${p}`)]),
        ...UDP_HOSTS.map((ip): [string, () => boolean] => [`cloud ntp ${ip}`, listening(cloud, 'udp', `${ip}:123`)]),
        ['charger listener', listening(charger, 'tcp', '0.0.0.0:8080')],
        ['static charger listener', listening(staticCharger, 'tcp', '0.0.0.0:8080')],
        ['router dns', listening(router, 'udp', `${GW}:53`)],
        ['router dhcp', listening(router, 'udp', '0.0.0.0%br-lan:67')],
      ];
      let pending: string[] = [];
      await waitFor(
        'cloud and router services to listen',
        () => {
          if (!l.alive(routerDns!)) throw new Error(`router dnsmasq exited:\n${readFileSync(join(l.dir, 'router-dnsmasq.log'), 'utf8')}`);
          pending = services.filter(([, ready]) => !ready()).map(([name]) => name);
          return pending.length === 0;
        },
        8_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}: ${pending.join(', ')}`);
      });
      timings.labReadyMs = Date.now() - t0;

      // Chargers: a DHCP client whose script configures the lease and records what it was given. Both ask
      // at once (dnsmasq checks an address is free with a ping before it offers it, about 3 s).
      const t2 = Date.now();
      [lease, staticLease] = await Promise.all([dhcp(charger), dhcp(staticCharger)]);
      timings.dhcpMs = Date.now() - t2;
    }, 120_000);

    afterAll(async () => {
      if (lab) {
        await lab.cleanup();
        console.log(`[linux-e2e ${target}] timings: ${JSON.stringify(timings)}`);
      }
    }, 20_000);

    it('the charger gets a lease from the pool with the router as gateway and DNS server', () => {
      const range = /^dhcp-range=set:[^,]+,([\d.]+),([\d.]+),/m.exec(files['dnsmasq.conf']);
      expect(range).not.toBeNull();
      const n = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
      expect(n(lease.ip)).toBeGreaterThanOrEqual(n(range![1]));
      expect(n(lease.ip)).toBeLessThanOrEqual(n(range![2]));
      expect(lease.subnet).toBe('255.255.255.0');
      expect(lease.router).toBe(GW);
      expect(lease.dns).toBe(GW);
      expect(lease.serverid).toBe(GW);
      expect(lab!.mustExec(charger, 'ip', ['-4', 'addr', 'show', 'dev', 'eth0'])).toContain(`inet ${lease.ip}/24`);
      expect(readFileSync(join(lab!.dir, 'router.leases'), 'utf8')).toContain(` ${lease.ip} `);
    });

    it('before any DNS answer, no cloud address is open to the charger (the allow-sets start empty)', () => {
      for (const set of ['https', 'mqtt', 'ntp']) expect(setMembers(set)).toEqual([]);
      const probes: Probe[] = HOSTS.map((h) => ({ kind: h.proto, host: h.ip, port: h.port }));
      expect(probe(charger, probes).map((r) => r.ok)).toEqual(HOSTS.map(() => false));
      // Control: the same addresses and ports answer the router itself.
      expect(probe(router, probes).map((r) => r.ok)).toEqual(HOSTS.map(() => true));
    });

    it('resolves every Zaptec name through the DHCP-given DNS server, which fills the allow-sets', () => {
      const t = Date.now();
      const res = probe(charger, HOSTS.map((h) => ({ kind: 'dns', server: lease.dns, name: h.name })));
      timings.resolveMs = Date.now() - t;
      expect(res).toEqual(HOSTS.map((h) => ({ ok: true, addresses: [h.ip] })));
      expect(setMembers('https')).toEqual(['203.0.113.10', '203.0.113.11', '203.0.113.12']);
      expect(setMembers('mqtt')).toEqual(['203.0.113.20']);
      expect(setMembers('ntp')).toEqual(['203.0.113.30']);
      const log = readFileSync(join(lab!.dir, 'router-dnsmasq.queries'), 'utf8');
      for (const h of HOSTS) expect(log).toContain(`forwarded ${h.name} to ${UPSTREAM}`);
    });

    it('reaches each host on its own port, masqueraded behind the router', () => {
      const res = probe(charger, HOSTS.map((h) => ({ kind: h.proto, host: h.ip, port: h.port })));
      expect(res).toEqual(
        HOSTS.map((h) => ({
          ok: true,
          reply: h.proto === 'tcp' ? `cloud ${h.ip}:${h.port} from 198.51.100.1` : `ntp ${h.ip}:123 from 198.51.100.1`,
        })),
      );
    });

    it('is refused on other ports of those hosts and on any other host', () => {
      const denied: Probe[] = [
        { kind: 'tcp', host: '203.0.113.20', port: 443 }, // MQTT host, HTTPS port
        { kind: 'tcp', host: '203.0.113.10', port: 8883 }, // HTTPS host, MQTT port
        { kind: 'tcp', host: '203.0.113.12', port: 22 },
        { kind: 'tcp', host: '203.0.113.11', port: 80 },
        { kind: 'udp', host: '203.0.113.10', port: 123 }, // NTP to an HTTPS host
        { kind: 'tcp', host: '203.0.113.30', port: 443 }, // NTP host, HTTPS port
        { kind: 'tcp', host: STRANGER, port: 443 }, // an address no DNS answer handed out
        { kind: 'tcp', host: STRANGER, port: 8883 },
        { kind: 'udp', host: STRANGER, port: 123 },
        { kind: 'tcp', host: UPSTREAM, port: 443 },
      ];
      const t = Date.now();
      const res = probe(charger, denied);
      timings.deniedProbesMs = Date.now() - t;
      expect(res.map((r) => r.ok)).toEqual(denied.map(() => false));
      // Dropped, not rejected: the charger sees silence.
      expect(res.map((r) => r.error)).toEqual(denied.map(() => 'timeout'));
      // Control: every one of them is listening, as the router itself sees.
      expect(probe(router, denied).map((r) => r.ok)).toEqual(denied.map(() => true));
      if (target === 'nftables') {
        // The drops were chargewall's default deny: its counter saw at least one packet per probe.
        const chain = lab!.mustExec(router, 'nft', ['list', 'chain', 'inet', 'cw-e2e-lab', 'chargers-out']);
        const dropped = /counter packets (\d+) bytes \d+ drop comment "chargewall e2e-lab: default deny"/.exec(chain);
        expect(dropped, chain).not.toBeNull();
        expect(Number(dropped![1])).toBeGreaterThanOrEqual(denied.length);
      }
    });

    it('a DNS query (UDP and TCP) to another resolver is answered by the router (redirect), not by that resolver', () => {
      const names = ['api.zaptec.com', 'zapcloud.azure-devices.net'];
      const routerLog = () => readFileSync(join(lab!.dir, 'router-dnsmasq.queries'), 'utf8');
      const asked = (log: string, name: string) => log.split('\n').filter((l) => l.includes(`query[A] ${name} from ${lease.ip}`)).length;
      const before = routerLog();
      const res = probe(charger, [
        { kind: 'dns', server: ROGUE, name: names[0] },
        { kind: 'dns-tcp', server: ROGUE, name: names[1] },
      ]);
      expect(res).toEqual([
        { ok: true, addresses: ['203.0.113.12'] },
        { ok: true, addresses: ['203.0.113.20'] },
      ]);
      // The router's resolver got each query from the charger once more ...
      const after = routerLog();
      for (const name of names) expect(asked(after, name)).toBe(asked(before, name) + 1);
      // ... and the other resolver never saw them.
      const rogueLog = () => readFileSync(join(lab!.dir, 'rogue.queries'), 'utf8');
      expect(rogueLog()).not.toMatch(/query\[/);
      // Control: asked directly from the router, the other resolver answers with its own address (and logs it).
      expect(probe(router, [{ kind: 'dns', server: ROGUE, name: 'api.zaptec.com' }, { kind: 'dns-tcp', server: ROGUE, name: 'devices.zaptec.com' }])).toEqual([
        { ok: true, addresses: [ROGUE_ANSWER] },
        { ok: true, addresses: [ROGUE_ANSWER] },
      ]);
      expect(rogueLog()).toContain('query[A] api.zaptec.com from 198.51.100.1');
    });

    it('no connection from the internet side reaches the charger', () => {
      const target: Probe[] = [{ kind: 'tcp', host: lease.ip, port: 8080 }];
      expect(probe(cloud, target)).toEqual([{ ok: false, error: 'timeout' }]);
      // Control: the charger's listener answers the router.
      expect(probe(router, target)).toEqual([{ ok: true, reply: `charger ${lease.ip}:8080` }]);
    });

    it('the charger whose MAC is reserved in the spec gets its address, with the site\'s DHCP options', () => {
      expect(staticLease).toMatchObject({ ip: STATIC.ip, subnet: '255.255.255.0', router: GW, dns: GW, serverid: GW });
      expect(lab!.mustExec(staticCharger, 'ip', ['-4', 'addr', 'show', 'dev', 'eth0'])).toContain(`inet ${STATIC.ip}/24`);
      // The options came from the site's tagged dhcp-option lines: dnsmasq set the range's tag for this host.
      const log = readFileSync(join(lab!.dir, 'router-dnsmasq.queries'), 'utf8');
      const xid = new RegExp(`(\\d+) DHCPACK\\(br-lan\\) ${STATIC.ip.replace(/\./g, '\\.')} ${STATIC.mac}`).exec(log);
      expect(xid).not.toBeNull();
      expect(log).toContain(`${xid![1]} tags: cw-e2e-lab, `);
      // And it is filtered like every charger: an address no DNS answer named is closed, a resolved one is open.
      const https = HOSTS[2];
      expect(probe(staticCharger, [{ kind: 'tcp', host: STRANGER, port: 443 }])).toEqual([{ ok: false, error: 'timeout' }]);
      expect(probe(staticCharger, [{ kind: 'dns', server: staticLease.dns, name: https.name }])).toEqual([{ ok: true, addresses: [https.ip] }]);
      expect(probe(staticCharger, [{ kind: 'tcp', host: https.ip, port: 443 }])).toEqual([{ ok: true, reply: `cloud ${https.ip}:443 from 198.51.100.1` }]);
    });

    it('a source address outside the charger subnet, on the charger segment, is dropped (even to an allowed host)', () => {
      lab!.mustExec(charger, 'ip', ['addr', 'add', `${SPOOF}/24`, 'dev', 'eth0']);
      try {
        const https = HOSTS[2];
        const spoofed: Probe[] = [
          { kind: 'tcp', host: https.ip, port: 443, from: SPOOF },
          { kind: 'tcp', host: STRANGER, port: 443, from: SPOOF },
          { kind: 'tcp', host: STRANGER, port: 22, from: SPOOF },
        ];
        expect(probe(charger, spoofed)).toEqual(spoofed.map(() => ({ ok: false, error: 'timeout' })));
        // Control: from its lease address the same charger reaches the allowed host.
        expect(probe(charger, [{ kind: 'tcp', host: https.ip, port: 443 }])).toEqual([{ ok: true, reply: `cloud ${https.ip}:443 from 198.51.100.1` }]);
        const counted =
          target === 'nftables'
            ? /counter packets (\d+) bytes \d+ drop comment "chargewall e2e-lab: source outside the charger subnet"/.exec(lab!.mustExec(router, 'nft', ['list', 'chain', 'inet', 'cw-e2e-lab', 'chargers-out']))
            : /^\s*(\d+)\s+\d+\s+DROP\s+.*!10\.99\.0\.0\/24/m.exec(lab!.mustExec(router, 'iptables', ['-L', 'cw-e2e-lab-fwd', '-v', '-n', '-x']));
        expect(counted).not.toBeNull();
        expect(Number(counted![1])).toBeGreaterThanOrEqual(spoofed.length);
      } finally {
        lab!.mustExec(charger, 'ip', ['addr', 'del', `${SPOOF}/24`, 'dev', 'eth0']);
      }
    });

    it('chargers get no traffic between each other across the bridge, and no new connection from another LAN segment', async () => {
      const toStatic: Probe[] = [{ kind: 'tcp', host: STATIC.ip, port: 8080 }];
      const toCharger: Probe[] = [{ kind: 'tcp', host: lease.ip, port: 8080 }];
      const [a, b, c] = await Promise.all([probeAsync(charger, toStatic), probeAsync(staticCharger, toCharger), probeAsync(office, [...toCharger, ...toStatic])]);
      expect(a).toEqual([{ ok: false, error: 'timeout' }]);
      expect(b).toEqual([{ ok: false, error: 'timeout' }]);
      expect(c).toEqual([{ ok: false, error: 'timeout' }, { ok: false, error: 'timeout' }]);
      // Controls: both listeners answer the router, and the office reaches the router itself.
      expect(probe(router, [...toCharger, ...toStatic])).toEqual([
        { ok: true, reply: `charger ${lease.ip}:8080` },
        { ok: true, reply: `charger ${STATIC.ip}:8080` },
      ]);
      for (const port of ['lan-a', 'lan-b']) expect(lab!.mustExec(router, 'bridge', ['-d', 'link', 'show', 'dev', port])).toMatch(/isolated on/);
    });

    it('dnsmasq answers on the charger interface only: the WAN side gets no DNS or DHCP answer, and loopback is left to the router', async () => {
      expect(lab!.alive(routerDns!), readFileSync(join(lab!.dir, 'router-dnsmasq.log'), 'utf8')).toBe(true);
      // Every socket it has is on br-lan: the gateway address, br-lan's IPv6 link-local address, or bound to the device.
      const sockets = (flags: string) => lab!.mustExec(router, 'ss', [flags]).split('\n').filter((l) => l.includes('dnsmasq')).map((l) => l.split(/\s+/)[3]).sort();
      const onLan = (a: string) => a === `${GW}:53` || /^\[fe80::[0-9a-f:]+\]%br-lan:53$/.test(a) || a === '0.0.0.0%br-lan:67';
      const udp = sockets('-Hlnup');
      expect(udp, udp.join(' ')).toContain(`${GW}:53`);
      expect(udp, udp.join(' ')).toContain('0.0.0.0%br-lan:67');
      expect(udp.filter((a) => !onLan(a))).toEqual([]);
      expect(sockets('-Hlntp').filter((a) => !onLan(a))).toEqual([]);
      // From the uplink: DNS to the router's WAN address and to the gateway address, over UDP and TCP.
      const dns: Probe[] = [
        { kind: 'dns', server: '198.51.100.1', name: 'api.zaptec.com' },
        { kind: 'dns-tcp', server: '198.51.100.1', name: 'api.zaptec.com' },
      ];
      const res = probe(cloud, dns);
      expect(res.map((r) => r.ok)).toEqual([false, false]);
      // DHCP from the uplink: a client on up0 gets no offer (its script records one if it did).
      const offered = join(lab!.dir, 'wan-dhcp.offer');
      const script = join(lab!.dir, 'wan-dhcp.sh');
      writeFileSync(script, `#!/bin/sh\n[ "$1" = bound ] && echo "$ip" > '${offered}'\nexit 0\n`);
      chmodSync(script, 0o755);
      const r = await runAsync('ip', ['netns', 'exec', cloud, 'udhcpc', '-i', 'up0', '-f', '-q', '-n', '-t', '2', '-T', '1', '-s', script], { env: cleanEnv(), timeoutMs: 15_000 });
      expect(r.status).not.toBe(0);
      expect(existsSync(offered)).toBe(false);
      expect(readFileSync(join(lab!.dir, 'router-dnsmasq.queries'), 'utf8')).not.toMatch(/DHCPDISCOVER\(wan0\)|from 198\.51\.100\.2/);
      // Control: the charger side is answered.
      expect(probe(charger, [{ kind: 'dns', server: GW, name: 'api.zaptec.com' }])).toEqual([{ ok: true, addresses: ['203.0.113.12'] }]);
    });

    it('apply.sh --status shows the allow-sets dnsmasq filled and the rule counters, and changes nothing', () => {
      const before = target === 'nftables' ? lab!.mustExec(router, 'nft', ['list', 'ruleset']).replace(/ expires \S+/g, '') : lab!.mustExec(router, 'iptables-save', []).replace(/^#.*$/gm, '');
      const r = lab!.exec(router, 'sh', [join(lab!.dir, 'router', 'apply.sh'), '--status'], { env: cleanEnv() });
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      for (const h of HOSTS) expect(r.stdout).toContain(h.ip);
      expect(r.stdout).toMatch(target === 'nftables' ? /counter packets [1-9]\d* bytes \d+ drop comment "chargewall e2e-lab: default deny"/ : /^\s*[1-9]\d*\s+\d+\s+DROP\s/m);
      expect(r.stdout).not.toContain('applied');
      const after = target === 'nftables' ? lab!.mustExec(router, 'nft', ['list', 'ruleset']).replace(/ expires \S+/g, '') : lab!.mustExec(router, 'iptables-save', []).replace(/^#.*$/gm, '');
      expect(after.replace(/counter packets \d+ bytes \d+|\[\d+:\d+\]/g, '')).toBe(before.replace(/counter packets \d+ bytes \d+|\[\d+:\d+\]/g, ''));
    });

    const stack = target === 'iptables' ? 'systemd-networkd' : 'ifupdown';
    it(`"reboot": a new router with only the generated network files (${stack}) and what the units run serves the chargers again`, async () => {
      const l = lab!;
      const t0 = Date.now();
      // Power off: the router's processes end and its namespace goes, and with it every cable's router end.
      await l.stop(routerDns!);
      const gone = l.ns('router'); // deletes the old namespace of that name, and makes the new, empty box
      router = gone;
      await waitFor('the old cables to go', () => [charger, staticCharger, office].every((ns) => l.exec(ns, 'ip', ['link', 'show', 'eth0']).status !== 0), 10_000);
      cables(router);

      // The files where the guide puts them: the target's folder as /etc/chargewall/e2e-lab, the network
      // files as /etc/systemd/network (bound there for networkd only), the units read for what they run.
      const etc = join(l.dir, 'etc-chargewall-e2e-lab');
      mkdirSync(etc);
      const home = (text: string) => text.split('/etc/chargewall/e2e-lab').join(etc);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(etc, name), home(text));
      // Lab-only: dnsmasq's lease and pid files, its upstream (the router's resolv.conf on a real box) and its log.
      writeFileSync(
        join(etc, 'dnsmasq.conf'),
        files['dnsmasq.conf'].replace(/^dhcp-leasefile=.*$/m, `dhcp-leasefile=${join(l.dir, 'reboot.leases')}`).replace(/^pid-file=.*$/m, `pid-file=${join(l.dir, 'reboot-dnsmasq.pid')}`) +
          `no-resolv\nserver=${UPSTREAM}\nlog-queries\nlog-dhcp\nlog-facility=${join(l.dir, 'reboot-dnsmasq.queries')}\n`,
      );
      const networkFiles = Object.keys(files).filter((f) => /^10-chargewall-e2e-lab-.*\.(netdev|network)$/.test(f));
      expect(networkFiles.sort()).toEqual(['10-chargewall-e2e-lab-br-lan.netdev', '10-chargewall-e2e-lab-br-lan.network', '10-chargewall-e2e-lab-lan-a.network', '10-chargewall-e2e-lab-lan-b.network']);
      const netDir = l.folder('etc-systemd-network', Object.fromEntries(networkFiles.map((f) => [f, files[f]])));

      // Boot: the network stack builds the charger bridge from the generated files. The two stacks the
      // guides offer take turns (the network files are the same for both targets): systemd-networkd
      // (the real daemon) with the 10-chargewall-* files for iptables, ifupdown's ifup with the
      // .interfaces file for nftables.
      const port = (p: string) => l.mustExec(router, 'bridge', ['-d', 'link', 'show', 'dev', p]);
      const built = () =>
        l.exec(router, 'ip', ['link', 'show', 'br-lan']).status === 0 &&
        l.mustExec(router, 'ip', ['-4', 'addr', 'show', 'dev', 'br-lan']).includes(`inet ${GW}/24 `) &&
        ['lan-a', 'lan-b'].every((p) => /master br-lan .*\n[\s\S]*isolated on/.test(port(p)));
      let networkd: ReturnType<Lab['start']> | undefined;
      if (stack === 'systemd-networkd') {
        networkd = l.networkd(router, 'networkd', netDir);
        await waitFor(
          'systemd-networkd to build br-lan with the gateway address and both ports, isolated',
          () => {
            if (!l.alive(networkd!)) throw new Error(`networkd exited:\n${readFileSync(join(l.dir, 'networkd.log'), 'utf8')}`);
            return built();
          },
          10_000,
        );
        const networkdLog = readFileSync(join(l.dir, 'networkd.log'), 'utf8');
        expect(networkdLog.split('\n').filter((line) => /10-chargewall|br-lan|lan-[ab]/.test(line) && /Unknown|ignoring|[Ff]ailed|[Ii]nvalid/.test(line))).toEqual([]);
      } else {
        // As /etc/network/interfaces.d/chargewall-e2e-lab, brought up with ifup (its state in the lab).
        const state = join(l.dir, 'ifupdown-state');
        mkdirSync(state);
        const up = l.exec(router, 'ifup', ['-i', join(etc, 'chargewall-e2e-lab.interfaces'), '--state-dir', state, 'br-lan'], { env: cleanEnv(), timeoutMs: 20_000 });
        expect(up.status, up.stderr).toBe(0);
        expect(built(), up.stderr).toBe(true);
      }
      uplink(router); // the admin's own uplink and office configuration, which chargewall does not manage

      // The units, in their order (dnsmasq's requires and comes after the rules unit): each ExecStart, as systemd would run it.
      const execStart = (unit: string) => home(/^ExecStart=(.+)$/m.exec(files[unit])![1]).split(' ');
      expect(files['chargewall-e2e-lab-dnsmasq.service']).toMatch(/^Requires=chargewall-e2e-lab\.service$/m);
      const [sh, ...rulesArgs] = execStart('chargewall-e2e-lab.service');
      const rules = l.exec(router, sh, rulesArgs, { env: cleanEnv(), timeoutMs: 20_000 });
      expect(rules.stderr).toBe('');
      expect(rules.status).toBe(0);
      const [dnsmasq, ...dnsmasqArgs] = execStart('chargewall-e2e-lab-dnsmasq.service');
      routerDns = l.start(router, 'reboot-dnsmasq', dnsmasq, dnsmasqArgs);
      await waitFor('the router dnsmasq to listen', () => listening(router, 'udp', `${GW}:53`)() && listening(router, 'udp', '0.0.0.0%br-lan:67')(), 8_000);
      timings.rebootReadyMs = Date.now() - t0;

      // The chargers ask again, get their leases, resolve the cloud names and reach them; the rest stays closed.
      for (const role of ['charger', 'static']) rmSync(join(l.dir, `${role}.lease`), { force: true });
      const t1 = Date.now();
      const [again, staticAgain] = await Promise.all([dhcp(charger), dhcp(staticCharger)]);
      timings.rebootDhcpMs = Date.now() - t1;
      expect(again).toMatchObject({ router: GW, dns: GW, serverid: GW });
      expect(staticAgain).toMatchObject({ ip: STATIC.ip, router: GW, dns: GW });
      expect(probe(charger, HOSTS.map((h) => ({ kind: h.proto, host: h.ip, port: h.port }))).map((r) => r.ok)).toEqual(HOSTS.map(() => false)); // sets empty after the reboot
      expect(probe(charger, HOSTS.map((h) => ({ kind: 'dns', server: again.dns, name: h.name })))).toEqual(HOSTS.map((h) => ({ ok: true, addresses: [h.ip] })));
      expect(probe(charger, HOSTS.map((h) => ({ kind: h.proto, host: h.ip, port: h.port })))).toEqual(
        HOSTS.map((h) => ({ ok: true, reply: h.proto === 'tcp' ? `cloud ${h.ip}:${h.port} from 198.51.100.1` : `ntp ${h.ip}:123 from 198.51.100.1` })),
      );
      expect(probe(charger, [{ kind: 'tcp', host: STRANGER, port: 443 }, { kind: 'tcp', host: STATIC.ip, port: 8080 }])).toEqual([
        { ok: false, error: 'timeout' },
        { ok: false, error: 'timeout' },
      ]);
      if (networkd) expect(l.alive(networkd)).toBe(true);
      timings.rebootMs = Date.now() - t0;
    }, 60_000);
  });
}

endToEnd('iptables', 'e2e');
endToEnd('nftables', 'e2n');
