import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';
import { packageRoot } from '../util/paths.js';

/**
 * One Handlebars environment with HTML escaping off: every value a template prints was already
 * escaped for its target's syntax by that target's escape module. Templates are compiled once per process.
 */
const hbs = Handlebars.create();
const compiled = new Map<string, Handlebars.TemplateDelegate>();

export function renderTemplate(target: string, name: string, view: object): string {
  const key = `${target}/${name}`;
  let template = compiled.get(key);
  if (!template) {
    const source = readFileSync(join(packageRoot, 'templates', target, `${name}.hbs`), 'utf8');
    template = hbs.compile(source, { noEscape: true, strict: true });
    compiled.set(key, template);
  }
  return template(view);
}
