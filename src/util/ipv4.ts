import IPCIDR from 'ip-cidr';

/** IPv4 helpers on unsigned 32-bit integers; ip-cidr double-checks that a network parses. */
export function isIPv4(text: string): boolean {
  return dottedQuad(text) >= 0;
}

export function ipToInt(ip: string): number {
  const n = dottedQuad(ip);
  return n >= 0 ? n : ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/**
 * `a.b.c.d` with four decimal octets 0-255 and no leading zeros, as an unsigned integer; -1 otherwise.
 * One pass over the characters: the pool and lease rules ask for every address of every site.
 */
function dottedQuad(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // a leading zero: "01"
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
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

/** Parses `a.b.c.d/n`. Returns the aligned network too, so a caller can say "did you mean". */
export function parseSubnet(text: string): ParsedSubnet {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  // ip-cidr's validity check is the second opinion; its constructor (BigInteger ranges, about 45 µs)
  // is not needed for arithmetic a 32-bit integer does exactly.
  if (!m || !isIPv4(m[1]) || Number(m[2]) > 32 || !IPCIDR.isValidCIDR(text)) {
    return { error: 'not an IPv4 network in CIDR form (like 10.20.30.0/24)' };
  }
  const prefix = Number(m[2]);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const address = ipToInt(m[1]);
  const network = (address & mask) >>> 0;
  const broadcast = (network | (~mask >>> 0)) >>> 0;
  const aligned = `${intToIp(network)}/${prefix}`;
  if (address !== network) return { error: `has host bits set`, aligned };
  return { subnet: { cidr: aligned, network, broadcast, prefix, netmask: intToIp(mask), size: broadcast - network + 1 } };
}

/** Usable host addresses: all but network and broadcast (a /31 or /32 has none usable for a charger segment). */
export function usableRange(s: Subnet): { first: number; last: number } | undefined {
  if (s.prefix > 30) return undefined;
  return { first: s.network + 1, last: s.broadcast - 1 };
}

/**
 * Address blocks no charger segment, resolver or endpoint can sensibly be in (RFC 6890): "this network",
 * loopback, link-local, multicast and the reserved block with the limited broadcast.
 */
const SPECIAL: { network: number; prefix: number; cidr: string; name: string }[] = [
  { network: 0x00000000, prefix: 8, cidr: '0.0.0.0/8', name: "'this network'" },
  { network: 0x7f000000, prefix: 8, cidr: '127.0.0.0/8', name: 'loopback' },
  { network: 0xa9fe0000, prefix: 16, cidr: '169.254.0.0/16', name: 'link-local' },
  { network: 0xe0000000, prefix: 4, cidr: '224.0.0.0/4', name: 'multicast' },
  { network: 0xf0000000, prefix: 4, cidr: '240.0.0.0/4', name: 'reserved (and broadcast)' },
];

const blockOf = (n: number, prefix: number) => (prefix === 0 ? 0 : (n & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0);

/** Why an IPv4 address cannot be a unicast destination (a resolver, an endpoint), or undefined when it can. */
export function addressProblem(ip: string): string | undefined {
  const n = ipToInt(ip);
  const b = SPECIAL.find((s) => blockOf(n, s.prefix) === s.network);
  return b && `in the ${b.name} block ${b.cidr}, not a unicast destination`;
}

/**
 * Why a subnet cannot be a charger segment, or undefined: one wider than /8 (0.0.0.0/0 would make the
 * Linux target masquerade all traffic), or one overlapping a special block.
 */
export function subnetProblem(s: Subnet): string | undefined {
  if (s.prefix < 8) return `is wider than /8 (it takes in ${s.prefix === 0 ? 'every IPv4 address' : 'other networks, the internet included'})`;
  const b = SPECIAL.find((x) => blockOf(s.network, Math.min(x.prefix, s.prefix)) === blockOf(x.network, Math.min(x.prefix, s.prefix)));
  return b && `overlaps the ${b.name} block ${b.cidr}`;
}
