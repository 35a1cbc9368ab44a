import { readRegularFile } from '../util/files.js';
import { resolve, dirname } from 'node:path';
import { loadYaml } from '../spec/load.js';
import { schemaDiagnostics } from '../spec/schema-errors.js';
import type { Diagnostic } from '../spec/diagnostics.js';
import { compiledSchema } from '../util/schemas.js';
import builtinProfiles from '../generated/profiles.js';
import type { Profile } from './types.js';

/** Built-in profiles: profiles/*.yaml, checked against their schema and turned into data at build time. */
export const builtinProfileIds = Object.keys(builtinProfiles);

const cache = new Map<string, { profile?: Profile; diagnostics: Diagnostic[] }>();

/**
 * Resolves `profile:` from a spec: a built-in id, or a path relative to the spec's folder.
 * Returns diagnostics located in the profile file when it is invalid.
 */
export function loadProfile(ref: string, specFile: string): { profile?: Profile; diagnostics: Diagnostic[]; notFound?: boolean } {
  const builtin = builtinProfileIds.includes(ref);
  if (builtin) return { profile: builtinProfiles[ref], diagnostics: [] };
  const file = resolve(dirname(specFile), ref);
  const cached = cache.get(file);
  if (cached) return cached;
  if (!/\.ya?ml$/.test(ref)) return { diagnostics: [], notFound: true };
  // Only a regular file is read: a FIFO or a link to /dev/zero is refused at once instead of hanging.
  let text: string | undefined;
  try {
    text = readRegularFile(file);
  } catch (e: any) {
    const why = e?.code === 'ENOTREG' ? `it is ${e.kind}, not a regular file` : String(e?.message ?? e);
    return { diagnostics: [{ severity: 'error', code: 'profile-unreadable', message: `cannot read the profile ${ref}: ${why}`, file: ref, line: 1, col: 1, path: '' }] };
  }
  if (text === undefined) return { diagnostics: [], notFound: true };
  const doc = loadYaml(text, ref);
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
