import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import * as validators from '../generated/validators.js';
import { packageRoot } from './paths.js';

/**
 * The validator for a schema in schemas/, compiled to standalone code at build time
 * (scripts/generate.mjs), so start-up compiles nothing. The schema JSON itself is read (each time)
 * only when an error message needs a field's description: a valid spec never reads it.
 */
export function compiledSchema(name: 'site' | 'profile'): { schema(): any; validate: ValidateFunction } {
  return {
    validate: validators[name],
    schema: () => JSON.parse(readFileSync(join(packageRoot, 'schemas', `${name}.schema.json`), 'utf8')),
  };
}
