import type { Plan, TargetCapabilities } from '../plan/types.js';
import type { Site } from '../spec/types.js';

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

/** One router platform. Add a folder in src/targets/, a line in registry.ts, templates, golden files. */
export interface Target {
  id: string;
  /** One line for `chargewall targets`. */
  description: string;
  /** Output file names (relative to <out>/<site>/<target>/) for documentation; render() is the truth. */
  files: readonly string[];
  /** Optional, for the explain report: one sentence on where the rules sit relative to the router's existing rules. */
  placement?: string;
  /** What this target can express for this site (may depend on target settings, e.g. RouterOS version). */
  capabilities(site: Site): TargetCapabilities;
  /** Plan → files. Pure; throws UnsupportedError / RenderError (below) for what it cannot express. */
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
