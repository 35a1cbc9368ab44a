import { describe, expect, it } from 'vitest';
import Handlebars from 'handlebars';
// @ts-expect-error plain ESM build script without types
import { compileTemplate, runtimeSource } from '../scripts/compile-templates.mjs';

/** The build-time compiler's function for a template source, ready to call. */
function compiled(source: string): (view: object) => string {
  return new Function(`${runtimeSource}\nreturn (${compileTemplate(source, 'test/t')});`)() as (view: object) => string;
}
const reference = (source: string) => Handlebars.create().compile(source, { noEscape: true, strict: true });

// Values that Handlebars treats specially: empty arrays, 0, '', null, missing keys, numbers, nesting.
const views: Record<string, unknown>[] = [
  { a: 'x', b: [], n: 0, s: '', z: null, list: ['p', 'q', 'r'], rows: [{ name: 'A', items: ['1', '2'] }, { name: 'B', items: [] }], obj: { k: 'v', deep: { d: 5 } } },
  { a: 'x<&>"', b: ['only'], n: 7, s: 'text', z: undefined, list: [], rows: [], obj: { k: '', deep: { d: 0 } } },
  { a: 'x', b: [1], n: -1, s: ' ', z: false, list: ['one'], rows: [{ name: 'C', items: ['3'] }], obj: { k: 'w', deep: { d: 'str' } } },
];
const sources = [
  'plain text\nwith lines\n',
  '{{a}}|{{n}}|{{s}}|{{z}}|{{obj.k}}|{{obj.deep.d}}\n',
  '{{#if b}}yes{{else}}no{{/if}} {{#if n}}n{{/if}} {{#unless s}}empty{{/unless}} {{#if z}}z{{else}}no z{{/if}} {{#if b.length}}len{{/if}}\n',
  '{{#each list}}\n- {{this}}{{#unless @last}},{{/unless}}\n{{/each}}\n',
  '{{#each list}}{{#unless @first}}, {{/unless}}`{{this}}`{{@index}}{{/each}}\n',
  '{{#each list}}\n{{this}}\n{{else}}\nnothing\n{{/each}}\n',
  '{{#each rows}}\n# {{name}} of {{../a}}\n{{#each items}}\nadd {{../name}} {{this}} {{#if @first}}first{{/if}}\n{{/each}}\n{{/each}}\n',
  '{{#if obj}}\n  {{#if obj.k}}\nk={{obj.k}}\n  {{else}}\nno k\n  {{/if}}\n{{/if}}\nend\n',
];

describe('build-time template compiler (scripts/compile-templates.mjs)', () => {
  for (const source of sources) {
    it(`renders like Handlebars (noEscape, strict): ${JSON.stringify(source.slice(0, 40))}`, () => {
      for (const view of views) expect(compiled(source)(view)).toBe(reference(source)(view));
    });
  }

  it('throws on a missing key, as strict Handlebars does', () => {
    expect(() => reference('{{missing}}')({})).toThrow();
    expect(() => compiled('{{missing}}')({})).toThrow(/"missing" not defined/);
    expect(() => compiled('{{obj.missing}}')({ obj: {} })).toThrow(/"missing" not defined/);
  });

  it('refuses what it does not implement at build time instead of rendering differently', () => {
    for (const source of ['{{> partial}}', '{{lookup a b}}', '{{#with a}}{{/with}}', '{{#each a as |x|}}{{x}}{{/each}}', '{{#if a includeZero=true}}{{/if}}', '{{@index}}', '{{log}}']) {
      expect(() => compileTemplate(source, 'test/t'), source).toThrow(/not supported/);
    }
  });
});
