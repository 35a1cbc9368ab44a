import { ipToInt, isIPv4, parseSubnet, usableRange, type Subnet } from '../util/ipv4.js';
import type { Site } from '../spec/types.js';

/** Addresses the pool must not hand out: the gateway and every static lease. */
export function reservedAddresses(site: Site): Set<number> {
  const reserved = new Set<number>();
  if (isIPv4(site.network.gateway)) reserved.add(ipToInt(site.network.gateway));
  for (const u of site.chargers.units) if (u.ip && isIPv4(u.ip)) reserved.add(ipToInt(u.ip));
  return reserved;
}

/** Pool size the site needs: every charger plus the headroom percentage, rounded up. */
export function requiredPoolSize(site: Site): number {
  return Math.ceil((site.chargers.count * (100 + site.network.dhcp.headroom)) / 100);
}

/**
 * `pool: auto`: the highest run of `size` free addresses in the subnet, ending just below the broadcast address
 * when it can. Placing it at the top keeps it stable when static leases are added low in the subnet.
 */
export function autoPool(subnet: Subnet, reserved: Set<number>, size: number): { first: number; last: number } | undefined {
  const usable = usableRange(subnet);
  if (!usable) return undefined;
  let runEnd = usable.last;
  for (let a = usable.last; a >= usable.first; a--) {
    if (reserved.has(a)) {
      runEnd = a - 1;
      continue;
    }
    if (runEnd - a + 1 >= size) return { first: a, last: runEnd };
  }
  return undefined;
}

/** The pool bounds the plan uses (validated spec), as integers. */
export function poolBounds(site: Site): { first: number; last: number } {
  const subnet = parseSubnet(site.network.subnet).subnet!;
  const pool = site.network.dhcp.pool;
  if (pool !== 'auto') return { first: ipToInt(pool.first), last: ipToInt(pool.last) };
  return autoPool(subnet, reservedAddresses(site), requiredPoolSize(site))!;
}
