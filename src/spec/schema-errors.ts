import type { ErrorObject } from 'ajv';
import type { Diagnostic } from './diagnostics.js';
import type { LoadedDocument } from './load.js';
import { closest } from '../util/suggest.js';

type Json = Record<string, any>;

/** Turns ajv errors into located diagnostics with a stable code and a message that says what would be right. */
export function schemaDiagnostics(errors: ErrorObject[], doc: LoadedDocument, schema: Json): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Set<string>();
  // oneOf (the passphrase) reports each branch's failure; keep one clear message per location instead.
  const oneOfPaths = new Set(errors.filter((e) => e.keyword === 'oneOf').map((e) => e.instancePath));
  for (const e of errors) {
    const path = pointerToPath(e.instancePath);
    if (e.keyword !== 'oneOf' && [...oneOfPaths].some((p) => e.instancePath.startsWith(p))) continue;
    const sub = subschema(schema, e.schemaPath);
    let code = 'invalid-value';
    let message = e.message ?? 'is invalid';
    let at = path;
    let key = false;
    const where = path.length ? path.join('.') : 'the document';
    switch (e.keyword) {
      case 'additionalProperties': {
        const extra = String((e.params as Json).additionalProperty);
        const allowed = Object.keys(sub?.properties ?? {});
        const guess = closest(extra, allowed);
        code = 'unknown-key';
        at = [...path, extra];
        key = true;
        message = `unknown key '${extra}' in ${where}${guess ? `: did you mean '${guess}'?` : ''} Allowed: ${allowed.join(', ')}`;
        break;
      }
      case 'required':
        code = 'missing-key';
        message = `${where} needs '${(e.params as Json).missingProperty}'`;
        break;
      case 'type':
        code = 'invalid-type';
        message = `${where} must be ${article((e.params as Json).type)}, got ${describe(valueAt(doc.data, path))}`;
        break;
      case 'enum':
        code = 'invalid-value';
        message = `${where} must be one of ${(e.params as Json).allowedValues.map((v: unknown) => JSON.stringify(v)).join(', ')}`;
        {
          const guess = closest(String(valueAt(doc.data, path)), (e.params as Json).allowedValues.map(String));
          if (guess) message += `: did you mean '${guess}'?`;
        }
        break;
      case 'const':
        message = `${where} must be ${JSON.stringify((e.params as Json).allowedValue)}`;
        break;
      case 'pattern':
        code = 'invalid-format';
        message = `${where} ${describe(valueAt(doc.data, path))} is not valid: ${sub?.description ?? `must match ${(e.params as Json).pattern}`}`;
        break;
      case 'minimum':
      case 'maximum':
      case 'minItems':
      case 'maxItems':
      case 'minLength':
      case 'maxLength':
        code = 'out-of-range';
        message = `${where} ${e.message}`;
        break;
      case 'oneOf':
        code = 'invalid-type';
        message = `${where} must be a string or { env: VARIABLE_NAME }`;
        break;
    }
    const id = `${code}|${at.join('.')}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const pos = doc.locate(at, { key });
    out.push({ severity: 'error', code, message, file: doc.file, line: pos.line, col: pos.col, path: at.join('.') });
  }
  return out;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function subschema(schema: Json, schemaPath: string): Json | undefined {
  const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
  let node: any = schema;
  for (const p of parts) node = node?.[decodeURIComponent(p)];
  return node;
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let v: any = data;
  for (const p of path) v = v?.[p];
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? v.slice(0, 57) + '...' : v);
  return String(v);
}

function article(type: string): string {
  const words: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'a whole number', number: 'a number', boolean: 'true or false' };
  return words[type] ?? type;
}
