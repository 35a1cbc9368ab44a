import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type HandlebarsFull from 'handlebars';
import compiledTemplates from '../generated/templates.js';
import { lazyRequire } from '../util/lazy-require.js';
import { packageRoot } from '../util/paths.js';

/**
 * Handlebars templates with HTML escaping off: every value a template prints was already escaped for
 * its target's syntax by that target's escape module. At build time scripts/compile-templates.mjs
 * turns each template into a plain function (Handlebars' parser, noEscape + strict semantics), so no
 * Handlebars runtime runs per render.
 */
type Template = (view: object) => string;

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
  return full.create().compile(source, { noEscape: true, strict: true }) as Template;
}
