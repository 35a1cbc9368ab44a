import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import * as validators from '../generated/validators.js';
import { packageRoot } from './paths.js';

const schemas = new Map<string, any>();

/**
 * The validator for a schema in schemas/, compiled to standalone code at build time
 * (scripts/generate.mjs), so start-up compiles nothing. The schema JSON itself is read only
 * when an error message needs a field's description.
 */
export function compiledSchema(name: 'site' | 'profile'): { readonly schema: any; validate: ValidateFunction } {
  return {
    validate: validators[name],
    get schema() {
      let schema = schemas.get(name);
      if (!schema) {
        schema = JSON.parse(readFileSync(join(packageRoot, 'schemas', `${name}.schema.json`), 'utf8'));
        schemas.set(name, schema);
      }
      return schema;
    },
  };
}
