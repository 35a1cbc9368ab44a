/**
 * `chargewall verify`: the parsers and formats on their own, then the whole command in a lab of
 * network namespaces made here (10.x and TEST-NET addresses only; nothing leaves the namespaces):
 *
 *   charger (verify runs here)  eth0 ──veth── lan0  router (the nftables target's own output:   wan0 ──veth── up0  cloud
 *   10.98.0.20 (static lease)                  10.98.0.1  apply.sh + its dnsmasq.conf)   198.51.100.1     198.51.100.2
 *
 * The cloud holds a fake upstream resolver (198.51.100.53) that answers the profile's names and the
 * blocked-probe name with TEST-NET addresses, a resolver on the test profile's fallback addresses
 * (192.0.2.53, 192.0.2.54) that answers everything with 192.0.2.66, TLS servers for the profile's
 * names with certificates of a test CA made here by openssl (one of them can switch to another CA's
 * certificate, as an inspecting middlebox would), TCP listeners for the blocked probes, and an SNTP
 * responder. Faults are made on the router: an extra nftables table that drops a port, or another
 * rendering of the spec (no DNS redirect, no default deny) applied with the generated apply.sh.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { renderSpec } from '../src/pipeline.js';
import { validateSpec } from '../src/spec/validate.js';
import { buildPlan } from '../src/plan/build.js';
import { targets } from '../src/targets/registry.js';
import { endpointCheck, verifySite } from '../src/verify/run.js';
import { formatJson, formatMarkdown, formatText } from '../src/verify/format.js';
import { channelOf, parseIwLink, parseProcNetRoute, parseResolvConf } from '../src/verify/system.js';
import { sntpParse, sntpRequest } from '../src/verify/probes.js';
import type { VerifyReport } from '../src/verify/types.js';
import { requireTools, root } from './helpers.js';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { Lab, cleanEnv, must, netnsEtc, run, runAsync, waitFor } from './netns.js';

const CLI = join(root, 'dist', 'cli', 'main.cjs');

const GW = '10.98.0.1';
const LAPTOP = { mac: '02:00:00:98:00:20', ip: '10.98.0.20' };
const UPSTREAM = '198.51.100.53';
const FALLBACK = ['192.0.2.53', '192.0.2.54'];
const FALLBACK_ANSWER = '192.0.2.66';
const HOSTS = [
  { name: 'zapcloud-api.azurewebsites.net', ip: '203.0.113.10', port: 443 },
  { name: 'devices.zaptec.com', ip: '203.0.113.11', port: 443 },
  { name: 'api.zaptec.com', ip: '203.0.113.12', port: 443 },
  { name: 'zapcloud.azure-devices.net', ip: '203.0.113.20', port: 8883 },
];
const NTP = { name: 'no.pool.ntp.org', ip: '203.0.113.30' };
const BLOCKED = { name: 'blocked.lab.test', ip: '203.0.113.80' };
/** Where verify may send packets: the gateway, the fallback resolvers, the answers of the gateway. */
const ALLOWED_DESTINATIONS = [GW, ...FALLBACK, ...HOSTS.map((h) => h.ip), NTP.ip, BLOCKED.ip];

const profileText = () =>
  readFileSync(join(root, 'profiles', 'zaptec-pro.yaml'), 'utf8')
    .replace(/^id: zaptec-pro$/m, 'id: zaptec-pro-lab')
    .replace(/^ {2}fallbackResolvers: \[8\.8\.8\.8, 1\.1\.1\.1\]$/m, `  fallbackResolvers: [${FALLBACK.join(', ')}]`);

const spec = (policy: { dns?: string; defaultDeny?: boolean } = {}, extra = '') => `version: 1
site: { id: verify-lab, name: "Verify lab" }
profile: ./lab-profile.yaml
chargers:
  count: 4
  units:
    - { name: installer laptop, mac: "${LAPTOP.mac}", ip: ${LAPTOP.ip} }
network: { subnet: 10.98.0.0/24 }
policy: { dns: ${policy.dns ?? 'redirect'}, ntp: auto, defaultDeny: ${policy.defaultDeny ?? true} }
targets:
  nftables: { lanInterface: lan0, wanInterface: wan0 }
${extra}`;

describe('verify: parsers and formats', () => {
  it('reads `iw dev <if> link`: SSID (with iw escapes), channel from the frequency, signal', () => {
    const out = 'Connected to 02:11:22:33:44:55 (on wlan0)\n\tSSID: Zaptec\\x20Chargers\\x5c\n\tfreq: 2437.0\n\tRX: 7007190 bytes (72847 packets)\n\tTX: 20015 bytes (226 packets)\n\tsignal: -68 dBm\n\ttx bitrate: 65.0 MBit/s MCS 7\n';
    expect(parseIwLink(out)).toEqual({ connected: true, bssid: '02:11:22:33:44:55', ssid: 'Zaptec Chargers\\', freqMHz: 2437, channel: 6, signalDbm: -68 });
    expect(parseIwLink('Connected to 02:11:22:33:44:55 (on wlan0)\n\tSSID: Garage caf\\xc3\\xa9\n\tfreq: 2412\n\tsignal: -81 dBm\n')).toMatchObject({ ssid: 'Garage café', channel: 1, signalDbm: -81 });
    expect(parseIwLink('Not connected.\n')).toEqual({ connected: false });
    expect([2412, 2437, 2462, 2472, 2484, 5180, 2413].map(channelOf)).toEqual([1, 6, 11, 13, 14, undefined, undefined]);
  });

  it('reads default routes from /proc/net/route (host byte order) and nameservers from resolv.conf', () => {
    const table = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n' +
      'wlan0\t00000000\t0101A8C0\t0003\t0\t0\t600\t00000000\t0\t0\t0\n' +
      'eth0\t00000000\t0100620A\t0003\t0\t0\t100\t00000000\t0\t0\t0\n' +
      'eth0\t0000620A\t00000000\t0001\t0\t0\t100\t00FFFFFF\t0\t0\t0\n';
    expect(parseProcNetRoute(table, 'LE')).toEqual([
      { iface: 'eth0', gateway: '10.98.0.1', metric: 100 },
      { iface: 'wlan0', gateway: '192.168.1.1', metric: 600 },
    ]);
    expect(parseResolvConf('# x\nnameserver 10.98.0.1\nnameserver ::1\n  nameserver 192.0.2.1 # y\nsearch lan\n')).toEqual(['10.98.0.1', '192.0.2.1']);
  });

  it('SNTP: offset from the four times; a reply to another request, a kiss-o\'-death or an unsynchronised server is refused', () => {
    const t1 = Date.UTC(2026, 10, 29, 12, 0, 0);
    const req = sntpRequest(t1);
    expect(req[0]).toBe(0x23);
    const reply = (stratum = 2, origin = req.subarray(40, 48), li = 0) => {
      const r = Buffer.alloc(48);
      r[0] = (li << 6) | (4 << 3) | 4;
      r[1] = stratum;
      origin.copy(r, 24);
      // The server's clock is 10 s ahead; the network takes 20 ms each way.
      const put = (at: number, ms: number) => {
        r.writeUInt32BE(Math.floor(ms / 1000) + 2_208_988_800, at);
        r.writeUInt32BE(Math.floor(((ms % 1000) / 1000) * 2 ** 32), at + 4);
      };
      put(32, t1 + 10_020);
      put(40, t1 + 10_030);
      return r;
    };
    expect(sntpParse(req, reply(), t1 + 50)).toEqual({ ok: true, offsetMs: 10_000, rttMs: 40, stratum: 2 });
    expect(sntpParse(req, reply(2, Buffer.alloc(8, 1)), t1 + 50)).toMatchObject({ ok: false, error: expect.stringContaining('originate') });
    const kod = reply(0);
    kod.write('RATE', 12, 'latin1');
    expect(sntpParse(req, kod, t1 + 50)).toMatchObject({ ok: false, error: expect.stringContaining('RATE') });
    expect(sntpParse(req, reply(2, req.subarray(40, 48), 3), t1 + 50)).toMatchObject({ ok: false, error: expect.stringContaining('not synchronised') });
    expect(sntpParse(req, Buffer.alloc(12), t1)).toMatchObject({ ok: false });
  });

  it('JSON has the contract shape; text and Markdown keep text from the network inert', () => {
    const hostile = 'CN=x | y\n# head <b>[l](http://e)</b>\u2028z';
    const report: VerifyReport = { ok: false, site: 'lab', checks: [{ id: 'tls:api.zaptec.com:443', status: 'fail', requirement: 'HTTPS | 443', detail: hostile }] };
    expect(JSON.parse(formatJson(report))).toEqual(report);
    const text = formatText(report);
    expect(text.split('\n').filter(Boolean)).toHaveLength(3); // title, check, requirement: no line from the detail
    const md = formatMarkdown(report);
    const row = md.split('\n').find((l) => l.startsWith('| `tls:'))!;
    expect(md.split('\n').filter((l) => l.startsWith('|'))).toHaveLength(3);
    expect(row.replace(/\\\|/g, '').split('|')).toHaveLength(6); // 4 cells: no pipe from the detail ends one
    expect(row).not.toMatch(/(?<!\\)<b>|(?<!\\)\]\(/);
  });
});

/** Validated site + profile + nftables plan of a spec text (for in-process runs). */
function planOf(text: string, dir: string) {
  const file = join(dir, 'site.yaml');
  writeFileSync(file, text);
  const v = validateSpec(text, file);
  expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  const plan = buildPlan(v.site!, v.profile!, targets.get('nftables')!.capabilities(v.site!), 'nftables');
  return { site: v.site!, profile: v.profile!, plan };
}

describe('verify: off the charger segment and the Wi-Fi link (no packets sent)', () => {
  const dir = join(root, 'node_modules', '.cache', `verify-unit-${process.pid}`);
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lab-profile.yaml'), profileText());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('on another network: address fails, every network check is skipped (nothing is probed)', async () => {
    const { site, profile, plan } = planOf(spec(), dir);
    const t0 = Date.now();
    const r = await verifySite(site, profile, plan, {
      timeoutMs: 5_000,
      blockedProbe: BLOCKED.name,
      system: { addresses: [{ iface: 'wlan0', address: '192.0.2.2', prefix: 24 }], defaultRoutes: [{ iface: 'wlan0', gateway: '192.0.2.1', metric: 600 }], resolvers: { servers: ['192.0.2.1'], source: 'test' } },
    });
    expect(Date.now() - t0).toBeLessThan(1_000); // a probe would have waited for its 5 s bound
    const by = Object.fromEntries(r.checks.map((c) => [c.id, c.status]));
    expect(by.address).toBe('fail');
    expect(by.resolver).toBe('warn');
    expect(r.checks.filter((c) => !['address', 'resolver'].includes(c.id)).map((c) => c.status)).toEqual(r.checks.slice(2).map(() => 'skip'));
    expect(r.ok).toBe(false);
    expect(formatMarkdown(r)).toContain('not run from the charger segment');
  });

  it('on the segment but routed out through another interface: address fails and names it', async () => {
    const { site, profile, plan } = planOf(spec(), dir);
    const r = await verifySite(site, profile, plan, {
      timeoutMs: 5_000,
      blockedProbe: BLOCKED.name,
      system: {
        addresses: [{ iface: 'eth0', address: '10.98.0.150', prefix: 24 }, { iface: 'wlan0', address: '192.0.2.2', prefix: 24 }],
        defaultRoutes: [{ iface: 'wlan0', gateway: '192.0.2.1', metric: 50 }, { iface: 'eth0', gateway: GW, metric: 100 }],
        resolvers: { servers: [GW], source: 'test' },
      },
    });
    const address = r.checks.find((c) => c.id === 'address')!;
    expect(address.status).toBe('fail');
    expect(address.detail).toContain('disconnect the other network (wlan0)');
    expect(r.checks.find((c) => c.id === 'resolver')!.status).toBe('pass');
  });

  it('wifi: SSID, channel and signal from `iw dev <if> link` against the spec and the profile', async () => {
    const withWifi = spec({}, 'wifi: { ssid: "Zaptec Chargers", passphrase: { env: CHARGER_WIFI_PSK }, channel: 6, country: SE }\n').replace('targets:\n  nftables: { lanInterface: lan0, wanInterface: wan0 }\n', '');
    const { site, profile, plan } = planOf(withWifi, dir);
    const iw = join(dir, 'iw');
    const wifi = async (output: string, status = 0) => {
      writeFileSync(iw, `#!/bin/sh\n[ "$1 $2 $3" = "dev wlan9 link" ] || { echo "unexpected: $*" >&2; exit 9; }\nprintf '%s' '${output}'\nexit ${status}\n`);
      chmodSync(iw, 0o755);
      const r = await verifySite(site, profile, plan, { timeoutMs: 2_000, blockedProbe: BLOCKED.name, wifi: 'wlan9', iwCommand: iw, system: { addresses: [], defaultRoutes: [], resolvers: { servers: [], source: 'test' } } });
      return r.checks.find((c) => c.id === 'wifi')!;
    };
    const link = (ssid: string, freq: string, signal: number) => `Connected to 02:11:22:33:44:55 (on wlan9)\n\tSSID: ${ssid}\n\tfreq: ${freq}\n\tsignal: ${signal} dBm\n`;
    expect(await wifi(link('Zaptec Chargers', '2437', -70))).toMatchObject({ status: 'pass' });
    expect(await wifi(link('Zaptec Chargers', '2437', -75))).toMatchObject({ status: 'pass' });
    const weak = await wifi(link('Zaptec Chargers', '2437', -76));
    expect(weak.status).toBe('fail');
    expect(weak.detail).toContain('-76 dBm, weaker than -75 dBm');
    expect((await wifi(link('Zaptec Chargers', '2462', -60))).detail).toContain('channel 11, not the spec\'s fixed channel 6');
    expect((await wifi(link('Zaptec Chargers', '5180', -60))).detail).toContain('not 2.4 GHz');
    expect((await wifi(link('Office', '2437', -60))).detail).toContain('not the spec\'s SSID');
    expect(await wifi('Not connected.\n')).toMatchObject({ status: 'fail', detail: expect.stringContaining('not connected') });
    expect(await wifi('', 237)).toMatchObject({ status: 'fail', detail: expect.stringContaining('cannot read the Wi-Fi link') });
  });
});

describe.skipIf(!requireTools(['openssl'], false).ok)('verify: TLS version and plain TCP endpoints against servers on 127.0.0.1', () => {
  const dir = join(root, 'node_modules', '.cache', `verify-tls-${process.pid}`);
  const servers: { close: () => void }[] = [];
  let key = '';
  let cert = '';
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    const f = (x: string) => join(dir, x);
    must('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', f('k.pem'), '-out', f('c.pem'), '-days', '2', '-subj', '/CN=api.zaptec.com', '-addext', 'subjectAltName=DNS:api.zaptec.com']);
    key = readFileSync(f('k.pem'), 'utf8');
    cert = readFileSync(f('c.pem'), 'utf8');
  });
  afterAll(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const listen = (server: TlsServer | ReturnType<typeof createTcpServer>) =>
    new Promise<number>((r) => {
      servers.push(server);
      server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port));
    });
  const group = { id: 'https', label: 'HTTPS', protocol: 'tcp' as const, ports: [443], hosts: ['api.zaptec.com'], purpose: 'p', requirement: 'HTTPS: TCP-port 443', origin: 'profile' as const };

  it('a server that offers only TLS 1.1 fails the check; the same certificate over TLS 1.2+ passes (control)', async () => {
    const old = await listen(createTlsServer({ key, cert, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end()));
    const ok = await listen(createTlsServer({ key, cert }, (s) => s.end()));
    const store = { ca: [cert], name: 'the test CA' };
    const bad = await endpointCheck({ host: 'api.zaptec.com', port: old, group, tls: true }, ['127.0.0.1'], store, 2_000);
    expect(bad.status).toBe('fail');
    expect(bad.detail).toContain('offers no TLS 1.2 or newer');
    const good = await endpointCheck({ host: 'api.zaptec.com', port: ok, group, tls: true }, ['127.0.0.1'], store, 2_000);
    expect(good).toMatchObject({ status: 'pass', detail: expect.stringMatching(/^TLSv1\.[23] with 127\.0\.0\.1/) });
  });

  it('an extra endpoint on a non-TLS port gets a TCP connect check (tcp:), which fails when nothing listens', async () => {
    const port = await listen(createTcpServer((s) => s.end()));
    const extra = { ...group, id: 'ocpp', origin: 'extra' as const, requirement: 'extraEndpoints in the site spec' };
    expect(await endpointCheck({ host: 'csms.lab.test', port, group: extra, tls: false }, ['127.0.0.1'], { ca: undefined, name: 'x' }, 2_000)).toMatchObject({ id: `tcp:csms.lab.test:${port}`, status: 'pass' });
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 50));
    const down = await endpointCheck({ host: 'csms.lab.test', port, group: extra, tls: false }, ['127.0.0.1'], { ca: undefined, name: 'x' }, 2_000);
    expect(down).toMatchObject({ status: 'fail', detail: expect.stringContaining('refused') });
  });
});

describe('verify: command line', () => {
  const dir = join(root, 'node_modules', '.cache', `verify-cli-${process.pid}`);
  beforeAll(() => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'lab-profile.yaml'), profileText());
    writeFileSync(join(dir, 'site.yaml'), spec());
    writeFileSync(join(dir, 'bad.yaml'), spec().replace('count: 4', 'count: many'));
    writeFileSync(join(dir, 'not-ca.pem'), 'hello\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (...args: string[]) => run(process.execPath, [CLI, 'verify', ...args], { env: cleanEnv() });

  it('usage errors exit 2 before any probe, with one line and no stack', () => {
    for (const args of [
      [join(dir, 'missing.yaml')],
      [join(dir, 'site.yaml'), '--format', 'yaml'],
      [join(dir, 'site.yaml'), '--timeout', '0'],
      [join(dir, 'site.yaml'), '--timeout', '5s'],
      [join(dir, 'site.yaml'), '--blocked-probe', 'exa mple.com'],
      [join(dir, 'site.yaml'), '--wifi', '-x; rm'],
      [join(dir, 'site.yaml'), '--ca-file', join(dir, 'missing.pem')],
      [join(dir, 'site.yaml'), '--ca-file', join(dir, 'not-ca.pem')],
      [join(dir, 'site.yaml'), '--target', 'cisco'],
      [join(dir, 'bad.yaml')],
    ]) {
      const r = cli(...args);
      expect(r.status, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(cli(join(dir, 'bad.yaml')).stderr).toMatch(/bad\.yaml:\d+:\d+: error /);
  });
});

const tools = requireTools(['ip', 'nft', 'dnsmasq', 'openssl']);

describe.skipIf(!tools.ok)('verify in a lab: charger ↔ router (nftables output) ↔ cloud namespaces', () => {
  // Made in beforeAll, so a run that filters these tests out leaves no folder behind.
  let lab: Lab | undefined;
  let charger = '';
  let router = '';
  let cloud = '';
  let removeEtc: (() => void) | undefined;
  const timings: Record<string, number> = {};
  const altFlag = () => join(lab!.dir, 'inspect-on');
  const otherNameFlag = () => join(lab!.dir, 'other-name-on');

  /** Makes a CA (and a server certificate for the lab's names signed by it) with openssl. */
  function makeCa(name: string, subject: string): { ca: string; cert: string; key: string; other: string } {
    const d = join(lab!.dir, name);
    mkdirSync(d, { recursive: true });
    const f = (x: string) => join(d, x);
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    must('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', subject,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    must('openssl', ['req', '-new', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/CN=${HOSTS[0].name}`]);
    writeFileSync(f('ext.cnf'), `basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${HOSTS.map((h) => `DNS:${h.name}`).join(',')}\n`);
    must('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', String(1000 + name.length), '-days', '2', '-out', f('leaf.pem'), '-extfile', f('ext.cnf')]);
    // A certificate of the same CA for another name (a captive portal or a proxy answering instead).
    writeFileSync(f('other.cnf'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:portal.lab.test\n');
    must('openssl', ['x509', '-req', '-in', f('leaf.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-set_serial', String(2000 + name.length), '-days', '2', '-out', f('other.pem'), '-extfile', f('other.cnf')]);
    return { ca: f('ca.pem'), cert: f('leaf.pem'), key: f('leaf.key'), other: f('other.pem') };
  }

  /** Renders the spec for the router and applies it with the generated apply.sh (make before break). */
  function applyRouter(text: string, name: string): Record<string, string> {
    const l = lab!;
    const file = join(l.dir, `${name}.yaml`);
    writeFileSync(file, text);
    const r = renderSpec(text, file, ['nftables'], { withSecrets: false, env: {} });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const files = Object.fromEntries(Object.entries(r.files).filter(([k]) => k.includes('/nftables/')).map(([k, v]) => [k.split('/').pop()!, v]));
    const dir = l.folder(`router-${name}`, files);
    const t = Date.now();
    l.mustExec(router, 'sh', [join(dir, 'apply.sh')], { env: cleanEnv(), timeoutMs: 20_000 });
    timings[`apply-${name}Ms`] = Date.now() - t;
    return files;
  }

  /** A fault on the router: one extra table whose forward chain drops what `rule` matches. */
  const fault = (rule: string) => lab!.mustExec(router, 'nft', ['-f', '-'], { input: `table inet cwfault {\n  chain faults {\n    type filter hook forward priority -10; policy accept;\n    ${rule}\n  }\n}\n` });
  const clearFault = () => lab!.mustExec(router, 'nft', ['delete', 'table', 'inet', 'cwfault']);

  /** Runs the CLI inside the charger namespace (with the lab CA and blocked-probe name). */
  async function verify(name: string, extra: string[] = [], specFile = 'site.yaml'): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const args = ['netns', 'exec', charger, process.execPath, CLI, 'verify', join(lab!.dir, specFile), '--ca-file', join(lab!.dir, 'good', 'ca.pem'), '--blocked-probe', BLOCKED.name, '--timeout', '1000', ...extra];
    const r = await runAsync('ip', args, { env: cleanEnv(), timeoutMs: 30_000 });
    timings[`${name}Ms`] = r.ms;
    return r;
  }
  async function jsonVerify(name: string, extra: string[] = [], specFile?: string) {
    const r = await verify(name, ['--format', 'json', ...extra], specFile);
    if (!r.stdout.trim().startsWith('{')) throw new Error(`verify printed no JSON (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return { ...r, report: JSON.parse(r.stdout) as VerifyReport };
  }
  const failed = (r: VerifyReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.id);
  const check = (r: VerifyReport, id: string) => r.checks.find((c) => c.id === id)!;

  /** Packets the charger namespace sent to any address verify must not use (an nft counter on its output). */
  const strayPackets = () => {
    const out = lab!.mustExec(charger, 'nft', ['list', 'chain', 'inet', 'cwwatch', 'out']);
    return Number(/counter packets (\d+)/.exec(out)![1]);
  };

  beforeAll(async () => {
    const t0 = Date.now();
    const l = (lab = new Lab('vfy'));
    writeFileSync(join(l.dir, 'lab-profile.yaml'), profileText());
    writeFileSync(join(l.dir, 'site.yaml'), spec());
    writeFileSync(join(l.dir, 'site-router-only.yaml'), spec({ dns: 'router-only' }));
    const good = makeCa('good', '/CN=chargewall lab root CA/O=chargewall test');
    const inspect = makeCa('inspect', '/CN=Lab Firewall SSL Inspection CA/O=Example Firewall Ltd');
    timings.certsMs = Date.now() - t0;

    charger = l.ns('charger');
    router = l.ns('router');
    cloud = l.ns('cloud');
    const ipn = (ns: string, ...args: string[]) => l.mustExec(ns, 'ip', args);
    ipn(router, 'link', 'add', 'lan0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', charger);
    ipn(router, 'link', 'add', 'wan0', 'type', 'veth', 'peer', 'name', 'up0', 'netns', cloud);
    ipn(router, 'addr', 'add', `${GW}/24`, 'dev', 'lan0');
    ipn(router, 'addr', 'add', '198.51.100.1/24', 'dev', 'wan0');
    ipn(router, 'link', 'set', 'lan0', 'up');
    ipn(router, 'link', 'set', 'wan0', 'up');
    ipn(router, 'route', 'add', 'default', 'via', '198.51.100.2');
    ipn(cloud, 'addr', 'add', '198.51.100.2/24', 'dev', 'up0');
    for (const a of [UPSTREAM, ...FALLBACK, ...HOSTS.map((h) => h.ip), NTP.ip, BLOCKED.ip]) ipn(cloud, 'addr', 'add', `${a}/32`, 'dev', 'lo');
    ipn(cloud, 'link', 'set', 'up0', 'up');
    // The installer's laptop: the address of its static lease, the gateway as default route and DNS server.
    ipn(charger, 'link', 'set', 'eth0', 'address', LAPTOP.mac);
    ipn(charger, 'addr', 'add', `${LAPTOP.ip}/24`, 'dev', 'eth0');
    ipn(charger, 'link', 'set', 'eth0', 'up');
    ipn(charger, 'route', 'add', 'default', 'via', GW);
    removeEtc = netnsEtc(charger, { 'resolv.conf': `nameserver ${GW}\n` });
    // Counts every packet the charger side sends anywhere verify must not send to.
    l.mustExec(charger, 'nft', ['-f', '-'], {
      input: `table inet cwwatch {\n  chain out {\n    type filter hook output priority 0; policy accept;\n    oifname "lo" accept\n    ip daddr != { ${ALLOWED_DESTINATIONS.join(', ')} } counter\n    meta nfproto ipv6 counter\n  }\n}\n`,
    });

    // Cloud: resolvers, TLS and TCP servers, SNTP.
    const dnsmasq = (name: string, listen: string[], answers: string[]) =>
      l.start(cloud, name, 'dnsmasq', [
        '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces',
        ...listen.map((a) => `--listen-address=${a}`), '--port=53', `--pid-file=${join(l.dir, `${name}.pid`)}`, '--user=root',
        '--log-queries', `--log-facility=${join(l.dir, `${name}.queries`)}`, ...answers.map((a) => `--address=${a}`),
      ]);
    dnsmasq('upstream', [UPSTREAM], [...HOSTS, NTP, BLOCKED].map((h) => `/${h.name}/${h.ip}`));
    dnsmasq('fallback', FALLBACK, [`/#/${FALLBACK_ANSWER}`]);
    const cloudConfig = {
      tls: HOSTS.map((h) => ({
        address: h.ip, port: h.port, cert: good.cert, key: good.key,
        ...(h.name === 'api.zaptec.com' && { altCert: inspect.cert, altKey: inspect.key, altFlag: altFlag() }),
        ...(h.name === 'devices.zaptec.com' && { altCert: good.other, altKey: good.key, altFlag: otherNameFlag() }),
      })),
      tcp: [{ address: HOSTS[0].ip, port: 80 }, { address: BLOCKED.ip, port: 443 }],
      sntp: [NTP.ip],
      ready: join(l.dir, 'cloud.ready'),
    };
    writeFileSync(join(l.dir, 'cloud.json'), JSON.stringify(cloudConfig));
    const cloudProc = l.start(cloud, 'cloud', process.execPath, [join(root, 'test', 'fixtures', 'verify-cloud.mjs'), join(l.dir, 'cloud.json')]);

    // Router: the generated apply.sh, then the generated dnsmasq.conf (lease and pid files in the lab,
    // upstream the fake resolver: the real file reads /etc/resolv.conf).
    const files = applyRouter(spec(), 'base');
    const conf = files['dnsmasq.conf'].replace(/^dhcp-leasefile=.*$/m, `dhcp-leasefile=${join(l.dir, 'router.leases')}`).replace(/^pid-file=.*$/m, `pid-file=${join(l.dir, 'router-dnsmasq.pid')}`);
    writeFileSync(join(l.dir, 'router-dnsmasq.conf'), conf);
    const routerDns = l.start(router, 'router-dnsmasq', 'dnsmasq', ['--keep-in-foreground', `--conf-file=${join(l.dir, 'router-dnsmasq.conf')}`, '--no-resolv', `--server=${UPSTREAM}`, '--log-queries', `--log-facility=${join(l.dir, 'router-dnsmasq.queries')}`]);
    const udp53 = (ns: string, a: string) => () => l.exec(ns, 'ss', ['-Hlnu']).stdout.split(/\s+/).includes(`${a}:53`);
    await waitFor('lab services', () => {
      if (!l.alive(routerDns)) throw new Error(`router dnsmasq exited: ${readFileSync(join(l.dir, 'router-dnsmasq.log'), 'utf8')}`);
      if (!l.alive(cloudProc)) throw new Error(`cloud servers exited: ${readFileSync(join(l.dir, 'cloud.log'), 'utf8')}`);
      // The kernel marks a veth running (carrier) up to a second after both ends are up; until then
      // the laptop's interface has no usable address, as with a cable not yet plugged in.
      const carrier = l.exec(charger, 'ip', ['-o', 'link', 'show', 'eth0']).stdout.includes('state UP');
      return carrier && existsSync(cloudConfig.ready) && udp53(router, GW)() && udp53(cloud, UPSTREAM)() && FALLBACK.every((a) => udp53(cloud, a)());
    }, 10_000);
    timings.labReadyMs = Date.now() - t0;
  }, 60_000);

  afterAll(async () => {
    removeEtc?.();
    if (lab) {
      await lab.cleanup();
      console.log(`[verify lab] timings: ${JSON.stringify(timings)}`);
    }
  }, 20_000);

  it('everything right: exit 0, every check passes (wifi: no radio in the lab, and the spec has none), no packet to any other address', async () => {
    const r = await jsonVerify('allRight');
    expect(r.stderr).toBe('');
    expect(r.report.checks.map((c) => c.id)).toEqual([
      'address', 'resolver',
      ...[...HOSTS.map((h) => h.name), NTP.name].map((n) => `dns:${n}`),
      ...FALLBACK.map((a) => `dns-fallback:${a}`),
      'ntp',
      ...HOSTS.map((h) => `tls:${h.name}:${h.port}`),
      `blocked:${HOSTS[0].name}:80`, `blocked:${BLOCKED.name}:443`,
      'wifi',
    ]);
    expect(r.report.checks.filter((c) => c.status !== 'pass').map((c) => [c.id, c.status]), formatText(r.report)).toEqual([['wifi', 'skip']]);
    expect(r.status).toBe(0);
    expect(r.report).toMatchObject({ ok: true, site: 'verify-lab' });
    for (const h of HOSTS) expect(check(r.report, `dns:${h.name}`).detail).toContain(h.ip);
    expect(check(r.report, 'address').detail).toContain('the static lease of installer laptop');
    expect(check(r.report, `dns-fallback:${FALLBACK[0]}`).detail).toContain("the gateway's answer");
    expect(check(r.report, 'ntp').detail).toMatch(/203\.0\.113\.30: reply, stratum 2, offset -?\d+ ms/);
    expect(check(r.report, 'tls:zapcloud.azure-devices.net:8883').detail).toMatch(/^TLSv1\.[23] with 203\.0\.113\.20; .*issued by "CN=chargewall lab root CA, O=chargewall test"/);
    expect(check(r.report, `blocked:${BLOCKED.name}:443`).detail).toContain('no answer in 1000 ms (dropped)');
    // The whole run is bounded: a few probe timeouts, not a minute.
    expect(timings.allRightMs).toBeLessThan(10_000);
    expect(strayPackets()).toBe(0);
    // Control for the counter: a packet to an address verify never uses is counted.
    lab!.mustExec(charger, process.execPath, ['-e', "const s=require('dgram').createSocket('udp4');s.send('x',9,'203.0.113.99',()=>s.close())"]);
    expect(strayPackets()).toBe(1);
  });

  it('the same run as a text table, as Markdown to a file (-o), and with the system store instead of the test CA', async () => {
    const text = await verify('text', ['--format', 'text']);
    expect(text.status, text.stdout).toBe(0);
    expect(text.stdout).toMatch(/^chargewall verify: site verify-lab: OK \(16 pass, 1 skip\)\n\nPASS {2}address {2,}10\.98\.0\.20 on eth0/);
    const out = join(lab!.dir, 'verify.md');
    const md = await verify('markdown', ['--format', 'markdown', '-o', out]);
    expect([md.status, md.stdout, md.stderr]).toEqual([0, '', `ok; the 17 checks are in ${out}\n`]);
    expect(readFileSync(out, 'utf8')).toContain('| `tls:zapcloud.azure-devices.net:8883` | PASS |');
    // Control: without --ca-file the lab CA is unknown, so every TLS check fails and names it.
    const args = ['netns', 'exec', charger, process.execPath, CLI, 'verify', join(lab!.dir, 'site.yaml'), '--format', 'json', '--blocked-probe', BLOCKED.name, '--timeout', '1000'];
    const sys = await runAsync('ip', args, { env: cleanEnv(), timeoutMs: 30_000 });
    const report = JSON.parse(sys.stdout) as VerifyReport;
    expect(sys.status).toBe(1);
    expect(failed(report)).toEqual(HOSTS.map((h) => `tls:${h.name}:${h.port}`));
    expect(check(report, 'tls:api.zaptec.com:443').detail).toContain('chargewall lab root CA');
    expect(check(report, 'tls:api.zaptec.com:443').detail).toContain('one inspecting middlebox');
  });

  it('the router drops 8883: tls:zapcloud.azure-devices.net:8883 fails, exit 1', async () => {
    fault('tcp dport 8883 drop');
    try {
      const r = await jsonVerify('drop8883');
      expect(r.status).toBe(1);
      expect(failed(r.report)).toEqual(['tls:zapcloud.azure-devices.net:8883']);
      expect(check(r.report, 'tls:zapcloud.azure-devices.net:8883').detail).toContain('dropped on the way');
    } finally {
      clearFault();
    }
  });

  it('a server presenting another CA\'s certificate (inspection): its TLS check fails and names the issuer', async () => {
    writeFileSync(altFlag(), 'on\n');
    try {
      const r = await jsonVerify('inspection');
      expect(r.status).toBe(1);
      expect(failed(r.report)).toEqual(['tls:api.zaptec.com:443']);
      const d = check(r.report, 'tls:api.zaptec.com:443').detail;
      expect(d).toContain('issued by "CN=Lab Firewall SSL Inspection CA, O=Example Firewall Ltd"');
      expect(d).toContain('looks like TLS inspection');
      expect(d).toContain(`the CA file ${join(lab!.dir, 'good', 'ca.pem')}`);
    } finally {
      rmSync(altFlag());
    }
  });

  it('a certificate of the trusted CA for another name: the TLS check fails on the name', async () => {
    writeFileSync(otherNameFlag(), 'on\n');
    try {
      const r = await jsonVerify('otherName');
      expect(failed(r.report)).toEqual(['tls:devices.zaptec.com:443']);
      expect(check(r.report, 'tls:devices.zaptec.com:443').detail, check(r.report, 'tls:devices.zaptec.com:443').detail).toContain('does not match devices.zaptec.com');
    } finally {
      rmSync(otherNameFlag());
    }
  });

  it('a router type that answers NTP itself (pfsense: ntp auto = redirect): ntp asks the gateway, which has no NTP server in this lab', async () => {
    const r = await jsonVerify('pfsensePlan', ['--target', 'pfsense']);
    expect(r.status).toBe(1);
    expect(failed(r.report)).toEqual(['ntp']);
    expect(check(r.report, 'ntp').detail).toMatch(/the router answers NTP .*but the gateway does not answer: 10\.98\.0\.1: no reply in 1000 ms; 203\.0\.113\.30: reply/);
  });

  it('NTP blocked: ntp fails, exit 1', async () => {
    fault('udp dport 123 drop');
    try {
      const r = await jsonVerify('ntpBlocked');
      expect(r.status).toBe(1);
      expect(failed(r.report)).toEqual(['ntp']);
      expect(check(r.report, 'ntp').detail).toContain('203.0.113.30: no reply in 1000 ms');
    } finally {
      clearFault();
    }
  });

  it('no DNS redirect (the router-only rendering applied): the dns-fallback checks fail as policy redirect says; a router-only spec passes them', async () => {
    applyRouter(spec({ dns: 'router-only' }), 'routerOnly');
    const r = await jsonVerify('noRedirect');
    expect(r.status).toBe(1);
    expect(failed(r.report)).toEqual(FALLBACK.map((a) => `dns-fallback:${a}`));
    expect(check(r.report, `dns-fallback:${FALLBACK[0]}`).detail).toContain('the redirect of port 53 to 10.98.0.1 is missing');
    // The same router checked against a spec that promises router-only: not answered is right.
    const ro = await jsonVerify('routerOnlySpec', [], 'site-router-only.yaml');
    expect(ro.status).toBe(0);
    expect(check(ro.report, `dns-fallback:${FALLBACK[1]}`)).toMatchObject({ status: 'pass', detail: expect.stringContaining('no answer') });
    // Control: with the redirect spec applied again the fallback is answered by the router once more.
    applyRouter(spec(), 'base2');
    expect(check((await jsonVerify('redirectBack')).report, `dns-fallback:${FALLBACK[0]}`).status).toBe('pass');
  });

  it('an allow-all router (no default deny): the blocked:* checks fail', async () => {
    applyRouter(spec({ defaultDeny: false }), 'allowAll');
    const r = await jsonVerify('allowAll');
    expect(r.status).toBe(1);
    expect(failed(r.report)).toEqual([`blocked:${HOSTS[0].name}:80`, `blocked:${BLOCKED.name}:443`]);
    expect(check(r.report, `blocked:${BLOCKED.name}:443`).detail).toContain(`TCP to ${BLOCKED.ip}:443 connected`);
    expect(strayPackets()).toBe(1); // still only the control packet of the first case
  });
});
