import { buildPlan } from './plan/build.js';
import type { Plan } from './plan/types.js';
import type { Diagnostic } from './spec/diagnostics.js';
import type { Site } from './spec/types.js';
import type { Profile } from './profiles/types.js';
import { validateSpec, type ValidationResult } from './spec/validate.js';
import { explainSite } from './report/explain.js';
import { targets } from './targets/registry.js';
import { RenderError, UnsupportedError, type RenderOptions, type TargetDiagnostic } from './targets/types.js';

export interface SiteRender {
  site?: Site;
  profile?: Profile;
  diagnostics: Diagnostic[];
  /** Paths relative to the output folder: `<site-id>/<target>/<file>`. */
  files: Record<string, string>;
  plans: Record<string, Plan>;
}

/**
 * The whole pipeline for one spec, without touching the file system:
 * text → validate → plan (per target capabilities) → render.
 * Errors a target raises for this site (unsupported feature, missing secret) come back as diagnostics.
 */
export function renderSpec(text: string, file: string, targetIds: string[] | 'default', options: RenderOptions): SiteRender {
  return renderValidated(validateSpec(text, file), file, targetIds, options);
}

/** The pipeline after validation: plan and render every target, then the site report. */
export function renderValidated(result: ValidationResult, file: string, targetIds: string[] | 'default', options: RenderOptions): SiteRender {
  const out: SiteRender = { site: result.site, profile: result.profile, diagnostics: [...result.diagnostics], files: {}, plans: {} };
  if (!result.ok || !result.site || !result.profile) return out;
  const site = result.site;
  const ids = targetIds === 'default' ? defaultTargets(site) : targetIds;
  // A spec that names no targets gets every target that can express it; a target the user asked
  // for (in targets: or with --target) fails closed instead.
  const implicit = targetIds === 'default' && !site.targetKeys.some((k) => targets.has(k));
  for (const id of ids) {
    const target = targets.get(id)!;
    const report = (d: TargetDiagnostic): void => {
      const pos = result.locate?.(d.path) ?? { line: 1, col: 1 };
      out.diagnostics.push({ severity: d.severity, code: d.code, message: `${id}: ${d.message}`, file, line: pos.line, col: pos.col, path: d.path.join('.') });
      options.report?.(d);
    };
    try {
      const plan = buildPlan(site, result.profile, target.capabilities(site), id);
      out.plans[id] = plan;
      for (const [name, content] of Object.entries(target.render(plan, site, { ...options, report }))) {
        out.files[`${site.site.id}/${id}/${name}`] = content;
      }
    } catch (e) {
      if (e instanceof UnsupportedError && implicit) {
        const pos = result.locate?.([]) ?? { line: 1, col: 1 };
        out.diagnostics.push({ severity: 'warning', code: 'target-skipped', message: `${id} skipped: ${e.message} (name it under targets: to make this an error)`, file, line: pos.line, col: pos.col, path: 'targets' });
      } else if (e instanceof UnsupportedError || e instanceof RenderError) {
        const at = e.path ? [...e.path] : site.targetKeys.includes(id) ? ['targets', id] : ['profile'];
        const pos = result.locate?.(at) ?? { line: 1, col: 1 };
        out.diagnostics.push({ severity: 'error', code: e instanceof RenderError ? e.code : 'target-unsupported', message: `${id}: ${e.message}`, file, line: pos.line, col: pos.col, path: at.join('.') });
      } else {
        // A bug a value triggered: a located error (exit 1, no half-written output), never a stack trace.
        const at = site.targetKeys.includes(id) ? ['targets', id] : ['profile'];
        out.diagnostics.push(internalError(result, file, at, `${id}: `, e));
      }
    }
  }
  // The site's explain report sits next to the target folders, so --check covers it as well.
  if (Object.keys(out.plans).length && !out.diagnostics.some((d) => d.severity === 'error')) {
    try {
      out.files[`${site.site.id}/README.md`] = explainSite({
        site,
        profile: result.profile,
        plans: out.plans,
        specWarnings: result.diagnostics,
        placement: Object.fromEntries(Object.keys(out.plans).map((id) => [id, targets.get(id)!.placement])),
      });
    } catch (e) {
      out.diagnostics.push(internalError(result, file, ['profile'], 'site report: ', e));
    }
  }
  return out;
}

/** An unexpected exception from rendering this site, as a located diagnostic (code internal-error). */
function internalError(result: ValidationResult, file: string, at: string[], prefix: string, e: unknown): Diagnostic {
  const pos = result.locate?.(at) ?? { line: 1, col: 1 };
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return {
    severity: 'error',
    code: 'internal-error',
    message: `${prefix}chargewall failed on a value of this site or its profile (${what.split('\n')[0]}); nothing was written. This is a bug: please report it with the spec and profile`,
    file,
    line: pos.line,
    col: pos.col,
    path: at.join('.'),
  };
}

/** The spec's `targets:` keys, else every target. */
export function defaultTargets(site: Site): string[] {
  const named = site.targetKeys.filter((k) => targets.has(k));
  return named.length ? named : [...targets.keys()];
}
