import type { Site, Passphrase, SpecDocument, TargetSettings } from './types.js';
import { intToIp, parseSubnet } from '../util/ipv4.js';
import { targets as registry } from '../targets/registry.js';

/**
 * Fills defaults into a schema-valid document. Pure; semantic checks happen afterwards in rules.ts.
 * Each target's settings are normalised by the target's own contract (src/targets/<id>/).
 */
export function normalize(raw: SpecDocument): Site {
  const subnet = parseSubnet(raw.network.subnet).subnet;
  const gateway = raw.network.gateway ?? (subnet ? intToIp(subnet.network + 1) : '0.0.0.0');
  const pool = raw.network.dhcp?.pool ?? 'auto';
  const targets = raw.targets ?? {};
  const passphrase: Passphrase | undefined = raw.wifi
    ? typeof raw.wifi.passphrase === 'string'
      ? { kind: 'literal', value: raw.wifi.passphrase }
      : { kind: 'env', name: raw.wifi.passphrase.env }
    : undefined;
  return {
    version: 1,
    site: { id: raw.site.id, name: raw.site.name ?? raw.site.id },
    profile: raw.profile,
    chargers: {
      count: raw.chargers.count,
      units: (raw.chargers.units ?? []).map((u) => ({
        name: u.name,
        ...(u.mac !== undefined && { mac: u.mac.toLowerCase().replace(/-/g, ':') }),
        ...(u.ip !== undefined && { ip: u.ip }),
        ...(u.rssi !== undefined && { rssi: u.rssi }),
      })),
    },
    network: {
      subnet: subnet?.cidr ?? raw.network.subnet,
      gateway,
      ...(raw.network.vlan !== undefined && { vlan: raw.network.vlan }),
      dhcp: {
        pool: pool === 'auto' ? 'auto' : parsePool(pool),
        headroom: raw.network.dhcp?.headroom ?? 25,
        leaseTime: raw.network.dhcp?.leaseTime ?? '24h',
      },
    },
    ...(raw.wifi && {
      wifi: {
        ssid: raw.wifi.ssid,
        passphrase: passphrase!,
        channel: raw.wifi.channel,
        country: raw.wifi.country,
        enforceMinSignal: raw.wifi.enforceMinSignal ?? false,
      },
    }),
    policy: {
      dns: raw.policy?.dns ?? 'redirect',
      ntp: raw.policy?.ntp ?? 'auto',
      defaultDeny: raw.policy?.defaultDeny ?? true,
      log: raw.policy?.log ?? false,
    },
    extraEndpoints: (raw.extraEndpoints ?? []).map((e) => ({
      name: e.name,
      description: e.description ?? e.name,
      protocol: e.protocol,
      ports: [...new Set<number>(e.ports)].sort((a, b) => a - b),
      hosts: e.hosts.map((h) => h.toLowerCase().replace(/\.$/, '')),
    })),
    targets: Object.fromEntries([...registry].map(([id, t]) => [id, t.settings.normalize((targets as Record<string, object | undefined>)[id], raw)])) as TargetSettings,
    ...(raw.acknowledge?.length && { acknowledge: [...new Set<string>(raw.acknowledge)] }),
    targetKeys: Object.keys(targets),
  };
}

/** `first-last`; an unparsable pool keeps its text in `first` so the pool rule can report it. */
function parsePool(text: string): { first: string; last: string } {
  const m = /^\s*([0-9.]+)\s*-\s*([0-9.]+)\s*$/.exec(text);
  return m ? { first: m[1], last: m[2] } : { first: text, last: '' };
}

/** Lease time in seconds ("24h" → 86400; bare number = seconds). */
export function leaseSeconds(text: string): number {
  const m = /^(\d+)([smhdw]?)$/.exec(text)!;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400, w: 604800 }[m[2]]!;
  return Number(m[1]) * unit;
}

