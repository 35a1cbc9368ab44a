/**
 * The network probes of `verify`. Each sends to exactly the address it is given (never to the
 * system's resolver or anywhere else), is bounded by its timeout, and never throws: it resolves with
 * what it saw. Node built-ins are loaded on first use, so a render never loads them.
 */
import type * as dnsType from 'node:dns';
import type * as dgramType from 'node:dgram';
import type * as netType from 'node:net';
import type * as tlsType from 'node:tls';
import { lazyRequire } from '../util/lazy-require.js';

export type DnsResult =
  | { kind: 'answer'; addresses: string[] }
  /** The server answered, but without an address: NXDOMAIN, no A record, SERVFAIL, REFUSED. */
  | { kind: 'negative'; code: string }
  /** No answer: timed out, or the port was unreachable. */
  | { kind: 'silent'; code: string };

/** An A query to one server (UDP, TCP when truncated), one try. */
export function queryA(server: string, name: string, timeoutMs: number): Promise<DnsResult> {
  const dns = lazyRequire('node:dns') as typeof dnsType;
  const resolver = new dns.promises.Resolver({ timeout: timeoutMs, tries: 1 });
  resolver.setServers([server]);
  // c-ares's own timeout can stretch; this bound cannot.
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<DnsResult>((resolve) => {
    timer = setTimeout(() => {
      resolver.cancel();
      resolve({ kind: 'silent', code: 'ETIMEOUT' });
    }, timeoutMs + 250);
  });
  const query = resolver.resolve4(name).then(
    (addresses): DnsResult => ({ kind: 'answer', addresses: [...addresses].sort() }),
    (e: NodeJS.ErrnoException): DnsResult => {
      const code = String(e.code ?? e.message);
      // c-ares codes for "a server answered": NOTFOUND (NXDOMAIN), NODATA, SERVFAIL, REFUSED, FORMERR, NOTIMP.
      if (['ENOTFOUND', 'ENODATA', 'ESERVFAIL', 'EREFUSED', 'EFORMERR', 'ENOTIMP', 'EBADRESP'].includes(code)) return { kind: 'negative', code };
      return { kind: 'silent', code };
    },
  );
  return Promise.race([query, bound]).finally(() => clearTimeout(timer));
}

export const dnsCodeText: Record<string, string> = {
  ENOTFOUND: 'NXDOMAIN (the name does not exist)',
  ENODATA: 'no A record',
  ESERVFAIL: 'SERVFAIL (the resolver could not get an answer from its upstream)',
  EREFUSED: 'REFUSED (the resolver does not answer this client)',
  ETIMEOUT: 'no answer in time',
  ECONNREFUSED: 'port 53 unreachable (ICMP)',
  ECANCELLED: 'no answer in time',
};

export type SntpResult =
  | { ok: true; offsetMs: number; rttMs: number; stratum: number }
  | { ok: false; error: string };

const NTP_EPOCH_OFFSET = 2_208_988_800; // seconds from 1900-01-01 to 1970-01-01

function writeNtpTime(buf: Buffer, at: number, ms: number): void {
  const secs = Math.floor(ms / 1000) + NTP_EPOCH_OFFSET;
  const frac = Math.floor(((ms % 1000) / 1000) * 2 ** 32);
  buf.writeUInt32BE(secs >>> 0, at);
  buf.writeUInt32BE(frac >>> 0, at + 4);
}

function readNtpTime(buf: Buffer, at: number): number {
  return (buf.readUInt32BE(at) - NTP_EPOCH_OFFSET) * 1000 + (buf.readUInt32BE(at + 4) / 2 ** 32) * 1000;
}

/** A 48-byte SNTP v4 client request (RFC 4330): LI 0, VN 4, mode 3, transmit time = now. */
export function sntpRequest(nowMs: number): Buffer {
  const buf = Buffer.alloc(48);
  buf[0] = (0 << 6) | (4 << 3) | 3;
  writeNtpTime(buf, 40, nowMs);
  return buf;
}

/**
 * Checks a reply against its request (RFC 4330 §5): server mode, the originate time echoing our
 * transmit time (a stray or spoofed packet does not), a stratum 1-15, a set transmit time, no alarm.
 */
export function sntpParse(request: Buffer, reply: Buffer, t4Ms: number): SntpResult {
  if (reply.length < 48) return { ok: false, error: `a ${reply.length}-byte reply, not an NTP packet` };
  const mode = reply[0] & 7;
  if (mode !== 4 && mode !== 5) return { ok: false, error: `reply in NTP mode ${mode}, not a server reply` };
  if (!reply.subarray(24, 32).equals(request.subarray(40, 48))) return { ok: false, error: 'reply does not answer this request (originate time differs)' };
  const stratum = reply[1];
  if (stratum === 0) return { ok: false, error: `kiss-o'-death ${reply.subarray(12, 16).toString('latin1').replace(/[^A-Z]/g, '')}: the server refuses to serve` };
  if (stratum > 15 || reply[0] >> 6 === 3) return { ok: false, error: 'the server is not synchronised (stratum 16 or alarm)' };
  if (reply.readUInt32BE(40) === 0) return { ok: false, error: 'reply without a transmit time' };
  const t1 = readNtpTime(request, 40);
  const t2 = readNtpTime(reply, 32);
  const t3 = readNtpTime(reply, 40);
  return { ok: true, offsetMs: Math.round((t2 - t1 + (t3 - t4Ms)) / 2), rttMs: Math.max(0, Math.round(t4Ms - t1 - (t3 - t2))), stratum };
}

/** One SNTP exchange with `address`:123; the reply must come from that address and port. */
export function sntp(address: string, timeoutMs: number): Promise<SntpResult> {
  const dgram = lazyRequire('node:dgram') as typeof dgramType;
  return new Promise((resolve) => {
    const sock = dgram.createSocket('udp4');
    let last = 'no reply in time';
    let done = false;
    const finish = (r: SntpResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.close();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, error: last === 'no reply in time' ? `no reply in ${timeoutMs} ms` : last }), timeoutMs);
    const req = sntpRequest(Date.now());
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, error: e.code === 'ECONNREFUSED' ? 'port 123 unreachable (ICMP)' : String(e.code ?? e.message) }));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.address !== address || rinfo.port !== 123) return;
      const r = sntpParse(req, msg, Date.now());
      if (r.ok) finish(r);
      else last = r.error;
    });
    // connect() makes an ICMP port unreachable arrive as an error instead of silence.
    sock.connect(123, address, () => sock.send(req));
  });
}

export type TcpResult = { connected: true; ms: number } | { connected: false; error: 'timeout' | 'refused' | string };

/** A TCP connect to address:port, closed at once (no data sent). */
export function tcpConnect(address: string, port: number, timeoutMs: number): Promise<TcpResult> {
  const net = lazyRequire('node:net') as typeof netType;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = net.connect({ host: address, port });
    let done = false;
    const finish = (r: TcpResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ connected: false, error: 'timeout' }), timeoutMs);
    sock.on('connect', () => finish({ connected: true, ms: Date.now() - t0 }));
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ connected: false, error: e.code === 'ECONNREFUSED' ? 'refused' : String(e.code ?? e.message) }));
  });
}

export interface CertName {
  CN?: string;
  O?: string;
}

export type TlsResult =
  | { stage: 'tcp'; error: string }
  /** The handshake failed (protocol version, alert, reset, timeout after connecting). */
  | { stage: 'handshake'; error: string; code?: string }
  | {
      stage: 'done';
      protocol: string;
      /** undefined: the chain is valid against the trust store. */
      chainError?: string;
      /** undefined: the certificate matches the host name. */
      nameError?: string;
      subject: CertName;
      issuer: CertName;
      /** The top certificate of the chain the server sent (its issuer is the root it chains to). */
      topIssuer: CertName;
      validTo: string;
    };

/**
 * TCP connect, then a TLS handshake with SNI = host, TLS 1.2 or newer, against `ca` (undefined: Node's
 * own store). The chain and the name are checked here, not by Node, so a failure can name the issuer.
 */
export function tlsProbe(address: string, host: string, port: number, ca: string[] | undefined, timeoutMs: number): Promise<TlsResult> {
  const tls = lazyRequire('node:tls') as typeof tlsType;
  return new Promise((resolve) => {
    let connected = false;
    let done = false;
    const sock = tls.connect({
      host: address,
      port,
      servername: host,
      minVersion: 'TLSv1.2',
      ca,
      rejectUnauthorized: false,
      // No ALPN, no session resumption: one plain handshake per check.
    });
    const finish = (r: TlsResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(
      () => finish(connected ? { stage: 'handshake', error: `no TLS handshake within ${timeoutMs} ms after the TCP connect` } : { stage: 'tcp', error: 'timeout' }),
      timeoutMs,
    );
    sock.on('connect', () => (connected = true));
    sock.on('secureConnect', () => {
      const cert = sock.getPeerCertificate(true);
      let top = cert;
      for (let i = 0; i < 10 && top?.issuerCertificate && top.issuerCertificate !== top; i++) top = top.issuerCertificate;
      const name = (n: Record<string, unknown> | undefined): CertName => {
        const pick = (v: unknown) => (Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v));
        return { CN: pick(n?.CN), O: pick(n?.O) };
      };
      const identity = cert && Object.keys(cert).length ? tls.checkServerIdentity(host, cert) : new Error('the server sent no certificate');
      finish({
        stage: 'done',
        protocol: sock.getProtocol() ?? 'unknown',
        chainError: sock.authorized ? undefined : String(sock.authorizationError ?? 'not authorized'),
        nameError: identity ? identity.message : undefined,
        subject: name(cert?.subject as any),
        issuer: name(cert?.issuer as any),
        topIssuer: name(top?.issuer as any),
        validTo: cert?.valid_to ?? '',
      });
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const code = String(e.code ?? '');
      if (!connected) finish({ stage: 'tcp', error: code === 'ECONNREFUSED' ? 'refused' : code || e.message });
      else finish({ stage: 'handshake', error: e.message, code });
    });
  });
}
