import type { Plan } from '../plan/types.js';
import { sha256Hex } from '../util/sha256.js';

/**
 * One manifest per site folder: `<out>/<site-id>/chargewall.manifest.json`. It is the ownership
 * marker (render touches a site folder only when it holds one, or is new or empty), the list of
 * every file chargewall wrote there with its SHA-256 (render removes only those, and only when they
 * still hold what it wrote), and the record `chargewall diff` compares against: generator version,
 * spec hash, profile hash, options and a summary of each target's plan in the admin's words.
 * It holds no passphrase and nothing that changes between two renders of the same inputs.
 */
export const MANIFEST = 'chargewall.manifest.json';
export const MANIFEST_FORMAT = 'chargewall-manifest/1';

/** What a target's plan does, in words an admin compares (diff): one string per fact, one per rule. */
export interface PlanSummary {
  chargers: number;
  network: string;
  pool: string;
  leases: string[];
  wifi: string;
  dns: string;
  ntp: string;
  default: string;
  /** Rule id → what it allows (protocol, ports, destination with its hosts). */
  rules: Record<string, string>;
  /** To the router itself (DHCP, DNS, NTP) and redirects to it. */
  router: string[];
}

export interface TargetRecord {
  /** `chargewall <version>` that wrote this target's files. */
  generator: string;
  /** Spec hash the files were rendered from (differs from the site's when `-t` left this target alone). */
  spec: string;
  plan: PlanSummary;
}

/** What else produced the files: --with-secrets, and per target input (TargetInput.manifestKey) the hash of the bytes read, or null. */
export type ManifestOptions = { withSecrets: boolean } & { [manifestKey: string]: boolean | string | null };

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  site: string;
  generator: string;
  spec: string;
  profile: { id: string; hash: string };
  options: ManifestOptions;
  targets: Record<string, TargetRecord>;
  /** Path relative to the site folder → SHA-256 (hex) of the bytes written. The manifest itself is not listed. */
  files: Record<string, string>;
  /** Files holding a secret (written with mode 0600). */
  secrets: string[];
}

/** Everything a render of one site contributes to its manifest, besides the files. */
export interface SiteMeta {
  generator: string;
  spec: string;
  profile: { id: string; hash: string };
  options: ManifestOptions;
  plans: Record<string, PlanSummary>;
}

export function hashText(text: string): string {
  return sha256Hex(text);
}

function protoPorts(protocols: string[], ports: number[]): string {
  return `${protocols.map((p) => p.toUpperCase()).join('+')} ${ports.join(',')}`;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const groups = new Map(plan.endpoints.map((g) => [g.id, g]));
  const rules: Record<string, string> = {};
  for (const r of plan.rules) {
    const to =
      r.to.kind === 'any'
        ? 'any address'
        : r.to.kind === 'addresses'
          ? r.to.addresses.join(' ')
          : `${r.to.group} (${groups.get(r.to.group)?.hosts.join(' ') ?? ''})`;
    rules[r.id] = `allow ${protoPorts(r.protocols, r.ports)} to ${to}`;
  }
  const n = plan.network;
  const d = plan.dhcp;
  return {
    chargers: plan.chargerCount,
    network: `${n.subnet}${n.vlan !== undefined ? ` VLAN ${n.vlan}` : ' untagged'}, gateway ${n.gateway}`,
    pool: `${d.first} - ${d.last} (${d.size} addresses for ${d.needed} needed), lease ${d.leaseTime}`,
    leases: d.staticLeases.map((l) => `${l.name} ${l.mac} -> ${l.ip}`),
    wifi: plan.wifi
      ? `SSID "${plan.wifi.ssid}", channel ${plan.wifi.channel}, country ${plan.wifi.country}, min signal ${plan.wifi.enforceMinSignal ? `${plan.wifi.minSignalDbm} dBm` : 'not enforced'}`
      : 'none',
    dns: `${plan.dns.strategy}${plan.dns.fallbackResolvers.length ? ` (fallback ${plan.dns.fallbackResolvers.join(' ')})` : ''}`,
    ntp: `${plan.ntp.strategy} (${plan.ntp.host})`,
    default: plan.defaultAction === 'drop' ? `drop everything else${plan.log ? ', logged' : ''}` : 'accept everything else',
    rules,
    router: [
      ...plan.routerRules.map((r) => `router: allow ${protoPorts(r.protocols, r.ports)} (${r.id})`),
      ...plan.redirects.map((r) => `redirect ${protoPorts(r.protocols, [r.port])} to the router (${r.id})`),
    ],
  };
}

/** The site-level part of a path relative to the site folder: its target id, or undefined at the site root. */
export function targetOf(rel: string): string | undefined {
  const slash = rel.indexOf('/');
  return slash < 0 ? undefined : rel.slice(0, slash);
}

/**
 * The manifest after a render. `files` are the rendered files (relative to the site folder), `targets`
 * the targets rendered. With `keep` (a `-t` subset), every other target of the previous manifest stays
 * recorded as it was, with its files: this render did not touch them.
 */
export function buildManifest(site: string, meta: SiteMeta, files: Record<string, string>, secrets: string[], previous: Manifest | undefined, keep: boolean): Manifest {
  const targets: Record<string, TargetRecord> = {};
  const hashes: Record<string, string> = {};
  const secretSet = new Set(secrets);
  if (keep && previous) {
    for (const [t, rec] of Object.entries(previous.targets)) {
      if (meta.plans[t]) continue;
      targets[t] = rec;
      for (const [rel, h] of Object.entries(previous.files)) if (targetOf(rel) === t) hashes[rel] = h;
      for (const rel of previous.secrets) if (targetOf(rel) === t) secretSet.add(rel);
    }
  }
  for (const [t, plan] of Object.entries(meta.plans)) targets[t] = { generator: meta.generator, spec: meta.spec, plan };
  for (const [rel, text] of Object.entries(files)) hashes[rel] = hashText(text);
  const sortKeys = <T>(o: Record<string, T>): Record<string, T> => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return {
    format: MANIFEST_FORMAT,
    site,
    generator: meta.generator,
    spec: meta.spec,
    profile: meta.profile,
    options: meta.options,
    targets: sortKeys(targets),
    files: sortKeys(hashes),
    secrets: [...secretSet].sort(),
  };
}

export function manifestText(m: Manifest): string {
  return JSON.stringify(m, null, 2) + '\n';
}

/** A manifest read back, checked enough to be trusted for what it claims (else a reason). */
export function parseManifest(text: string, site: string): Manifest | string {
  let m: any;
  try {
    m = JSON.parse(text);
  } catch {
    return 'it is not valid JSON';
  }
  if (!m || typeof m !== 'object' || m.format !== MANIFEST_FORMAT) return `its format is not ${MANIFEST_FORMAT}`;
  if (m.site !== site) return `it belongs to site '${String(m.site)}', not '${site}'`;
  if (!m.files || typeof m.files !== 'object' || !m.targets || typeof m.targets !== 'object') return 'it has no file list';
  for (const [rel, h] of Object.entries(m.files)) {
    // Only plain relative paths below the site folder: a manifest must never name a file elsewhere.
    if (typeof h !== 'string' || !isPlainRel(rel) || rel === MANIFEST) return `it lists an invalid path '${rel}'`;
  }
  // Only listed files can be secrets: nothing outside the site folder is ever named.
  m.secrets = Array.isArray(m.secrets) ? m.secrets.filter((rel: unknown) => typeof rel === 'string' && rel in m.files) : [];
  return m as Manifest;
}

/** `a/b/c` without empty, `.` or `..` segments, backslashes or NUL. */
export function isPlainRel(rel: string): boolean {
  if (!rel || rel.includes('\\') || rel.includes('\0')) return false;
  return rel.split('/').every((s) => s !== '' && s !== '.' && s !== '..');
}
