import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule, { type ValidateFunction } from 'ajv';
import { packageRoot } from './paths.js';

// ajv is CommonJS; under NodeNext its default export is the module object.
const Ajv = (AjvModule as unknown as { default: typeof AjvModule }).default ?? AjvModule;

const cache = new Map<string, { schema: any; validate: ValidateFunction }>();

/** Loads and compiles a schema from schemas/ once per process. */
export function compiledSchema(name: 'site' | 'profile'): { schema: any; validate: ValidateFunction } {
  let entry = cache.get(name);
  if (!entry) {
    const schema = JSON.parse(readFileSync(join(packageRoot, 'schemas', `${name}.schema.json`), 'utf8'));
    const ajv = new (Ajv as any)({ allErrors: true, strict: false });
    entry = { schema, validate: ajv.compile(schema) };
    cache.set(name, entry);
  }
  return entry!;
}
