import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { renderText } from './helpers.js';
import { housingVariant } from './mikrotik-tree.js';
import { ScriptSyntaxError } from '../src/targets/mikrotik/script.js';

// The RouterOS render checks its own output (checkSyntax) before returning it. To show that net
// catches a broken escape, `str` can be swapped for one that only adds quotes.
const escape = vi.hoisted(() => ({ broken: false }));
vi.mock('../src/targets/mikrotik/escape.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/targets/mikrotik/escape.js')>();
  return { ...real, str: (text: string) => (escape.broken ? `"${text}"` : real.str(text)) };
});

afterEach(() => {
  escape.broken = false;
});

const renderRaw = (siteName: string) => {
  const spec = parseYaml(housingVariant({ routeros: 7, wifi: 'wifi' }));
  spec.site.name = siteName;
  return renderText(stringifyYaml(spec), ['mikrotik']);
};
const render = (siteName: string) => {
  const r = renderRaw(siteName);
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return Object.values(r.files).find((f) => f.startsWith('# chargewall'));
};

describe('mikrotik: the render refuses a script its own tokenizer rejects', () => {
  // A `$` runs code inside a string, a trailing backslash leaves it open, `\q` is no escape. (A quote
  // alone is not among them: the name is written twice on one line, and two quotes still tokenize;
  // test/hostile.test.ts compares the command shapes for that.)
  const names = ['Solgården $[/system reboot]', 'Solgården \\', 'cost $(1)', 'Hus \\q'];

  it('with the real escaping these names render', () => {
    for (const name of names) expect(render(name), name).toContain('charger segment of');
  });

  it('with a broken str the self-check throws instead of returning the script', () => {
    escape.broken = true;
    // The pipeline turns the throw into a located internal-error diagnostic (issue 17): no script, no stack trace.
    for (const name of names) {
      const r = renderRaw(name);
      const errors = r.diagnostics.filter((d) => d.severity === 'error');
      expect(errors.map((d) => d.code), name).toEqual(['internal-error']);
      expect(errors[0].message).toContain(new ScriptSyntaxError('x', 1).name);
      expect(Object.keys(r.files)).toEqual([]);
    }
  });
});
