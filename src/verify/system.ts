/**
 * What verify reads from the machine it runs on: its IPv4 addresses, its default routes and its DNS
 * servers. Read-only; nothing here sends a packet.
 */
import type * as fsType from 'node:fs';
import type * as osType from 'node:os';
import { lazyRequire } from '../util/lazy-require.js';
import { isIPv4 } from '../util/ipv4.js';
import type { DefaultRoute, LocalAddress, SystemFacts } from './types.js';

export function readSystemFacts(): SystemFacts {
  const fs = lazyRequire('node:fs') as typeof fsType;
  const os = lazyRequire('node:os') as typeof osType;
  const addresses: LocalAddress[] = [];
  for (const [iface, list] of Object.entries(os.networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const prefix = a.cidr ? Number(a.cidr.split('/')[1]) : 32;
      addresses.push({ iface, address: a.address, prefix });
    }
  }
  let defaultRoutes: DefaultRoute[] | undefined;
  try {
    defaultRoutes = parseProcNetRoute(fs.readFileSync('/proc/net/route', 'utf8'), os.endianness());
  } catch {
    defaultRoutes = undefined;
  }
  return { addresses, defaultRoutes, resolvers: readResolvers(fs) };
}

/**
 * The default routes in `/proc/net/route` (Linux): destination and mask 0, flags up + gateway.
 * Addresses there are in host byte order, as hex.
 */
export function parseProcNetRoute(text: string, endianness: 'LE' | 'BE'): DefaultRoute[] {
  const out: DefaultRoute[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const [iface, dest, gw, flags, , , metric, mask] = f;
    const fl = parseInt(flags, 16);
    if (dest !== '00000000' || mask !== '00000000' || (fl & 0x3) !== 0x3) continue;
    const bytes = [...Buffer.from(gw, 'hex')];
    if (bytes.length !== 4) continue;
    if (endianness === 'LE') bytes.reverse();
    out.push({ iface, gateway: bytes.join('.'), metric: Number(metric) });
  }
  return out.sort((a, b) => a.metric - b.metric);
}

/** `nameserver` lines of a resolv.conf (IPv4 only: chargers and this check use IPv4). */
export function parseResolvConf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && isIPv4(m[1])) out.push(m[1]);
  }
  return out;
}

/**
 * The DNS servers this machine asks. With systemd-resolved (only 127.0.0.53 in /etc/resolv.conf), the
 * servers it forwards to are in /run/systemd/resolve/resolv.conf.
 */
function readResolvers(fs: typeof fsType): SystemFacts['resolvers'] {
  const read = (f: string) => {
    try {
      return fs.readFileSync(f, 'utf8');
    } catch {
      return undefined;
    }
  };
  const main = read('/etc/resolv.conf');
  if (main === undefined) return undefined;
  const servers = parseResolvConf(main);
  if (servers.length && servers.every((s) => s.startsWith('127.'))) {
    const upstream = read('/run/systemd/resolve/resolv.conf');
    if (upstream !== undefined) return { servers: parseResolvConf(upstream), source: '/run/systemd/resolve/resolv.conf (systemd-resolved)' };
  }
  return { servers, source: '/etc/resolv.conf' };
}

export interface IwLink {
  connected: boolean;
  bssid?: string;
  ssid?: string;
  freqMHz?: number;
  channel?: number;
  signalDbm?: number;
}

/**
 * `iw dev <iface> link` output: `Connected to <bssid> (on <iface>)`, then tab-indented `SSID: ...`,
 * `freq: 2437` (newer iw: `2437.0`), `signal: -54 dBm`; or `Not connected.`. iw prints SSID bytes
 * outside printable ASCII (and a leading or trailing space) as `\xNN`.
 */
export function parseIwLink(text: string): IwLink {
  const head = /^Connected to ([0-9a-f:]{17})/im.exec(text);
  if (!head) return { connected: false };
  const out: IwLink = { connected: true, bssid: head[1].toLowerCase() };
  const ssid = /^\s*SSID: ?(.*)$/m.exec(text);
  if (ssid) out.ssid = unescapeIw(ssid[1]);
  const freq = /^\s*freq: (\d+)(?:\.\d+)?/m.exec(text);
  if (freq) {
    out.freqMHz = Number(freq[1]);
    out.channel = channelOf(out.freqMHz);
  }
  const signal = /^\s*signal: (-?\d+)(?:\.\d+)? dBm/m.exec(text);
  if (signal) out.signalDbm = Number(signal[1]);
  return out;
}

/** iw's escaped SSID back to text: `\xNN` are bytes, the rest is as printed. */
function unescapeIw(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const m = /^\\x([0-9a-fA-F]{2})/.exec(s.slice(i, i + 4));
    if (m) {
      bytes.push(parseInt(m[1], 16));
      i += 3;
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The 2.4 GHz channel of a frequency (1-13: 2412 + 5·(n-1); 14: 2484); undefined on other bands. */
export function channelOf(freqMHz: number): number | undefined {
  if (freqMHz === 2484) return 14;
  if (freqMHz >= 2412 && freqMHz <= 2472 && (freqMHz - 2407) % 5 === 0) return (freqMHz - 2407) / 5;
  return undefined;
}
