import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import HandlebarsRuntime from 'handlebars/runtime.js';
import type HandlebarsFull from 'handlebars';
import precompiled from '../generated/templates.js';
import { packageRoot } from '../util/paths.js';

/**
 * One Handlebars environment with HTML escaping off: every value a template prints was already
 * escaped for its target's syntax by that target's escape module. Templates are precompiled at
 * build time (scripts/generate.mjs); only the small runtime loads at start-up.
 */
// The runtime build has the same API as the full one, minus the compiler.
const hbs = (HandlebarsRuntime as unknown as typeof HandlebarsFull).create();
type Template = (view: object) => string;
const compiled = new Map<string, Template>();

export function renderTemplate(target: string, name: string, view: object): string {
  const key = `${target}/${name}`;
  let template = compiled.get(key);
  if (!template) {
    const spec = (precompiled as Record<string, any>)[key];
    template = spec ? (hbs.template(spec) as Template) : compileFromSource(key);
    compiled.set(key, template);
  }
  return template(view);
}

/** A template added since the last build: compile it from templates/ with the full compiler. */
function compileFromSource(key: string): Template {
  const full = createRequire(import.meta.url)('handlebars') as typeof HandlebarsFull;
  const source = readFileSync(join(packageRoot, 'templates', `${key}.hbs`), 'utf8');
  return full.create().compile(source, { noEscape: true, strict: true });
}
