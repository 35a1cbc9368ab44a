import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { sharedData } from './helpers.js';
import { apiLiteral } from '../src/targets/unifi/escape.js';

/**
 * The official UniFi Network Integration API document (10.4.57), turned into something ajv checks
 * strictly:
 * - `discriminator` mappings become explicit `oneOf` branches (ajv does not follow OpenAPI
 *   discriminators): each branch pins the discriminator property to its mapping key(s) and applies
 *   the mapped schema. The mapped schemas extend the discriminated base through `allOf`; those refs
 *   point to a copy of the base without the discriminator, so nothing recurses.
 * - The mapping keys are the wire format. Where the base declares an enum for the discriminator
 *   property whose spelling differs from the keys (the IPv4 named protocol: mapping `TCP`, enum
 *   `tcp`), the enum is dropped: a UniFi Network 10.6.106 controller answers lower-case names with
 *   400 `api.request.unknown-type-id` and accepts `TCP`/`UDP` (filipowm/go-unifi#195; Chrison-dev/
 *   UnifiSharp also sends the upper-case keys). So `{"name": "tcp"}` fails here, as it does there.
 * - Every object in a value position gets `unevaluatedProperties: false`: a key the document does not
 *   declare (a typo, a field from another version) fails instead of passing silently.
 */
export const openapiFile = join(sharedData, 'unifi', 'integration-api-10.4.57.openapi.json');

type Schema = Record<string, any>;

export interface UnifiApi {
  doc: any;
  /** Validator for the JSON request body of `method path`, or undefined when the operation does not exist. */
  bodyValidator(method: string, path: string): ValidateFunction | undefined;
  operation(method: string, path: string): any;
}

const key = (name: string) => name.replace(/[^A-Za-z0-9_]/g, '_');
const refName = (ref: string) => decodeURIComponent(ref.replace('#/components/schemas/', ''));

export function loadUnifiApi(): UnifiApi {
  const doc = JSON.parse(readFileSync(openapiFile, 'utf8'));
  const source: Record<string, Schema> = structuredClone(doc.components.schemas);
  const defs: Record<string, Schema> = {};
  const used = new Set<string>();
  for (const name of Object.keys(source)) {
    if (used.has(key(name))) throw new Error(`schema key collision: ${name}`);
    used.add(key(name));
  }

  // 1. Discriminators → oneOf, with base copies for the mapped schemas' allOf.
  for (const [name, schema] of Object.entries(source)) {
    const d = schema.discriminator;
    if (!d) continue;
    const { discriminator: _, ...base } = schema;
    const baseName = `${name} (base)`;
    source[baseName] = base;
    const byTarget = new Map<string, string[]>();
    for (const [k, target] of Object.entries<string>(d.mapping ?? {})) {
      const t = refName(target);
      byTarget.set(t, [...(byTarget.get(t) ?? []), k]);
    }
    const prop = base.properties?.[d.propertyName];
    if (prop?.enum && Object.keys(d.mapping ?? {}).some((k) => !prop.enum.includes(k))) {
      const { enum: _enum, ...rest } = prop;
      base.properties = { ...base.properties, [d.propertyName]: rest };
    }
    for (const t of byTarget.keys()) {
      const target = source[t];
      if (target.allOf) target.allOf = target.allOf.map((s: Schema) => (s.$ref && refName(s.$ref) === name ? { $ref: `#/components/schemas/${baseName}` } : s));
    }
    source[name] = {
      ...(base.description && { description: base.description }),
      oneOf: [...byTarget].map(([t, keys]) => ({
        required: [d.propertyName],
        properties: { [d.propertyName]: { enum: keys } },
        allOf: [{ $ref: `#/components/schemas/${baseName}` }, { $ref: `#/components/schemas/${t}` }],
      })),
    };
  }

  // 2. Rewrite refs, drop OpenAPI-only keywords, close objects in value positions.
  // A component is closed where it is used (a property, an item, a body), never at its own root: a
  // root that is an allOf base must not reject the extension's properties.
  for (const [name, schema] of Object.entries(source)) defs[key(name)] = transform(schema, true);

  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: (n: number) => Number.isFinite(n) });
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
  ajv.addSchema({ $id: 'unifi', $defs: defs });

  const cache = new Map<string, ValidateFunction>();
  const operation = (method: string, path: string) => doc.paths[path]?.[method.toLowerCase()];
  return {
    doc,
    operation,
    bodyValidator(method, path) {
      const op = operation(method, path);
      if (!op) return undefined;
      const id = `${method} ${path}`;
      if (!cache.has(id)) {
        const schema = op.requestBody?.content?.['application/json']?.schema;
        if (!schema) throw new Error(`${id} takes no JSON body`);
        cache.set(id, ajv.compile(transform(schema, false, true)));
      }
      return cache.get(id);
    },
  };
}

/** `inAllOf`: the schema is an allOf member (its properties are evaluated by the enclosing object). */
function transform(schema: unknown, inAllOf: boolean, top = false): any {
  if (Array.isArray(schema)) return schema.map((s) => transform(s, false, top));
  if (!schema || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(schema as Schema)) {
    if (k === 'discriminator' || k === 'example' || k === 'examples') continue;
    if (k === '$ref') out.$ref = `${top ? 'unifi' : ''}#/$defs/${key(refName(v as string))}`;
    else if (k === 'allOf') out.allOf = (v as unknown[]).map((s) => transform(s, true, top));
    else if (k === 'oneOf' || k === 'anyOf') out[k] = (v as unknown[]).map((s) => transform(s, true, top));
    else if (k === 'properties') out.properties = Object.fromEntries(Object.entries(v as Schema).map(([p, s]) => [p, transform(s, false, top)]));
    else if (k === 'items' || k === 'additionalProperties') out[k] = transform(v, false, top);
    else out[k] = v;
  }
  if (!inAllOf && (out.$ref || out.properties || out.oneOf)) out.unevaluatedProperties = false;
  return out;
}

export function formatErrors(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`).join('\n');
}

/** A deterministic stand-in for an id the controller assigns or the admin's site holds. */
export const fakeUuid = (s: string): string => {
  const h = createHash('sha256').update(s).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};

/**
 * A request body as the apply script sends it: `$$` literals unescaped, `$ref:`/`$lookup:` ids as
 * stand-in UUIDs, `$env:` values filled; any other placeholder is a bug and throws.
 */
export function resolvePlaceholders(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('$$')) return apiLiteral(value);
    if (/^\$(ref|lookup):/.test(value)) return fakeUuid(value);
    if (value.startsWith('$env:')) return 'resolved-passphrase';
    if (value.startsWith('$')) throw new Error(`unknown placeholder ${value}`);
    return value;
  }
  if (Array.isArray(value)) return value.map(resolvePlaceholders);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolvePlaceholders(v)]));
  return value;
}
