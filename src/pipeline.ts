import { buildPlan } from './plan/build.js';
import type { Plan } from './plan/types.js';
import type { Diagnostic } from './spec/diagnostics.js';
import type { Site } from './spec/types.js';
import type { Profile } from './profiles/types.js';
import { validateSpec, type ValidationResult } from './spec/validate.js';
import { explainSite } from './report/explain.js';
import { targets } from './targets/registry.js';
import { RenderError, UnsupportedError, refusalError, type Refusal, type RenderOptions, type TargetDiagnostic } from './targets/types.js';

export interface PipelineOptions extends RenderOptions {
  /** Values of the command-line flags the targets declare (TargetFlag), by flag name: plain data. */
  flags?: Record<string, unknown>;
  /** Per target id, what its input's plan() prepared for this spec across the run (TargetInput.plan). */
  planned?: Record<string, unknown>;
  /**
   * Nothing is written (validate, render --check): an input the spec names that is absent (a public
   * repository keeps it out of git, so CI has none) may be a warning, and the target's folder not checked.
   */
  readOnly?: boolean;
}

export interface SiteRender {
  site?: Site;
  profile?: Profile;
  diagnostics: Diagnostic[];
  /** Paths relative to the output folder: `<site-id>/<target>/<file>`. */
  files: Record<string, string>;
  plans: Record<string, Plan>;
  /** Output folders (`<site>/<target>/`) --check leaves alone: a target folder whose input is absent here. */
  unchecked?: string[];
  /** Per target id, the bytes of the input its render read (TargetInput.prepare): recorded in the manifest by hash. */
  inputs?: Record<string, string>;
  /** Warnings the spec acknowledges, from every source (spec rules, targets, the pipeline): not printed, only counted. */
  acknowledged: Diagnostic[];
}

/**
 * The whole pipeline for one spec, without writing to the file system (it reads an input a target
 * declares and the spec names, see TargetInput): text → validate → plan (per target capabilities) → render.
 * Errors a target raises for this site (unsupported feature, missing secret) come back as diagnostics.
 */
export function renderSpec(text: string, file: string, targetIds: string[] | 'default', options: PipelineOptions): SiteRender {
  return renderValidated(validateSpec(text, file), file, targetIds, options);
}

/** The pipeline after validation: plan and render every target, then the site report. */
export function renderValidated(result: ValidationResult, file: string, targetIds: string[] | 'default', pipelineOptions: PipelineOptions): SiteRender {
  const out: SiteRender = { site: result.site, profile: result.profile, diagnostics: [...result.diagnostics], files: {}, plans: {}, acknowledged: [...(result.acknowledged ?? [])] };
  if (!result.ok || !result.site || !result.profile) return out;
  const site = result.site;
  const ids = targetIds === 'default' ? defaultTargets(site) : targetIds;
  // A spec that names no targets gets every target that can express it; a target the user asked
  // for (in targets: or with --target) fails closed instead.
  const implicit = targetIds === 'default' && !site.targetKeys.some((k) => targets.has(k));
  const { flags: _flags, planned: _planned, readOnly: _readOnly, ...options } = pipelineOptions;
  // Inputs the targets declare (TargetInput), read before anything renders.
  const finish: ((files: Record<string, string>) => void)[] = [];
  for (const id of ids) {
    const prepared = targets.get(id)!.input?.prepare(site, file, pipelineOptions, result, out);
    if (!prepared) continue;
    Object.assign(options, prepared.options);
    (out.inputs ??= {})[id] = prepared.text;
    if (prepared.finish) finish.push(prepared.finish);
  }
  const fail = (id: string, e: unknown): void => {
    if (e instanceof UnsupportedError && implicit) {
      // At the setting that makes the target unable (e.g. network, where network.vlan belongs).
      const at = namedCause(e) ?? [];
      const pos = result.locate?.(at) ?? { line: 1, col: 1 };
      // Acknowledged (`acknowledge: [target-skipped]`): not printed, only counted.
      (site.acknowledge?.includes('target-skipped') ? out.acknowledged : out.diagnostics).push({ severity: 'warning', code: 'target-skipped', message: `${id} skipped: ${e.message} (name it under targets: to make this an error)`, file, line: pos.line, col: pos.col, path: at.length ? at.join('.') : 'targets' });
    } else if (e instanceof UnsupportedError || e instanceof RenderError) {
      const at = causeOf(e, id, site);
      const pos = result.locate?.(at) ?? { line: 1, col: 1 };
      // An input the spec names (TargetInput.setting) is reported at that setting, not as the flag.
      const input = targets.get(id)?.input;
      const fromSpec = e instanceof RenderError && input !== undefined && e.code === input.code && settingOf(site, input.setting) !== undefined;
      const setting = input?.setting.join('.') ?? '';
      // The refusal sits at the setting that disagrees with the input (its own path, e.g. the target's
      // interface or network.gateway), else at the input's setting (the input itself is the problem).
      const path = fromSpec && !e.path?.length ? input!.setting : at;
      const where = fromSpec ? (result.locate?.(path) ?? pos) : pos;
      const message = fromSpec && e.message.startsWith(`${input!.flag} `) ? `${setting} ${e.message.slice(input!.flag.length + 1)}` : e.message;
      out.diagnostics.push({ severity: 'error', code: e instanceof RenderError ? e.code : 'target-unsupported', message: `${id}: ${message}`, file, line: where.line, col: where.col, path: path.join('.') });
    } else {
      // A bug a value triggered: a located error (exit 1, no half-written output), never a stack trace.
      const at = site.targetKeys.includes(id) ? ['targets', id] : ['profile'];
      out.diagnostics.push(internalError(result, file, at, `${id}: `, e));
    }
  };
  // Check phase: every target plans and declares what it cannot express (Target.check) before any
  // renders, and every refusal of every target is reported in this one run, not the first one thrown.
  const expressible: string[] = [];
  for (const id of ids) {
    const target = targets.get(id)!;
    try {
      const refusals: Refusal[] = [];
      const plan = buildPlan(site, result.profile, target.capabilities(site), id, refusals);
      refusals.push(...(target.check?.(plan, site) ?? []));
      for (const r of refusals) fail(id, refusalError(id, r));
      if (refusals.length) continue;
      out.plans[id] = plan;
      expressible.push(id);
    } catch (e) {
      fail(id, e);
    }
  }
  for (const id of expressible) {
    const target = targets.get(id)!;
    const report = (d: TargetDiagnostic): void => {
      const pos = result.locate?.(d.path) ?? { line: 1, col: 1 };
      const located: Diagnostic = { severity: d.severity, code: d.code, message: `${id}: ${d.message}`, file, line: pos.line, col: pos.col, path: d.path.join('.') };
      // A warning the spec acknowledges for this site (`acknowledge:`) is not printed and does not fail --strict (only counted).
      if (d.severity === 'warning' && site.acknowledge?.includes(d.code)) {
        out.acknowledged.push(located);
        return;
      }
      out.diagnostics.push(located);
      options.report?.(d);
    };
    try {
      // A plan warning that opens more than asked (it carries the setting that accepted it) is reported like a target's.
      for (const w of out.plans[id].warnings) if (w.path) report({ severity: 'warning', code: w.code, message: w.message, path: w.path });
      for (const [name, content] of Object.entries(target.render(out.plans[id], site, { ...options, report }))) {
        out.files[`${site.site.id}/${id}/${name}`] = content;
      }
    } catch (e) {
      fail(id, e);
    }
  }
  for (const f of finish) f(out.files);
  // Every warning the site acknowledges is off, wherever it came from (rules, targets, the pipeline).
  if (site.acknowledge?.length) {
    const acked = (d: Diagnostic) => d.severity === 'warning' && site.acknowledge!.includes(d.code);
    out.acknowledged.push(...out.diagnostics.filter(acked));
    out.diagnostics = out.diagnostics.filter((d) => !acked(d));
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

/** The value at a path of the normalised site (e.g. an input's setting). */
function settingOf(site: Site, path: readonly string[]): unknown {
  let v: unknown = site;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** Spec paths a refusal's text can name, most specific first. */
const SPEC_PATH = /\b(?:targets\.[a-z]+\.[A-Za-z]+|network\.dhcp\.[A-Za-z]+|network\.[A-Za-z]+|wifi\.[A-Za-z]+|policy\.[A-Za-z]+|chargers\.[A-Za-z]+|extraEndpoints)\b/;
const FEATURE_WORDS: [RegExp, string[]][] = [
  [/\bsubnet\b/, ['network', 'subnet']],
  [/\blease time\b/, ['network', 'dhcp', 'leaseTime']],
  [/\bendpoint\b|\bfilter rules\b/, ['extraEndpoints']],
];

/**
 * Where a target's refusal points: the setting that causes it (a path the error carries, or one its
 * feature or message names, e.g. `network.vlan`, `policy.ntp`), else the target's own settings, else
 * the profile. Not line 1: the admin should land on the line to change.
 */
function causeOf(e: UnsupportedError | RenderError, id: string, site: Site): string[] {
  return namedCause(e) ?? (site.targetKeys.includes(id) ? ['targets', id] : ['profile']);
}

function namedCause(e: UnsupportedError | RenderError): string[] | undefined {
  // The path the error carries (a passphrase error: wifi.passphrase; a plan refusal: its setting) wins.
  if (e.path?.length) return [...e.path];
  const feature = e instanceof UnsupportedError ? e.feature : '';
  const named = SPEC_PATH.exec(feature) ?? SPEC_PATH.exec(e.message);
  if (named) return named[0].split('.');
  for (const [re, path] of FEATURE_WORDS) if (re.test(feature)) return path;
  return undefined;
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
