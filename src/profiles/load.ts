import { readFileSync, existsSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { loadYaml } from '../spec/load.js';
import { schemaDiagnostics } from '../spec/schema-errors.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { compiledSchema } from '../util/schemas.js';
import { packageRoot } from '../util/paths.js';
import type { Profile } from './types.js';

export const builtinProfileIds = ['zaptec-pro'] as const;

const cache = new Map<string, { profile?: Profile; diagnostics: Diagnostic[] }>();

/**
 * Resolves `profile:` from a spec: a built-in id, or a path relative to the spec's folder.
 * Returns diagnostics located in the profile file when it is invalid.
 */
export function loadProfile(ref: string, specFile: string): { profile?: Profile; diagnostics: Diagnostic[]; notFound?: boolean } {
  const builtin = (builtinProfileIds as readonly string[]).includes(ref);
  const file = builtin ? join(packageRoot, 'profiles', `${ref}.yaml`) : resolve(dirname(specFile), ref);
  const cached = cache.get(file);
  if (cached) return cached;
  if (!builtin && (!/\.ya?ml$/.test(ref) || !existsSync(file))) return { diagnostics: [], notFound: true };
  const doc = loadYaml(readFileSync(file, 'utf8'), builtin ? `profiles/${ref}.yaml` : ref);
  let result: { profile?: Profile; diagnostics: Diagnostic[] };
  if (doc.errors.length) result = { diagnostics: doc.errors };
  else {
    const { schema, validate } = compiledSchema('profile');
    result = validate(doc.data)
      ? { profile: doc.data as Profile, diagnostics: [] }
      : { diagnostics: schemaDiagnostics(validate.errors ?? [], doc, schema) };
  }
  cache.set(file, result);
  return result;
}
