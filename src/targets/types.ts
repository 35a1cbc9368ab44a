import type { Plan, TargetCapabilities } from '../plan/types.js';
import type { Site, SpecDocument } from '../spec/types.js';
import type { Rule } from '../spec/rules.js';
import type { PipelineOptions, SiteRender } from '../pipeline.js';
import type { ValidationResult } from '../spec/validate.js';

export interface RenderOptions {
  /** Write the Wi-Fi passphrase into outputs (from the spec literal or its env variable). */
  withSecrets: boolean;
  /** Environment for `{ env: NAME }` passphrases. */
  env: Record<string, string | undefined>;
  /** pfSense only: the admin's backup to merge into; `overwriteEdits` reverts GUI edits of chargewall's items instead of refusing. */
  pfsenseConfig?: { file: string; text: string; overwriteEdits?: boolean };
  /**
   * Where a target reports what it takes over, drops or cannot check (e.g. "existing DHCP server replaced").
   * The pipeline locates each one at `path` in the spec and prints it on stderr with its code, so
   * `--strict` can fail on it. Targets call it; they never print.
   */
  report?: (d: TargetDiagnostic) => void;
}

/** A finding of a target about this site, located at a spec path (e.g. ['targets', 'mikrotik', 'radio']). */
export interface TargetDiagnostic {
  severity: 'error' | 'warning';
  /** Stable kebab-case code, e.g. `dhcp-server-replaced`. */
  code: string;
  message: string;
  path: string[];
}

/**
 * A JSON Schema (draft-07) object for `targets.<id>`: every property with a description and, where
 * it has one fixed default, `default`. schemas/site.schema.json's `targets` part is generated from
 * these (test/targets.test.ts keeps the published file in sync).
 */
export interface SettingsSchema {
  type: 'object';
  description: string;
  additionalProperties: false;
  properties: Record<string, Record<string, unknown> & { description: string }>;
}

/** A validation rule of a target and the spec paths it reads (see ruleReads in src/spec/rules.ts). */
export interface TargetRule {
  rule: Rule;
  reads: string[];
}

/** What a target owns about its settings: schema, defaults, validation. `S` is the settings type after normalisation. */
export interface SettingsContract<S> {
  schema: SettingsSchema;
  /**
   * The settings as written under `targets.<id>` (schema-valid, may be absent) → every default filled.
   * `spec` is the whole document as written, for defaults that depend on it (MikroTik's Wi-Fi package).
   * Pure; add no key the user did not set unless it has a default (the spec hash covers the result).
   */
  normalize(input: Partial<S> | undefined, spec: SpecDocument): S;
  /** Semantic rules on the normalised site, run with the spec's other rules (every finding at once). */
  rules?: readonly TargetRule[];
}

/**
 * Something a target cannot express for this site, found before rendering. The pipeline collects
 * every target's refusals and reports them all in one run (code target-unsupported), located at
 * `path` (else at the setting the feature names, else the target's settings).
 */
export interface Refusal {
  feature: string;
  detail: string;
  path?: readonly string[];
}

/**
 * A command-line flag a target declares (pfSense: --pfsense-config, --pfsense-overwrite-edits). The CLI
 * adds it to the commands its `help` names, reads its value before the run, and passes it to the
 * target's input as `flags[name]` (plain data: worker threads receive it serialised).
 */
export interface TargetFlag {
  /** `--<target id>-...`, so two targets cannot declare the same flag (test/targets.test.ts checks it). */
  name: string;
  /** Its argument as help shows it, e.g. '<backup.xml>'; none: a switch, whose value is `true`. */
  argument?: string;
  /** Help text per command that offers the flag; a command not named here does not. */
  help: { render?: string; diff?: string };
  /**
   * The argument names a file, read once before the run (a regular file only: a FIFO or a folder is
   * refused at once): the value is `{ file, text }`. The words say what it is in the error, which names
   * the flag: `--pfsense-config x.xml: cannot read the pfSense backup (no such file)`, exit 2. What is
   * in the file is the target's to check, as a located error at render (RenderError with the input's `code`).
   */
  file?: string;
  /** render --check repeats the flag in its "run chargewall render ..." advice: it changes what is written. */
  advise?: boolean;
}

/** A run of the CLI as an input's plan() sees it. */
export interface InputRun {
  /** The text of a spec of the run (throws when it cannot be read; the render reports that). */
  read(file: string): string;
  ids: string[] | 'default';
  /** The values of the flags given (TargetFlag), by name. */
  flags: Record<string, unknown>;
  /** The output folder. */
  out: string;
  /** Outputs are compared, not written (render --check, diff). */
  check: boolean;
}

/**
 * A file a target reads besides the spec (pfSense: the admin's config.xml backup), named by a setting
 * of its own (relative to the spec) or, for every spec of a run, by a command-line flag it declares.
 * Everything about it lives in the target's folder; the CLI and the pipeline handle it through this.
 */
export interface TargetInput {
  /** The setting that names it, e.g. ['targets', 'pfsense', 'backup']: errors about the input point there. */
  setting: readonly string[];
  /** The flag (one of `flags`) that gives it for every spec; a RenderError with `code` that names the flag is reported at the setting when the spec names the input. */
  flag: string;
  code: string;
  /** The target's command-line flags, in the order help lists them (after --with-secrets). */
  flags: readonly TargetFlag[];
  /** Its key under `options` in each site's manifest: the hash of the bytes read, or null. */
  manifestKey: string;
  /**
   * Output files (relative to the target's folder) that hold the device's whole configuration: written
   * readable by the owner only (0600), and render --check does not ask for one that git ignores and the
   * checkout lacks (kept out of the repository on purpose).
   */
  privateFiles?: readonly string[];
  /**
   * Before the first site of a run renders, across all its specs (pfSense: the sites sharing one backup
   * merge in turn). Per spec index, plain data (worker threads get it too) that prepare() finds as
   * `options.planned[<target id>]`.
   */
  plan?(specs: string[], run: InputRun): (unknown | undefined)[];
  /**
   * Before this site renders: read the input (problems go into out.diagnostics, located), and return
   * what render() gets (RenderOptions), the bytes read (`text`: the manifest records their hash, and the
   * incremental check never skips a site that read an input) and what to add to the site's files
   * afterwards. Undefined: no input for this site.
   */
  prepare(site: Site, file: string, options: PipelineOptions, result: ValidationResult, out: SiteRender): { options: Partial<RenderOptions>; text: string; finish?(files: Record<string, string>): void } | undefined;
}

/** One router platform: a folder in src/targets/, a line in registry.ts, golden files (docs/adding-a-target.md). */
export interface Target<S = unknown> {
  id: string;
  /** The target's settings under `targets.<id>`: schema, normalisation and validation rules. */
  settings: SettingsContract<S>;
  /**
   * What this target cannot express for this plan, all of it (the pipeline runs every target's check
   * before any render and reports every refusal at once). Pure; a target that can express every plan omits it.
   */
  check?(plan: Plan, site: Site): Refusal[];
  /** A file the target reads besides the spec (see TargetInput); the pipeline prepares it before rendering. */
  input?: TargetInput;
  /** One line for `chargewall targets`. */
  description: string;
  /** Output file names (relative to <out>/<site>/<target>/) for documentation; render() is the truth. */
  files: readonly string[];
  /** Optional, for the explain report: one sentence on where the rules sit relative to the router's existing rules. */
  placement?: string;
  /** What this target can express for this site (may depend on target settings, e.g. RouterOS version). */
  capabilities(site: Site): TargetCapabilities;
  /** Plan → files. Pure; runs only when check() refused nothing; throws RenderError (below) for input problems found while rendering (a missing passphrase variable). */
  render(plan: Plan, site: Site, options: RenderOptions): Record<string, string>;
}

/**
 * A plan choice a target cannot carry out: fail closed with the target and feature named. `path` is
 * where in the spec the choice is made, when the thrower knows it; else the pipeline points at the
 * target's settings (or the profile).
 */
export class UnsupportedError extends Error {
  constructor(readonly target: string, readonly feature: string, detail: string, readonly path?: readonly string[]) {
    super(`target ${target} cannot express ${feature}: ${detail}`);
    this.name = 'UnsupportedError';
  }
}

/**
 * A render-time problem caused by the user's input or environment (e.g. a missing passphrase variable).
 * `path` is the spec path the problem belongs to (['wifi', 'passphrase']); without one the pipeline
 * points at the target's settings.
 */
export class RenderError extends Error {
  constructor(message: string, readonly code = 'render-failed', readonly path?: readonly string[]) {
    super(message);
    this.name = 'RenderError';
  }
}

/** A refusal as the error render() would throw (the check and the render share one source of truth). */
export const refusalError = (target: string, r: Refusal): UnsupportedError => new UnsupportedError(target, r.feature, r.detail, r.path);
