import IPCIDR from 'ip-cidr';

/** IPv4 helpers on unsigned 32-bit integers; ip-cidr does the parsing and validation. */
export function isIPv4(text: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(text) && text.split('.').every((o) => Number(o) <= 255 && String(Number(o)) === o);
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Subnet {
  cidr: string;
  network: number;
  broadcast: number;
  prefix: number;
  netmask: string;
  size: number;
}

type ParsedSubnet = { subnet?: Subnet; aligned?: string; error?: string };
const parsedSubnets = new Map<string, ParsedSubnet>();

/** Parses `a.b.c.d/n`. Returns the aligned network too, so a caller can say "did you mean". Memoised: rules ask often. */
export function parseSubnet(text: string): ParsedSubnet {
  let parsed = parsedSubnets.get(text);
  if (!parsed) {
    if (parsedSubnets.size > 10_000) parsedSubnets.clear();
    parsed = parseSubnetUncached(text);
    parsedSubnets.set(text, parsed);
  }
  return parsed;
}

function parseSubnetUncached(text: string): ParsedSubnet {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m || !isIPv4(m[1]) || Number(m[2]) > 32 || !IPCIDR.isValidCIDR(text)) {
    return { error: 'not an IPv4 network in CIDR form (like 10.20.30.0/24)' };
  }
  const prefix = Number(m[2]);
  const cidr = new IPCIDR(text);
  const network = ipToInt(cidr.start() as string);
  const broadcast = ipToInt(cidr.end() as string);
  const aligned = `${intToIp(network)}/${prefix}`;
  if (ipToInt(m[1]) !== network) return { error: `has host bits set`, aligned };
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { subnet: { cidr: aligned, network, broadcast, prefix, netmask: intToIp(mask), size: broadcast - network + 1 } };
}

/** Usable host addresses: all but network and broadcast (a /31 or /32 has none usable for a charger segment). */
export function usableRange(s: Subnet): { first: number; last: number } | undefined {
  if (s.prefix > 30) return undefined;
  return { first: s.network + 1, last: s.broadcast - 1 };
}
