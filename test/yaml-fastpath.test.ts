import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { loadYaml, loadYamlWithYaml, fastPathData } from '../src/spec/load.js';
import { propertyRuns } from './arbitraries.js';
import { root } from './helpers.js';
// @ts-expect-error: a plain .mjs module without types
import { siteSpec } from '../bench/sites.mjs';

/**
 * The YAML fast path (js-yaml) against the reference (`yaml`, as the loader used it before): for
 * every text, if the fast path accepts it, `yaml` accepts it with the same data (same types:
 * number, string, null, boolean, -0, NaN), and loadYaml gives exactly what the `yaml`-only loader
 * gives (data, or errors with their messages and positions).
 */

type Counts = { cases: number; fast: number; slow: number; yamlErrors: number };
const total: Counts = { cases: 0, fast: 0, slow: 0, yamlErrors: 0 };
const perTest = new Map<string, Counts>();
const summary = (c: Counts) => `${c.cases} texts, ${c.fast} read by js-yaml, ${c.slow} by yaml (${c.yamlErrors} with yaml errors)`;
afterAll(() => {
  for (const [name, c] of perTest) console.log(`${name}: ${summary(c)}`);
  console.log(`yaml fast path, all: ${summary(total)}`);
});
function count(key: keyof Counts) {
  const name = expect.getState().currentTestName ?? '';
  if (!perTest.has(name)) perTest.set(name, { cases: 0, fast: 0, slow: 0, yamlErrors: 0 });
  perTest.get(name)![key]++;
  total[key]++;
}

const show = (text: string) => JSON.stringify(text.length > 300 ? `${text.slice(0, 300)}...` : text);

function check(text: string): void {
  count('cases');
  const fast = fastPathData(text);
  // The reference loader never throws: an alias it cannot expand is a located yaml-syntax error.
  const ref = loadYamlWithYaml(text, 'spec.yaml');
  if (fast !== undefined) {
    count('fast');
    expect(ref.errors, `fast path accepted a text yaml rejects: ${show(text)}`).toEqual([]);
    expect(fast, show(text)).toStrictEqual(ref.data);
    expect(isDeepStrictEqual(fast, ref.data), `data differs (types, -0 or NaN) for ${show(text)}`).toBe(true);
  } else count('slow');
  if (ref.errors.length) count('yamlErrors');
  const now = loadYaml(text, 'spec.yaml');
  expect(now.errors, show(text)).toEqual(ref.errors);
  expect(isDeepStrictEqual(now.data, ref.data), `loadYaml data differs for ${show(text)}`).toBe(true);
  // locate is the reference's, parsed lazily.
  const firstKey = ref.data && typeof ref.data === 'object' && !Array.isArray(ref.data) ? Object.keys(ref.data)[0] : undefined;
  for (const path of firstKey === undefined ? [[]] : [[], [firstKey], [firstKey, 0]]) {
    expect(now.locate(path)).toEqual(ref.locate(path));
    expect(now.locate(path, { key: true })).toEqual(ref.locate(path, { key: true }));
  }
}

/** Plain scalars on which YAML 1.1, YAML 1.2 core and JSON schemas (and the two libraries' readings of them) differ. */
const trickyPlain = [
  '0o17', '0o8', '0o', '0O17', '0x1F', '0x1f', '0X1F', '0x', '0xG', '0b11', '0B11', '1_000', '1__0', '0x_1', '+1', '-1', '+0', '-0', '00',
  '007', '08', '09', '0', '1', '12345678901234567890', '9007199254740993', '.5', '-.5', '+.5', '1.', '0.', '1.0', '1.50', '3.14', '-3.14e-2',
  '1e3', '1E3', '1e+3', '-1e-3', '1e', 'e3', '1e400', '0e0', '.e1', '1.e2', '.5e1', '1_0.5', '.Inf', '.inf', '.INF', '-.Inf', '+.inf', '.iNf',
  'Infinity', '-Infinity', '.NaN', '.nan', '.NAN', '.Nan', 'NaN', '~', 'null', 'Null', 'NULL', 'nUll', 'true', 'True', 'TRUE', 'tRue',
  'false', 'False', 'FALSE', 'yes', 'Yes', 'no', 'No', 'on', 'On', 'off', 'OFF', 'y', 'n', 'Y', 'N', '2026-01-01', '2026-01-01T10:00:00Z',
  '2026-01-01 10:00:00', '12:30', '1:20:30', '190:20:30', '10.0.0.1', '10.0.0.0/24', '98:3d:ae:00:00:01', '::1', 'fe80::1', 'a b', 'a  b',
  'a#b', 'a:b', 'http://x:80/p?q=1', '-', '--', '-a', '.', '+', '-.', '.-', '=', '<', '>a', 'a,b', 'a\'b', 'a"b', 'é', 'ünïcödé', '漢字',
  '🚗⚡', 'e\u0301', '24h', '1h30m', '0755', '1,000', '$x', '%x', '@x', '`x`', '!x', '&x', '*x', '|x', 'a|b', 'a>b', 'a?b', '?a', ':a', 'a:',
];
/** Double-quoted contents with escapes, and single-quoted contents. */
const trickyDouble = [
  '', ' ', '\\x41', '\\u00e9', '\\U0001F600', '\\U0010FFFF', '\\U00110000', '\\U10001F60', '\\UFFFFFFFF', '\\\\U10001F60', '\\ud83d\\ude00', '\\ud800', '\\N', '\\_', '\\L', '\\P', '\\0', '\\a', '\\b', '\\e', '\\f',
  '\\v', '\\ ', '\\/', '\\t', '\\\t', '\\"', '\\\\', '\\q', '\\x4', '\\u12', 'a\\\nb', '# ', ': ', 'a: b', '- a', '[a]', '{a: b}', "it's",
  'a  b', ' lead', 'trail ', 'é', '🚗', '\\r\\n', 'null', '1', 'true', '0x1F',
];
const trickySingle = ['', ' ', "it''s", "''", '# ', ': ', '\\n', '"', 'null', '1', 'true', '~', 'a  b', ' lead', 'trail ', '漢字', '🚗'];

const quoteSingle = (s: string) => `'${s.replace(/'/g, "''")}'`;

describe('YAML fast path: every tricky scalar in every position', () => {
  it('plain, double- and single-quoted scalars as values, keys and flow items', () => {
    const scalars = [...trickyPlain, ...trickyDouble.map((s) => `"${s}"`), ...trickySingle.map((s) => `'${s}'`), ...trickyPlain.map(quoteSingle)];
    for (const s of scalars) {
      for (const text of [
        `k: ${s}\n`,
        `k: ${s}`,
        `k:   ${s}   # c\n`,
        `${s}: v\n`,
        `${s}:\n  - 1\n`,
        `- ${s}\n- x\n`,
        `k: [${s}, 1]\n`,
        `k: [${s}]\n`,
        `k: {${s}: ${s}}\n`,
        `k: { a: ${s} }\n`,
        `${s}\n`,
        `a:\n  b: ${s}\n  c: 1\n`,
        `a:\n- ${s}\n`,
        `k: x\n${s}: y\n`,
      ])
        check(text);
    }
  });

  it('structure edge cases: complex keys, duplicates, null keys, empty documents, markers, tabs, CR, BOM, long keys', () => {
    const long = 'k'.repeat(1030);
    const cases = [
      '', ' ', '\n', '# only a comment\n', '---\n', '...\n', '---\na: 1\n', 'a: 1\n...\n', 'a: 1\n---\nb: 2\n', '%YAML 1.2\n---\na: 1\n',
      '[a, b]: c\n', '{a: b}: c\n', '? a\n: b\n', '? [a]\n: b\n', '{[a]: b}\n', '[[a]: b]\n', '[a: b]\n', '[a: b, c]\n', '{a: [b]}\n',
      'k: {[a]  : b}\n', '[a]: b\n', '- [a]: b\n', 'a: 1\na: 2\n', 'a: 1\n"a": 2\n', "a: 1\n'a': 2\n", '1: a\n"1": b\n', '1: a\n0x1: b\n',
      '.nan: a\n.NaN: b\n', 'null: a\n~: b\n', '~: a\n', 'null: a\n', 'Null: a\n', ': a\n', '{: a}\n', '"": a\n', '"null": a\n', 'k: {~: a}\n',
      'true: a\nTrue: b\n', '0: a\n-0: b\n', '__proto__: a\n', '__proto__: {x: 1}\n', 'constructor: a\n', 'toString: a\n',
      '\ta: 1\n', 'a:\t1\n', 'a: 1\t\n', 'a:\n\t- 1\n', 'a: 1\r\nb: 2\r\n', 'a: 1\rb: 2\r', '\ufeffa: 1\n', 'a: \ufeff1\n', 'a: "\t"\n',
      `${long}: 1\n`, `k: ${long}\n`, `"${long}": 1\n`, `k: [${long}]\n`, `${'k'.repeat(995)}: 1\n`,
      'a: b: c\n', 'a: - b\n', 'a: [b\n', 'a: {b\n', 'a: "b\n', "a: 'b\n", 'a: "b"c\n', "a: 'b'c\n", 'a: "b"#c\n', 'a: { b: 1 }#c\n', 'a: [1, 2]#c\n', '- [1]#c\n', 'a: {b: [1]#c}\n', 'a: [1]x\n', 'a: b #c\n', 'a: b#c\n',
      '"a":b\n', '{"a":b}\n', '["a":b]\n', '{a:b}\n', '[a:b]\n', '{a: b,}\n', '[a,]\n', '[a,,b]\n', '{a: b, , c: d}\n', '[,a]\n',
      'a:\n  - b\n - c\n', 'a:\n  b: 1\n c: 2\n', 'a:\n    b: 1\n  c: 2\n', 'a:\n  b\n  c\n', 'a: b\n  c\n', 'a: b\n c: d\n',
      'a:\n  - b\n  -\n  - c\n', '- - a\n  - b\n- c\n', '- a: 1\n  b: 2\n- c\n', '-\n  a: 1\n', 'a:\n- b\n- c\nd: e\n',
      'a: [\n  b,\n  c\n]\n', 'a: [\nb]\n', 'a: {\n  b: c\n}\n', 'a: {\nb: c}\n', 'k: [a,\n  b]: c\n', 'k: {a\n  : b}\n', 'k: [a\n  : b]\n',
      'a: "multi\n  line"\n', "a: 'multi\n\n  line'\n", 'a: multi\n  line\n', 'a: multi\n\n  line\n', 'a: plain\n  # not a comment?\n',
      'a: "x\\\n  y"\n', 'a: "  x  \n  y  "\n', '- a\n-  b\n-\tc\n', 'a:    \n', 'a:\nb:\n', '- \n- ~\n', 'a: # c\n  b\n',
      'a: @x\n', 'a: `x`\n', 'a: x @y\n', 'a: %x\n', '- -1\n- --1\n', '- - - a\n', '[[[[[[[[[[a]]]]]]]]]]\n',
      `${'['.repeat(120)}${']'.repeat(120)}\n`, `${Array.from({ length: 110 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')} 1\n`,
      'a: \u0085b\n', 'a: b\u2028c\n', 'a: "\u0001"\n', 'a: \u0001\n', 'a: \u007f\n', 'a: \ufffe\n', 'a: \ud800\n', 'a: "\ud800"\n',
    ];
    for (const text of cases) check(text);
  });
});

// A grammar of the spec's shapes: block and flow maps and sequences of tricky scalars.
type Tree = { kind: 'scalar'; text: string } | { kind: 'map'; flow: boolean; entries: [string, Tree][] } | { kind: 'seq'; flow: boolean; items: Tree[] };

const plainWord = fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9 ._:/-]{0,12}$/).filter((s) => !/[ :]$|: | #/.test(s));
const unicodeText = fc.string({ unit: 'grapheme', maxLength: 8 });
const scalarText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...trickyPlain) },
  { weight: 3, arbitrary: plainWord },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 2, arbitrary: fc.constantFrom(...trickyDouble).map((s) => `"${s}"`) },
  { weight: 1, arbitrary: fc.constantFrom(...trickySingle).map((s) => `'${s}'`) },
  { weight: 2, arbitrary: unicodeText.map((s) => JSON.stringify(s)) },
  { weight: 1, arbitrary: unicodeText.map(quoteSingle) },
  { weight: 1, arbitrary: fc.constant('') },
);
const keyText = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('a', 'b', 'id', 'name', 'ports', '"a"', "'b'", '1', '0x1', 'true', '~', 'null', '""', 'k k') },
  { weight: 2, arbitrary: scalarText },
  { weight: 1, arbitrary: fc.constantFrom('k'.repeat(1030), 'k'.repeat(990), '[a]', '{a: 1}', '? a') },
);

const treeOf = (scalars: fc.Arbitrary<string>, keys: fc.Arbitrary<string>, uniqueKeys: boolean) =>
  fc.letrec<{ tree: Tree; scalar: Tree; map: Tree; seq: Tree }>((tie) => ({
    tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, tie('scalar'), tie('map'), tie('seq')),
    scalar: scalars.map((text) => ({ kind: 'scalar' as const, text })),
    map: fc
      .record({
        flow: fc.boolean(),
        entries: uniqueKeys
          ? fc.uniqueArray(fc.tuple(keys, tie('tree')), { maxLength: 5, selector: ([k]) => k })
          : fc.array(fc.tuple(keys, tie('tree')), { maxLength: 5 }),
      })
      .map((m) => ({ kind: 'map' as const, ...m })),
    seq: fc.record({ flow: fc.boolean(), items: fc.array(tie('tree'), { maxLength: 5 }) }).map((s) => ({ kind: 'seq' as const, ...s })),
  }));
const tree = treeOf(scalarText, keyText, false).tree;
// The same grammar in the shape of a spec (a block mapping at the top, distinct keys) without the
// characters that send a text to `yaml` anyway, so that most of these texts take the fast path
// and the comparison has something to bite on.
const slowChars = /[&*!%|>?@`\t\r\ufeff\u2028]|<<|^(?:---|\.\.\.)/;
const fastScalar = scalarText.filter((s) => s !== '' && !slowChars.test(s));
const fastKey = fc.oneof(
  fc.constantFrom('a', 'b', 'id', 'name', 'ports', '"c"', "'d'", '1', '0x1F', '0o17', '1e3', '.inf', 'true', 'k k', '-1', '0'),
  fastScalar.filter((s) => !/^(?:~|null|Null|NULL|"null"|'null')$/.test(s) && s.length < 900),
);
const fastTrees = treeOf(fastScalar, fastKey, true);
const fastMap = fastTrees.map.map((t) => (t.kind === 'map' ? { ...t, flow: false } : t));
interface Style {
  indent: number;
  comments: boolean;
  compactSeqInMap: boolean;
}

function renderFlow(t: Tree): string {
  if (t.kind === 'scalar') return t.text;
  if (t.kind === 'seq') return `[${t.items.map(renderFlow).join(', ')}]`;
  return `{${t.entries.map(([k, v]) => `${k}: ${renderFlow(v)}`).join(', ')}}`;
}

/** Lines of a block node at `indent` spaces. */
function renderBlock(t: Tree, indent: number, style: Style): string[] {
  const sp = ' '.repeat(indent);
  const comment = style.comments ? ' # note: x' : '';
  if (t.kind === 'scalar' || t.flow || (t.kind === 'map' ? t.entries.length === 0 : t.items.length === 0)) return [sp + renderFlow(t) + comment];
  if (t.kind === 'map') {
    const lines: string[] = [];
    for (const [k, v] of t.entries) {
      if (v.kind === 'scalar' || v.flow) lines.push(`${sp}${k}:${v.kind === 'scalar' && v.text === '' ? '' : ' ' + renderFlow(v)}${comment}`);
      else if (v.kind === 'map' && v.entries.length === 0) lines.push(`${sp}${k}: {}`);
      else if (v.kind === 'seq' && v.items.length === 0) lines.push(`${sp}${k}: []`);
      else {
        lines.push(`${sp}${k}:${comment}`);
        const childIndent = v.kind === 'seq' && style.compactSeqInMap ? indent : indent + style.indent;
        lines.push(...renderBlock(v, childIndent, style));
      }
    }
    return lines;
  }
  const lines: string[] = [];
  for (const item of t.items) {
    if (item.kind === 'scalar' || item.flow) lines.push(`${sp}- ${renderFlow(item)}`);
    else {
      // Compact form: the item's first line goes after the dash.
      const inner = renderBlock(item, indent + 2, style);
      lines.push(`${sp}- ${inner[0].slice(indent + 2)}`, ...inner.slice(1));
    }
  }
  return lines;
}

const styleArb = fc.record({ indent: fc.constantFrom(1, 2, 4), comments: fc.boolean(), compactSeqInMap: fc.boolean() });
const docArb = fc.tuple(tree, styleArb).map(([t, style]) => renderBlock(t, 0, style).join('\n') + '\n');
const fastDocArb = fc.tuple(fastMap, styleArb).map(([t, style]) => renderBlock(t, 0, style).join('\n') + '\n');

// Mutations: the kind of damage a hand-edited file gets, and the characters the fast path must notice.
const fragments = [
  ' ', '  ', '\n', '\r\n', '\t', '\ufeff', '#', ' # c', ': ', ':', '- ', '-', ',', '[', ']', '{', '}', '"', "'", '\\', '&a ', '*a', '!!str ', '? ',
  '<<: ', '---\n', '...\n', '|\n', '>\n', '~', 'null', '0o17', '0x1F', '1e3', '.inf', 'é', '🚗', '\u2028', '\u0085', 'k'.repeat(1030),
];
type Mutation = { at: number; kind: 'insert' | 'delete' | 'dupLine' | 'indent' | 'dedent'; frag: string; len: number };
const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom('insert', 'insert', 'delete', 'dupLine', 'indent', 'dedent'),
  frag: fc.oneof(fc.constantFrom(...fragments), scalarText),
  len: fc.integer({ min: 1, max: 6 }),
});
function mutate(text: string, ms: Mutation[]): string {
  for (const m of ms) {
    const at = text.length ? m.at % (text.length + 1) : 0;
    const lineStart = text.lastIndexOf('\n', at - 1) + 1;
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd === -1) lineEnd = text.length;
    if (m.kind === 'insert') text = text.slice(0, at) + m.frag + text.slice(at);
    else if (m.kind === 'delete') text = text.slice(0, at) + text.slice(at + m.len);
    else if (m.kind === 'dupLine') text = text.slice(0, lineEnd) + '\n' + text.slice(lineStart, lineEnd) + text.slice(lineEnd);
    else if (m.kind === 'indent') text = text.slice(0, lineStart) + ' '.repeat(m.len) + text.slice(lineStart);
    else text = text.slice(0, lineStart) + text.slice(lineStart).replace(/^ {1,2}/, '');
  }
  return text;
}

const corpus: string[] = [];
for (const dir of [join(root, 'examples'), join(root, 'profiles')]) {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort()) corpus.push(readFileSync(join(dir, f), 'utf8'));
}
// Sites shaped like the benchmark's (flow maps with quoted strings, every few without Wi-Fi).
for (let i = 0; i < 40; i++) corpus.push(siteSpec(i * 97));

describe('YAML fast path: generated and mutated texts', () => {
  it('the corpus as it is', () => {
    for (const text of corpus) check(text);
  });
  for (const { label, params } of propertyRuns(600)) {
    it(`grammar of block and flow maps and sequences (${label})`, () => {
      fc.assert(fc.property(docArb, (text) => check(text)), params);
    });
    it(`grammar without slow-path characters (${label})`, () => {
      fc.assert(fc.property(fastDocArb, (text) => check(text)), params);
    });
    it(`grammar without slow-path characters, with random mutations (${label})`, () => {
      fc.assert(fc.property(fastDocArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (text, ms) => check(mutate(text, ms))), params);
    });
    it(`grammar texts with random mutations (${label})`, () => {
      fc.assert(fc.property(docArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (text, ms) => check(mutate(text, ms))), params);
    });
    it(`examples, profiles and bench sites with random mutations (${label})`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...corpus), fc.array(mutationArb, { minLength: 1, maxLength: 4 }), (text, ms) => check(mutate(text, ms))),
        { ...params, numRuns: 400 },
      );
    });
  }
});
