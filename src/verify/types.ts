/**
 * `chargewall verify`: the on-site check. The JSON shape and the check ids are a contract
 * (DESIGN §3): `{ ok, site, checks: [{ id, status, requirement, detail }] }`.
 */
export type CheckStatus = 'pass' | 'fail' | 'warn' | 'skip';

export interface Check {
  /** Stable id: address, resolver, dns:<host>, dns-fallback:<address>, ntp, tls:<host>:<port>, blocked:<host>:<port>, wifi. */
  id: string;
  status: CheckStatus;
  /** The profile's requirement line (or the spec setting) this check proves. */
  requirement: string;
  /** What was measured, and on failure what it means and what to fix. */
  detail: string;
}

export interface VerifyReport {
  ok: boolean;
  site: string;
  checks: Check[];
}

/** One IPv4 address of a local interface. */
export interface LocalAddress {
  iface: string;
  address: string;
  prefix: number;
}

/** A default route from the kernel's table (lowest metric wins). */
export interface DefaultRoute {
  iface: string;
  gateway: string;
  metric: number;
}

/** What verify reads from the machine it runs on; tests may pass their own. */
export interface SystemFacts {
  addresses: LocalAddress[];
  /** undefined: this OS does not show its routes the way verify reads them. */
  defaultRoutes?: DefaultRoute[];
  /** The resolvers this machine uses, and the file they came from; undefined when unknown. */
  resolvers?: { servers: string[]; source: string };
}

export interface VerifyOptions {
  /** Bound of every single probe (DNS query, TCP connect + TLS handshake, SNTP exchange), in ms. */
  timeoutMs: number;
  /** PEM text that replaces the system trust store, and its file name for messages. */
  ca?: { file: string; pem: string };
  /** A host that the default deny must keep the chargers from (default example.com), probed on 443. */
  blockedProbe: string;
  /** The wireless interface to read with `iw dev <iface> link`. */
  wifi?: string;
  /** For tests: facts instead of reading them from this machine. */
  system?: SystemFacts;
  /** For tests: the command that prints `iw dev <iface> link` (default `iw`). */
  iwCommand?: string;
}
