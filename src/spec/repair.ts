import type { ErrorObject, ValidateFunction } from 'ajv';
import { closest } from '../util/suggest.js';

type Path = (string | number)[];

/**
 * Values that stand in for a required part of the spec that failed the schema, so the semantic
 * rules can still run on everything else. Keyed by path with list indexes as '*'. A rule that
 * reads a replaced part does not run (rules.ts ruleReads), and no rule finding is reported at or
 * under it, so a placeholder never shows up in a message.
 */
const PLACEHOLDERS: Record<string, () => unknown> = {
  version: () => 1,
  site: () => ({ id: 'placeholder' }),
  'site.id': () => 'placeholder',
  profile: () => 'zaptec-pro',
  chargers: () => ({ count: 1 }),
  'chargers.count': () => 1,
  'chargers.units': () => [],
  'chargers.units.*': () => ({ name: 'unit' }),
  'chargers.units.*.name': () => 'unit',
  network: () => ({ subnet: '10.0.0.0/24' }),
  'network.subnet': () => '10.0.0.0/24',
  'network.dhcp': () => ({}),
  wifi: () => ({ ssid: 'placeholder', passphrase: { env: 'PLACEHOLDER' }, channel: 1, country: 'SE' }),
  'wifi.ssid': () => 'placeholder',
  'wifi.passphrase': () => ({ env: 'PLACEHOLDER' }),
  'wifi.passphrase.env': () => 'PLACEHOLDER',
  'wifi.channel': () => 1,
  'wifi.country': () => 'SE',
  extraEndpoints: () => [],
  'extraEndpoints.*': () => ({ name: 'placeholder', protocol: 'tcp', ports: [1], hosts: ['placeholder.invalid'] }),
  'extraEndpoints.*.name': () => 'placeholder',
  'extraEndpoints.*.protocol': () => 'tcp',
  'extraEndpoints.*.ports': () => [1],
  'extraEndpoints.*.ports.*': () => 1,
  'extraEndpoints.*.hosts': () => ['placeholder.invalid'],
  'extraEndpoints.*.hosts.*': () => 'placeholder.invalid',
  targets: () => ({}),
  acknowledge: () => [],
  'acknowledge.*': () => 'placeholder',
};

const REQUIRED_TOP = new Set(['version', 'site', 'profile', 'chargers', 'network']);

export interface Repaired {
  /** A schema-valid copy of the document, or undefined when it could not be made one. */
  data?: unknown;
  /** Paths (dot-joined) whose value was dropped or replaced: no rule reads them. */
  broken: string[];
}

const pointerToPath = (pointer: string): Path =>
  pointer
    ? pointer
        .slice(1)
        .split('/')
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
    : [];

const pattern = (path: Path) => path.map((p) => (typeof p === 'number' ? '*' : p)).join('.');

/**
 * Makes a schema-valid copy of a document that failed the schema: an unknown key is dropped (the
 * key it was probably meant to be counts as broken), a wrong optional value is dropped (its default
 * applies), a wrong or missing required value is replaced by a placeholder. Gives up (data undefined)
 * when a part has no placeholder or the copy still fails after a few rounds.
 */
export function repairDocument(data: unknown, validate: ValidateFunction, schema: any): Repaired {
  const copy = structuredClone(data) as any;
  const broken = new Set<string>();
  for (let round = 0; round < 6; round++) {
    if (validate(copy)) return { data: copy, broken: [...broken] };
    const errors = (validate.errors ?? []) as ErrorObject[];
    // Deepest first, so a whole-object replacement does not come before the fix of one of its keys.
    const sorted = [...errors].sort((a, b) => b.instancePath.length - a.instancePath.length);
    let changed = false;
    const done = new Set<string>();
    for (const e of sorted) {
      const path = pointerToPath(e.instancePath);
      if (e.keyword === 'additionalProperties') {
        const extra = String((e.params as any).additionalProperty);
        const parent = get(copy, path);
        if (parent && typeof parent === 'object' && extra in parent) {
          delete parent[extra];
          changed = true;
          const allowed = Object.keys(subschemaAt(schema, path)?.properties ?? {});
          const guess = closest(extra, allowed);
          if (guess) broken.add([...path, guess].join('.'));
        }
        continue;
      }
      if (e.keyword === 'required') {
        const missing = String((e.params as any).missingProperty);
        const parent = get(copy, path);
        const make = PLACEHOLDERS[pattern([...path, missing])];
        if (!make || !parent || typeof parent !== 'object') return { broken: [...broken] };
        parent[missing] = make();
        broken.add([...path, missing].join('.'));
        changed = true;
        continue;
      }
      // oneOf reports each branch as well: fix the value at the oneOf's path once.
      const id = path.join('.');
      if (done.has(id) || [...done].some((d) => id.startsWith(d + '.'))) continue;
      if (path.length === 0) return { broken: [...broken] };
      done.add(id);
      const parentPath = path.slice(0, -1);
      const key = path[path.length - 1];
      const parent = get(copy, parentPath);
      if (!parent || typeof parent !== 'object') return { broken: [...broken] };
      const required = typeof key === 'number' || (parentPath.length === 0 ? REQUIRED_TOP.has(key) : (subschemaAt(schema, parentPath)?.required ?? []).includes(key));
      if (required) {
        const make = PLACEHOLDERS[pattern(path)];
        if (!make) return { broken: [...broken] };
        parent[key] = make();
      } else delete parent[key];
      broken.add(id);
      changed = true;
    }
    if (!changed) break;
  }
  return validate(copy) ? { data: copy, broken: [...broken] } : { broken: [...broken] };
}

function get(data: any, path: Path): any {
  let v = data;
  for (const p of path) v = v?.[p];
  return v;
}

/** The schema of the value at `path` (following properties and items). */
function subschemaAt(schema: any, path: Path): any {
  let node = schema;
  for (const p of path) {
    if (!node) return undefined;
    node = typeof p === 'number' ? node.items : node.properties?.[p];
  }
  return node;
}

/** True when a rule reading `read` ('*' = any index) would see a broken part. */
export function overlaps(read: string, broken: string): boolean {
  const a = read.split('.');
  const b = broken.split('.');
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== '*' && b[i] !== '*' && a[i] !== b[i]) return false;
  return true;
}

/**
 * A rule finding is dropped when it sits at or under a broken part, or in the same list item as one
 * (a unit whose mac failed the schema has no mac for the lease rules: "ip without mac" would be wrong).
 */
export function hidesFinding(findingPath: string, broken: string[]): boolean {
  const f = findingPath.split('.');
  return broken.some((b) => {
    const parts = b.split('.');
    const prefixLen = parts.length >= 2 && /^\d+$/.test(parts[parts.length - 2]) ? parts.length - 1 : parts.length;
    for (let i = 0; i < prefixLen; i++) if (f[i] !== parts[i]) return false;
    return true;
  });
}
