import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type HandlebarsFull from 'handlebars';
import compiledTemplates from '../generated/templates.js';
import { lazyRequire } from '../util/lazy-require.js';
import { packageRoot } from '../util/paths.js';

/**
 * The prose templates (the STEPS.md of mikrotik, pfsense and unifi), with
 * HTML escaping off: every value a template prints was already escaped for its target's syntax by that
 * target's escape module. `npm run build` precompiles them with Handlebars.precompile
 * (scripts/generate.mjs) and they run on handlebars/runtime; the full compiler is not loaded. The
 * line-oriented config files have no template: each target emits them from code (emit.ts).
 */
type Template = (view: object) => string;

/** The compile options of scripts/generate.mjs: no HTML escaping, a missing key throws, built-in helpers only. */
const OPTIONS = { noEscape: true, strict: true, knownHelpersOnly: true };

export function renderTemplate(target: string, name: string, view: object): string {
  const key = `${target}/${name}`;
  const template = compiledTemplates[key] ?? compileFromSource(key);
  return template(view);
}

/**
 * A template added since the last build: compile it from templates/ with the full Handlebars compiler,
 * at every call (not kept: an edited template is seen at once; `npm run build` makes it fast again).
 */
function compileFromSource(key: string): Template {
  const full = lazyRequire('handlebars') as typeof HandlebarsFull;
  const source = readFileSync(join(packageRoot, 'templates', `${key}.hbs`), 'utf8');
  return full.create().compile(source, OPTIONS) as Template;
}
