import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, visit, isAlias } from 'yaml';
import type { Document, Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';

/** A parsed YAML document that can answer "where is this path?" for error messages. */
export interface LoadedDocument {
  file: string;
  data: unknown;
  /** Position of the value at `path` (or of its key with `key: true`); falls back to the nearest parent. */
  locate(path: readonly (string | number)[], opts?: { key?: boolean }): { line: number; col: number };
  errors: Diagnostic[];
}

/**
 * Loads a spec or profile with the `yaml` library (YAML 1.2 core schema, strict, unique keys): its
 * data, its error messages and the positions every diagnostic is located with.
 */
export function loadYaml(text: string, file: string): LoadedDocument {
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
function aliasError(e: unknown, doc: Document, lineCounter: LineCounter, file: string): Diagnostic {
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
