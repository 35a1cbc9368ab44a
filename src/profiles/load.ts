import { readRegularFile } from '../util/files.js';
import { resolve, dirname, isAbsolute, join } from 'node:path';
import { loadYaml } from '../spec/load.js';
import { schemaDiagnostics } from '../spec/schema-errors.js';
import { sortDiagnostics, type Diagnostic } from '../spec/diagnostics.js';
import { compiledSchema } from '../util/schemas.js';
import builtinProfiles from '../generated/profiles.js';
import { checkProfile } from './rules.js';
import type { Profile } from './types.js';

/** Built-in profiles: profiles/*.yaml, checked against their schema and turned into data at build time. */
export const builtinProfileIds = Object.keys(builtinProfiles);

/** A profile is a small document; anything larger is not one (and is never read whole). */
const MAX_PROFILE_BYTES = 256 * 1024;

/** Results by resolved path and text: a batch reads one profile once, an edited file is read again. */
const cache = new Map<string, { text: string; result: { profile?: Profile; diagnostics: Diagnostic[] } }>();

/**
 * Resolves `profile:` from a spec: a built-in id, or a path relative to the spec's folder.
 * A profile file is untrusted input, validated like a spec: YAML, then its JSON Schema, then the
 * profile rules (src/profiles/rules.ts). Its diagnostics are located in the profile file, named
 * relative to the same folder the spec's name is (`sites/garage.yaml` + `../p.yaml` → `p.yaml`).
 */
export function loadProfile(ref: string, specFile: string): { profile?: Profile; diagnostics: Diagnostic[]; notFound?: boolean } {
  const builtin = builtinProfileIds.includes(ref);
  if (builtin) return { profile: builtinProfiles[ref], diagnostics: [] };
  if (!/\.ya?ml$/.test(ref)) return { diagnostics: [], notFound: true };
  const file = resolve(dirname(specFile), ref);
  const label = isAbsolute(ref) ? ref : join(dirname(specFile), ref);
  // Only a regular file is read (opened non-blocking, type-checked on the open descriptor): a FIFO or
  // a link to /dev/zero is refused at once instead of hanging.
  let text: string | undefined;
  try {
    text = readRegularFile(file);
  } catch (e: any) {
    const why = e?.code === 'ENOTREG' ? `it is ${e.kind}, not a regular file` : String(e?.message ?? e);
    return { diagnostics: [{ severity: 'error', code: 'profile-unreadable', message: `cannot read the profile ${ref}: ${why}`, file: label, line: 1, col: 1, path: '' }] };
  }
  if (text === undefined) return { diagnostics: [], notFound: true };
  if (Buffer.byteLength(text) > MAX_PROFILE_BYTES) {
    return { diagnostics: [{ severity: 'error', code: 'profile-too-large', message: `profile file is ${Buffer.byteLength(text)} bytes; a profile is at most ${MAX_PROFILE_BYTES} bytes`, file: label, line: 1, col: 1, path: '' }] };
  }
  const cached = cache.get(file);
  if (cached && cached.text === text) return cached.result;
  const result = validateProfileText(text, label);
  if (cache.size > 100) cache.clear();
  cache.set(file, { text, result });
  return result;
}

/** Validates a profile document: YAML, schema, then the profile rules, each problem located in `file`. */
export function validateProfileText(text: string, file: string): { profile?: Profile; diagnostics: Diagnostic[] } {
  const doc = loadYaml(text, file);
  if (doc.errors.length) return { diagnostics: doc.errors };
  if (doc.data === null || typeof doc.data !== 'object' || Array.isArray(doc.data)) {
    return { diagnostics: [{ severity: 'error', code: 'invalid-type', message: 'a profile must be a YAML mapping (id, name, vendor, source, endpoints, ntp, dns, wifi, traffic)', file, line: 1, col: 1, path: '' }] };
  }
  const { schema, validate } = compiledSchema('profile');
  if (!validate(doc.data)) return { diagnostics: schemaDiagnostics(validate.errors ?? [], doc, schema()) };
  const profile = doc.data as Profile;
  const diagnostics: Diagnostic[] = [];
  checkProfile(profile, (code, path, message) => {
    const pos = doc.locate(path);
    diagnostics.push({ severity: 'error', code, message: `profile: ${message}`, file, line: pos.line, col: pos.col, path: path.join('.') });
  });
  return diagnostics.length ? { diagnostics: sortDiagnostics(diagnostics) } : { profile, diagnostics: [] };
}
