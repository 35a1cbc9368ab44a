import { compiledSchema } from '../util/schemas.js';
import { loadProfile, builtinProfileIds } from '../profiles/load.js';
import type { Profile } from '../profiles/types.js';
import { closest } from '../util/suggest.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { loadYaml, type LoadedDocument } from './load.js';
import { schemaDiagnostics } from './schema-errors.js';
import type { Site } from './types.js';
import { normalize } from './normalize.js';
import { rules, type RuleContext } from './rules.js';

export interface ValidationResult {
  site?: Site;
  profile?: Profile;
  /** Errors and warnings, sorted by file and position. */
  diagnostics: Diagnostic[];
  ok: boolean;
  /** Position of a path in the spec, for problems found after validation (render-time errors). */
  locate?: LoadedDocument['locate'];
}

/**
 * Validates a spec in three passes: YAML syntax, JSON Schema (types, unknown keys, enums),
 * then small named semantic rules (address arithmetic, Wi-Fi, leases). Every problem of a pass is reported at once.
 */
export function validateSpec(text: string, file: string): ValidationResult {
  const doc = loadYaml(text, file);
  if (doc.errors.length) return done(doc.errors);
  if (doc.data === null || typeof doc.data !== 'object' || Array.isArray(doc.data)) {
    return done([{ severity: 'error', code: 'invalid-type', message: 'the spec must be a YAML mapping (version, site, profile, chargers, network, ...)', file, line: 1, col: 1, path: '' }]);
  }
  const { schema, validate } = compiledSchema('site');
  if (!validate(doc.data)) return done(schemaDiagnostics(validate.errors ?? [], doc, schema()));

  const site = normalize(doc.data as any);
  const diagnostics: Diagnostic[] = [];
  const profileResult = loadProfile(site.profile, file);
  if (profileResult.notFound) {
    const guess = closest(site.profile, builtinProfileIds);
    push(diagnostics, doc, 'error', 'unknown-profile', ['profile'],
      `unknown profile '${site.profile}': use a built-in id (${builtinProfileIds.join(', ')}) or a path to a profile .yaml file${guess ? `; did you mean '${guess}'?` : ''}`);
    return done(diagnostics);
  }
  if (!profileResult.profile) return done(profileResult.diagnostics);
  const profile = profileResult.profile;

  const ctx: RuleContext = {
    site,
    profile,
    raw: doc.data as any,
    error: (code, path, message) => push(diagnostics, doc, 'error', code, path, message),
    warn: (code, path, message) => push(diagnostics, doc, 'warning', code, path, message),
  };
  for (const rule of rules) {
    try {
      rule(ctx);
    } catch (e) {
      // A rule that fails on a value it did not expect: a located error, never a stack trace.
      push(diagnostics, doc, 'error', 'internal-error', [], `validation rule ${rule.name || '(unnamed)'} failed on a value of this spec (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}). This is a bug: please report it with the spec and profile`);
    }
  }
  return { ...done(diagnostics, site, profile), locate: doc.locate };
}

function push(list: Diagnostic[], doc: LoadedDocument, severity: Diagnostic['severity'], code: string, path: (string | number)[], message: string) {
  const pos = doc.locate(path);
  list.push({ severity, code, message, file: doc.file, line: pos.line, col: pos.col, path: path.join('.') });
}

function done(diagnostics: Diagnostic[], site?: Site, profile?: Profile): ValidationResult {
  const sorted = sortDiagnostics(diagnostics);
  const ok = !sorted.some((d) => d.severity === 'error');
  return { diagnostics: sorted, ok, site: ok ? site : undefined, profile: ok ? profile : undefined };
}
