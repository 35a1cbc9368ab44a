/**
 * chargewall as a library: the same pipeline the CLI runs, without touching the file system.
 *
 *   import { renderSpec } from 'chargewall';
 *   const { diagnostics, files } = renderSpec(yamlText, 'site.yaml', ['iptables'], { withSecrets: false, env: process.env });
 *   // files: { 'brf-solgarden/iptables/rules.v4': '...', ... }
 */
export { renderSpec, defaultTargets, type SiteRender } from './pipeline.js';
export { validateSpec, type ValidationResult } from './spec/validate.js';
export { formatDiagnostic, type Diagnostic } from './spec/diagnostics.js';
export { buildPlan } from './plan/build.js';
export type { Plan, TargetCapabilities, ForwardRule, RouterRule, Redirect, Destination, RuleKind, RuleService } from './plan/types.js';
export type { Site, SpecDocument, TargetSettings } from './spec/types.js';
export type { Profile } from './profiles/types.js';
export { targets, targetIds, targetsSchema, type TargetId } from './targets/registry.js';
export { UnsupportedError, RenderError, type Target, type RenderOptions, type Refusal, type SettingsContract, type SettingsSchema } from './targets/types.js';
