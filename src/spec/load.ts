import { load as jsYamlLoad, FAILSAFE_SCHEMA, Type } from 'js-yaml';
import type * as YamlLib from 'yaml';
import type { Document, Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';
import { lazyRequire } from '../util/lazy-require.js';

let yamlLib: typeof YamlLib | undefined;
/**
 * The `yaml` library, loaded on first use, so that a run whose specs all take the fast path never
 * initialises it. In the CLI bundle esbuild turns `require('yaml')` into a lazy call of the bundled
 * module; the unbundled ESM build has no `require` and asks Node for the same (CommonJS) module.
 */
function yaml(): typeof YamlLib {
  return (yamlLib ??= typeof require === 'function' ? require('yaml') : lazyRequire('yaml'));
}

/** A parsed YAML document that can answer "where is this path?" for error messages. */
export interface LoadedDocument {
  file: string;
  data: unknown;
  /** Position of the value at `path` (or of its key with `key: true`); falls back to the nearest parent. */
  locate(path: readonly (string | number)[], opts?: { key?: boolean }): { line: number; col: number };
  errors: Diagnostic[];
}

/**
 * Loads a spec or profile. Two parsers, one result:
 * - the `yaml` library is the reference: its data, its error messages and its positions (locate);
 * - js-yaml is ~12x faster, so a document in a conservative subset of YAML (fastPathData) is read
 *   with it first, with a schema that resolves plain scalars exactly as `yaml`'s YAML 1.2 core
 *   schema does. `yaml` then runs only when it is needed: js-yaml failed, the text is outside the
 *   subset, or a position is asked for (locate parses once and keeps the document).
 * test/yaml-fastpath.test.ts checks that both paths give the same data and errors.
 */
export function loadYaml(text: string, file: string): LoadedDocument {
  const data = fastPathData(text);
  if (data === undefined) return loadYamlWithYaml(text, file);
  let located: LoadedDocument['locate'] | undefined;
  return {
    file,
    data,
    errors: [],
    locate: (path, opts) => (located ??= loadYamlWithYaml(text, file).locate)(path, opts),
  };
}

/** The reference loader: the `yaml` library with positions. Exported for the differential test. */
export function loadYamlWithYaml(text: string, file: string): LoadedDocument {
  const { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar } = yaml();
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const errors: Diagnostic[] = doc.errors.map((e) => {
    const pos = lineCounter.linePos(e.pos[0]);
    return {
      severity: 'error',
      code: 'yaml-syntax',
      message: e.message.split('\n')[0],
      file,
      line: pos.line,
      col: pos.col,
      path: '',
    };
  });
  let data: unknown;
  if (!errors.length) {
    try {
      data = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      // toJS throws for an alias whose anchor is not defined before it, and for an alias bomb.
      errors.push(aliasError(e, doc, lineCounter, file));
    }
  }

  function locate(path: readonly (string | number)[], opts: { key?: boolean } = {}) {
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
    for (let i = 0; i < path.length; i++) {
      const part = path[i];
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) break;
        if (last && opts.key) {
          offset = (pair.key as Node).range?.[0] ?? offset;
          node = undefined;
          break;
        }
        node = pair.value;
        offset = (pair.value as Node | null)?.range?.[0] ?? (pair.key as Node).range?.[0] ?? offset;
      } else if (isSeq(node) && /^\d+$/.test(String(part))) {
        // A target diagnostic's path is strings: '0' is an index too.
        const item = node.items[Number(part)];
        if (!item) break;
        node = item;
        offset = (item as Node).range?.[0] ?? offset;
      } else break;
    }
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, col: pos.col };
  }

  return { file, data, locate, errors };
}

/** A located yaml-syntax error for an alias toJS could not expand (a user mistake, never a stack trace). */
function aliasError(e: unknown, doc: Document, lineCounter: InstanceType<typeof YamlLib.LineCounter>, file: string): Diagnostic {
  const { visit, isAlias } = yaml();
  const unresolved = e instanceof Error && /Unresolved alias/.test(e.message);
  let offset = 0;
  let name = '';
  visit(doc, {
    Alias(_key, node) {
      if (!isAlias(node) || (unresolved && node.resolve(doc) !== undefined)) return undefined;
      offset = node.range?.[0] ?? 0;
      name = node.source;
      return visit.BREAK;
    },
  });
  const pos = lineCounter.linePos(offset);
  const message = unresolved
    ? `alias *${name} has no anchor: define &${name} on a value before this point, or write the value out`
    : `aliases expand to too many values (more than 100): write the values out instead of repeating *${name}`;
  return { severity: 'error', code: 'yaml-syntax', message, file, line: pos.line, col: pos.col, path: '' };
}

// The plain-scalar types of `yaml`'s YAML 1.2 core schema (node_modules/yaml/dist/schema/core and
// common/null): same regexes, tried in the same order, same conversions. js-yaml's own CORE_SCHEMA
// differs (it reads 0b11, 1_000, +.5 and .NAN differently), so it is not used. js-yaml keeps one
// type per tag, so the three int and three float forms share a type each.
const nullTest = /^(?:~|[Nn]ull|NULL)?$/;
const boolTest = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const intOctTest = /^0o[0-7]+$/;
const intTest = /^[-+]?[0-9]+$/;
const intHexTest = /^0x[0-9a-fA-F]+$/;
const floatNaNTest = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const floatExpTest = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const floatTest = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
/** Every int and float form starts with a digit, +, - or '.': a cheap first test for the many plain strings. */
const mayBeNumber = (s: string) => {
  const c = s.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
};
const scalar = (tag: string, resolve: (s: string) => boolean, construct: (s: string) => unknown) =>
  new Type(`tag:yaml.org,2002:${tag}`, { kind: 'scalar', resolve: (s: string | null) => s !== null && resolve(s), construct });
const yamlCoreSchema = FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', (s) => s.length <= 4 && nullTest.test(s), () => null),
    scalar('bool', (s) => (s.length === 4 || s.length === 5) && boolTest.test(s), (s) => s[0] === 't' || s[0] === 'T'),
    scalar(
      'int',
      (s) => mayBeNumber(s) && (intOctTest.test(s) || intTest.test(s) || intHexTest.test(s)),
      (s) => (intOctTest.test(s) ? parseInt(s.substring(2), 8) : intTest.test(s) ? parseInt(s, 10) : parseInt(s.substring(2), 16)),
    ),
    scalar(
      'float',
      (s) => mayBeNumber(s) && (floatNaNTest.test(s) || floatExpTest.test(s) || floatTest.test(s)),
      (s) =>
        floatNaNTest.test(s)
          ? s.slice(-3).toLowerCase() === 'nan'
            ? NaN
            : s[0] === '-'
              ? Number.NEGATIVE_INFINITY
              : Number.POSITIVE_INFINITY
          : parseFloat(s),
    ),
  ],
});

/**
 * Text the fast path leaves to `yaml`, even when the character only sits inside a quoted string
 * (that is only slower, never wrong): anchors, aliases, tags, directives (& * ! %), block scalars
 * (| >), explicit keys (?), reserved indicators (@ `), merge keys (<<), document markers (a line
 * starting with --- or ...), a flow collection used as a key (] or } followed by :), tabs, CR,
 * BOM, control characters and Unicode line separators. Where the two parsers treat such text
 * differently, `yaml` decides. So does a `\U` escape that may lie beyond U+10FFFF: `yaml`
 * rejects it, js-yaml reads garbage (anything but \U000xxxxx and \U0010xxxx goes slow).
 */
const slowText = /[&*!%|>?@`\t\r\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]|<<|^(?:---|\.\.\.)|[\]}][ \t]*:|\\U(?!000|0010)/m;
/** `yaml` rejects an implicit key longer than 1024 characters; keep lines well below that. */
const maxLineLength = 1000;

/** The data js-yaml reads when the text is in the fast subset and js-yaml accepts it; else undefined. Exported for the differential test. */
export function fastPathData(text: string): unknown {
  if (slowText.test(text) || !oneNodePerLine(text)) return undefined;
  let data: unknown;
  try {
    data = jsYamlLoad(text, { schema: yamlCoreSchema });
  } catch {
    return undefined;
  }
  // An empty document is undefined here and null in `yaml`; a null key (`~:`, `null:`) is "null"
  // here and "" in `yaml`. Both are rare: let `yaml` read them.
  if (data === undefined || hasNullKey(data)) return undefined;
  return data;
}

const LF = 0x0a, SP = 0x20, HASH = 0x23, DQ = 0x22, SQ = 0x27, BACKSLASH = 0x5c, DASH = 0x2d, COLON = 0x3a, COMMA = 0x2c;
const LBRACKET = 0x5b, RBRACKET = 0x5d, LBRACE = 0x7b, RBRACE = 0x7d;
const SEQ = 0, MAP_KEY = 1, MAP_VALUE = 2;
/** The state of each open flow collection on the current line (oneNodePerLine). */
const flow: number[] = [];

/**
 * The shape of YAML the fast path takes: every line is blank, a comment, or
 * `[- ]* key: value`, `[- ]* key:` or `- value` (not an empty `-`), where a value is a plain scalar, a quoted
 * scalar or a flow collection that ends on the same line. So nothing spans lines except block
 * structure (the two parsers differ on multi-line scalars and flow collections and on their
 * indentation rules), there is one `: ` per line (no `a: b: c`), a quoted scalar is followed by
 * a space, `,`, `]`, `}` or `: ` (`"b"#c` is an error in `yaml`), so is the end of a flow
 * collection (`[1]#c` too), no key is a flow collection
 * (js-yaml turns `[a]` into the key "a"), no flow entry is empty, and a flow sequence holds no
 * `a: b` pairs. A line longer than 1000 characters is left to `yaml` as well (its limit
 * on implicit keys is 1024).
 */
function oneNodePerLine(text: string): boolean {
  const n = text.length;
  let i = 0;
  while (i < n) {
    const lineStart = i;
    while (text.charCodeAt(i) === SP) i++;
    let c = text.charCodeAt(i);
    let dashes = 0;
    while (c === DASH && (i + 1 >= n || text.charCodeAt(i + 1) === SP || text.charCodeAt(i + 1) === LF)) {
      dashes++;
      i++;
      while (text.charCodeAt(i) === SP) i++;
      c = text.charCodeAt(i);
    }
    let depth = 0; // flow collections open on this line; flow[d] is the state of level d
    let atStart = true; // where a scalar or collection may begin
    let indicators = 0;
    let flowBeforeIndicator = false;
    let content = false;
    for (; i < n; i++) {
      c = text.charCodeAt(i);
      if (c === LF) break;
      if (c === SP) continue;
      if (c === HASH && (i === lineStart || text.charCodeAt(i - 1) === SP)) {
        while (i < n && text.charCodeAt(i) !== LF) i++;
        break;
      }
      content = true;
      if (atStart && (c === DQ || c === SQ)) {
        for (i++; ; i++) {
          const q = text.charCodeAt(i);
          if (i >= n || q === LF) return false;
          if (c === DQ && q === BACKSLASH) {
            i++;
            if (i >= n || text.charCodeAt(i) === LF) return false;
          } else if (q === c) {
            if (c === SQ && text.charCodeAt(i + 1) === SQ) i++;
            else break;
          }
        }
        const next = text.charCodeAt(i + 1);
        const afterColon = text.charCodeAt(i + 2);
        if (!(i + 1 >= n || next === SP || next === LF || next === COMMA || next === RBRACKET || next === RBRACE || (next === COLON && (afterColon === SP || afterColon === LF)))) return false;
        atStart = false;
      } else if (c === LBRACKET || c === LBRACE) {
        if (!atStart) {
          if (depth > 0) return false;
          atStart = false; // part of a plain scalar: a[b
          continue;
        }
        if (depth === 0) flowBeforeIndicator = true;
        else if (flow[depth - 1] === MAP_KEY) return false; // a collection as a flow-map key
        flow[depth++] = c === LBRACE ? MAP_KEY : SEQ;
      } else if (c === RBRACKET || c === RBRACE) {
        if (depth === 0) {
          if (atStart) return false;
        } else {
          if ((flow[depth - 1] === SEQ) !== (c === RBRACKET)) return false;
          depth--;
          // As after a quoted scalar: `[1]#c` is an error in `yaml` (a comment needs a space before it)
          // and a comment for js-yaml.
          const next = text.charCodeAt(i + 1);
          if (!(i + 1 >= n || next === SP || next === LF || next === COMMA || next === RBRACKET || next === RBRACE)) return false;
        }
        atStart = false;
      } else if (c === COMMA && depth > 0) {
        if (atStart) return false; // an empty flow entry
        if (flow[depth - 1] === MAP_VALUE) flow[depth - 1] = MAP_KEY;
        atStart = true;
      } else if (c === COLON) {
        const next = text.charCodeAt(i + 1);
        if (i + 1 >= n || next === SP || next === LF) {
          if (atStart) return false; // an empty key
          if (depth === 0) {
            if (flowBeforeIndicator) return false;
            indicators++;
          } else if (flow[depth - 1] === MAP_KEY) flow[depth - 1] = MAP_VALUE;
          else return false; // a: b: c in a flow map, or a single-pair map in a flow sequence
          atStart = true;
        } else if (depth > 0 && (next === COMMA || next === RBRACKET || next === RBRACE)) return false;
        else atStart = false;
      } else atStart = false;
    }
    if (i - lineStart > maxLineLength || depth !== 0 || indicators > 1) return false;
    // No content: a blank or comment line, or an empty `- ` item, which js-yaml can put in the wrong sequence.
    if (content ? indicators === 0 && dashes === 0 : dashes > 0) return false;
    i++;
  }
  return true;
}

function hasNullKey(value: unknown): boolean {
  if (Array.isArray(value)) {
    for (const item of value) if (hasNullKey(item)) return true;
  } else if (value !== null && typeof value === 'object') {
    for (const key in value) {
      if (key === 'null' || hasNullKey((value as Record<string, unknown>)[key])) return true;
    }
  }
  return false;
}
