import { compiledSchema } from '../util/schemas.js';
import { loadProfile, builtinProfileIds } from '../profiles/load.js';
import type { Profile } from '../profiles/types.js';
import { closest } from '../util/suggest.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import { loadYaml, type LoadedDocument } from './load.js';
import { schemaDiagnostics } from './schema-errors.js';
import type { Site, SpecDocument } from './types.js';
import { targets } from '../targets/registry.js';
import { normalize } from './normalize.js';
import { rules, ruleReads, type RuleContext } from './rules.js';
import { diagnosticCodes } from '../generated/codes.js';
import { hidesFinding, overlaps, repairDocument } from './repair.js';

export interface ValidationResult {
  site?: Site;
  profile?: Profile;
  /** Errors and warnings, sorted by file and position. */
  diagnostics: Diagnostic[];
  ok: boolean;
  /** Warnings the spec acknowledges (`acknowledge:`): kept out of `diagnostics`, counted by validate. */
  acknowledged?: Diagnostic[];
  /** The site id, when it parsed (even if other parts did not): for cross-spec checks. */
  siteId?: string;
  /** Position of a path in the spec, for problems found after validation (render-time errors). */
  locate?: LoadedDocument['locate'];
}

/**
 * Validates a spec in three passes: YAML syntax, JSON Schema (types, unknown keys, enums),
 * then small named semantic rules (address arithmetic, Wi-Fi, leases). Every problem is reported
 * at once: when the schema pass fails, the rules still run on every part that parsed (repair.ts),
 * so a typo'd key or a bad enum does not hide "gateway outside subnet" or "channel 13".
 */
export function validateSpec(text: string, file: string): ValidationResult {
  // A UTF-8 BOM (Windows editors) is not part of the first line: columns count from after it.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const doc = loadYaml(text, file);
  if (doc.errors.length) return done(doc.errors);
  if (doc.data === null || typeof doc.data !== 'object' || Array.isArray(doc.data)) {
    return done([{ severity: 'error', code: 'invalid-type', message: 'the spec must be a YAML mapping (version, site, profile, chargers, network, ...)', file, line: 1, col: 1, path: '' }]);
  }
  const { schema, validate } = compiledSchema('site');
  const diagnostics: Diagnostic[] = [];
  let data: unknown = doc.data;
  let broken: string[] = [];
  const schemaValid = validate(data);
  if (!schemaValid) {
    diagnostics.push(...schemaDiagnostics(validate.errors ?? [], doc, schema()));
    const repaired = repairDocument(data, validate, schema());
    if (repaired.data === undefined) return done(diagnostics);
    data = repaired.data;
    broken = repaired.broken;
  }

  // Schema-valid (or repaired to that shape, placeholders where parts did not parse): typed from here on.
  const spec = data as SpecDocument;
  const site = normalize(spec);
  const profileBroken = broken.some((b) => overlaps('profile', b));
  let profile: Profile | undefined;
  if (!profileBroken) {
    const profileResult = loadProfile(site.profile, file);
    if (profileResult.notFound) {
      const guess = closest(site.profile, builtinProfileIds);
      push(diagnostics, doc, 'error', 'unknown-profile', ['profile'],
        `unknown profile '${site.profile}': use a built-in id (${builtinProfileIds.join(', ')}) or a path to a profile .yaml file${guess ? `; did you mean '${guess}'?` : ''}`);
    } else if (!profileResult.profile) diagnostics.push(...profileResult.diagnostics);
    profile = profileResult.profile;
  }
  if (!profile) broken = [...broken, 'profile'];

  const partial = broken.length > 0;
  const report = (severity: Diagnostic['severity']) => (code: string, path: (string | number)[], message: string) => {
    if (partial && hidesFinding(path.join('.'), broken)) return;
    push(diagnostics, doc, severity, code, path, message);
  };
  const ctx: RuleContext = { site, profile: profile!, raw: spec, error: report('error'), warn: report('warning') };
  // The spec's rules, then every target's own (src/targets/<id>/): all of them, every finding at once.
  const all = [...rules.map((rule) => ({ rule, reads: ruleReads.get(rule) })), ...[...targets.values()].flatMap((t) => t.settings.rules ?? [])];
  for (const { rule, reads } of all) {
    if (partial) {
      // A rule nobody declared the inputs of runs only on a whole spec.
      if (!schemaValid && !reads) continue;
      if (reads?.some((r) => broken.some((b) => overlaps(r, b)))) continue;
      if (!reads && !profile) continue;
    }
    try {
      rule(ctx);
    } catch (e) {
      // A rule that fails on a value it did not expect: a located error, never a stack trace.
      push(diagnostics, doc, 'error', 'internal-error', [], `validation rule ${rule.name || '(unnamed)'} failed on a value of this spec (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}). This is a bug: please report it with the spec and profile`);
    }
  }
  // acknowledge: only codes chargewall can emit; a typo would silently acknowledge nothing.
  (spec.acknowledge ?? []).forEach((code, i) => {
    if (broken.some((b) => overlaps(`acknowledge.${i}`, b)) || diagnosticCodes.includes(code)) return;
    const guess = closest(code, diagnosticCodes);
    push(diagnostics, doc, 'error', 'unknown-acknowledge', ['acknowledge', i],
      `'${code}' is not a code chargewall reports${guess ? `: did you mean '${guess}'?` : ''} Acknowledge a warning by the code printed after 'warning' (e.g. dns-bypass)`);
  });
  const acknowledged = splitAcknowledged(diagnostics, site.acknowledge);
  const siteId = broken.some((b) => overlaps('site.id', b)) ? undefined : site.site.id;
  return { ...done(acknowledged.kept, site, profile), acknowledged: acknowledged.dropped, siteId, locate: doc.locate };
}

/** Warnings whose code the site acknowledges go to `dropped`; errors always stay. */
export function splitAcknowledged(list: Diagnostic[], codes: readonly string[] | undefined): { kept: Diagnostic[]; dropped: Diagnostic[] } {
  if (!codes?.length) return { kept: list, dropped: [] };
  const kept: Diagnostic[] = [];
  const dropped: Diagnostic[] = [];
  for (const d of list) (d.severity === 'warning' && codes.includes(d.code) ? dropped : kept).push(d);
  return { kept, dropped };
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
