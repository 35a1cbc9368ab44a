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
          const value = valueAt(doc.data, path);
          const allowed: unknown[] = (e.params as Json).allowedValues;
          // routeros: 7.15 is version 7; a string '7' is the number 7.
          const asNumber = typeof value === 'number' ? Math.trunc(value) : typeof value === 'string' && /^\d+(\.\d+)*$/.test(value.trim()) ? Number(value.trim().split('.')[0]) : undefined;
          const numeric = asNumber !== undefined && allowed.includes(asNumber) ? String(asNumber) : undefined;
          const guess = numeric ?? closest(String(value), allowed.map(String));
          if (numeric && typeof value === 'number') message += ` (the major version only): did you mean ${numeric}?`;
          else if (numeric) message += `: did you mean ${numeric} (a number, without quotes)?`;
          else if (guess) message += `: did you mean '${guess}'?`;
        }
        break;
      case 'const':
        message = `${where} must be ${JSON.stringify((e.params as Json).allowedValue)}`;
        break;
      case 'pattern': {
        code = 'invalid-format';
        const value = valueAt(doc.data, path);
        const explained = typeof value === 'string' ? explainPattern(value, (e.params as Json).pattern) : undefined;
        message = `${where} ${describe(value)} is not valid${explained?.why ? `: ${explained.why}` : ''}. ${sub?.description ?? `It must match ${(e.params as Json).pattern}`}`;
        if (explained?.fix) message += ` Did you mean '${explained.fix}'?`;
        break;
      }
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

/**
 * Why a string fails a pattern, in words (too long, a space at the end, which character is not
 * allowed and where), and a corrected value when one is obvious. Works on the schema's simple
 * patterns `^[first][rest]{m,n}$` and `^[class]{n}$`; for others it only checks surrounding spaces
 * and case.
 */
export function explainPattern(value: string, pattern: string): { why?: string; fix?: string } {
  const re = new RegExp(pattern);
  const reasons: string[] = [];
  if (value !== value.trim()) reasons.push(/^\s/.test(value) ? 'it starts with a space' : 'it ends with a space');
  const simple = /^\^\[([^\]]+)\](?:\[([^\]]+)\]\{(\d+),(\d+)\}|\{(\d+)\}|\[([^\]]+)\]\*)\$$/.exec(pattern);
  let fix: string | undefined;
  if (simple) {
    const first = new RegExp(`^[${simple[1]}]$`);
    const rest = new RegExp(`^[${simple[2] ?? simple[6] ?? simple[1]}]$`);
    const max = simple[4] !== undefined ? Number(simple[4]) + 1 : simple[5] !== undefined ? Number(simple[5]) : Infinity;
    const min = simple[3] !== undefined ? Number(simple[3]) + 1 : simple[5] !== undefined ? Number(simple[5]) : 1;
    const text = value.trim();
    const chars = [...text];
    if (chars.length > max) reasons.push(`it has ${chars.length} characters, over the limit of ${max}: shorten it`);
    else if (chars.length < min) reasons.push(`it has ${chars.length} characters; it needs ${min === max ? min : `at least ${min}`}`);
    const bad = chars.findIndex((c, i) => !(i === 0 ? first : rest).test(c));
    if (bad >= 0) {
      const c = chars[bad];
      const name = c === ' ' ? 'a space' : /\s/.test(c) ? 'a white-space character' : `'${c}'`;
      const cls = bad === 0 ? first : rest;
      const hint = cls.test(c.toLowerCase()) ? ' (lower case only)' : cls.test(c.toUpperCase()) ? ' (upper case only)' : '';
      reasons.push(`${name} at character ${bad + 1 + (value.length - value.trimStart().length)} is not allowed${bad === 0 && !hint ? ' first' : ''}${hint}`);
    }
    // A corrected value: trimmed, in the one case the pattern allows, other characters as '-', cut to the limit.
    const lowerOnly = !/A-Z/.test(simple[1] + (simple[2] ?? simple[6] ?? ''));
    const upperOnly = !/a-z/.test(simple[1] + (simple[2] ?? simple[6] ?? ''));
    let candidate = lowerOnly ? text.toLowerCase() : upperOnly ? text.toUpperCase() : text;
    const dash = rest.test('-') ? '-' : rest.test('_') ? '_' : '';
    candidate = [...candidate].map((c, i) => ((i === 0 ? first : rest).test(c) ? c : i === 0 ? '' : dash)).join('');
    if (dash) candidate = candidate.replace(new RegExp(`\\${dash}{2,}`, 'g'), dash).replace(new RegExp(`\\${dash}+$`), '');
    if (candidate !== value && re.test(candidate)) fix = candidate;
  } else {
    for (const c of [value.trim(), value.trim().toLowerCase(), value.trim().toUpperCase(), macCandidate(value)]) {
      if (c !== undefined && c !== value && re.test(c)) {
        fix = c;
        break;
      }
    }
    if (!reasons.length && value.trim() === value && fix?.toLowerCase() === value.toLowerCase()) reasons.push(fix === value.toUpperCase() ? 'it must be upper case' : 'it must be lower case');
  }
  return { why: reasons.join('; ') || undefined, fix };
}

/** 983dae000001, 983d.ae00.0001 or 98 3d ae ... as aa:bb:cc:dd:ee:ff. */
function macCandidate(value: string): string | undefined {
  const hex = value.replace(/[\s.:-]/g, '');
  return /^[0-9A-Fa-f]{12}$/.test(hex) ? hex.toLowerCase().match(/../g)!.join(':') : undefined;
}
