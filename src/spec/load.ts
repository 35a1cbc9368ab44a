import { LineCounter, parseDocument, isMap, isSeq, isPair, isScalar, type Document, type Node } from 'yaml';
import type { Diagnostic } from './diagnostics.js';

/** A parsed YAML document that can answer "where is this path?" for error messages. */
export interface LoadedDocument {
  file: string;
  data: unknown;
  /** Position of the value at `path` (or of its key with `key: true`); falls back to the nearest parent. */
  locate(path: readonly (string | number)[], opts?: { key?: boolean }): { line: number; col: number };
  errors: Diagnostic[];
}

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
  const data = errors.length ? undefined : doc.toJS({ maxAliasCount: 100 });

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
      } else if (isSeq(node) && typeof part === 'number') {
        const item = node.items[part];
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
