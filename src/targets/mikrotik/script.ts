/**
 * A small tokenizer/parser for the RouterOS script language, strict enough to check what chargewall
 * writes: statements end at `;` or a newline, `#` starts a comment line, strings are double-quoted with
 * RouterOS escapes, `[ ]` holds a command, `{ }` a block of statements, `( )` an expression, and
 * `name=value` has no spaces around `=`. It reports what would let text run as code: an unbalanced
 * string or bracket, a `$` (variable or `$[...]`/`$(...)` interpolation, also inside strings), a line
 * continuation, an unknown escape.
 */
export type Value =
  | { kind: 'word'; text: string }
  | { kind: 'string'; raw: string; value: string }
  | { kind: 'cmd'; cmd: Command }
  | { kind: 'block'; body: Command[] }
  | { kind: 'expr'; items: Value[] };

export type Item = { kind: 'positional'; value: Value } | { kind: 'named'; name: string; value: Value };

export interface Command {
  items: Item[];
  /** 1-based line where the command starts. */
  line: number;
}

export class ScriptSyntaxError extends Error {
  constructor(message: string, readonly line: number) {
    super(`line ${line}: ${message}`);
    this.name = 'ScriptSyntaxError';
  }
}

const WORD_STOP = new Set([' ', '\t', '\r', '\n', '"', '[', ']', '{', '}', '(', ')', ';', '=']);
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t', $: '$', '?': '?', _: ' ', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Parses a whole script into its top-level commands (comments dropped). */
export function parseScript(text: string): Command[] {
  const p = new Parser(text);
  const body = p.statements(null);
  return body;
}

/** The decoded value of a RouterOS string literal's inner text (between the quotes). */
export function unescapeString(inner: string, line = 0): string {
  // Most strings have no escapes: nothing to decode.
  if (!inner.includes('\\')) return plain(inner, line);
  const parts: Buffer[] = [];
  let plainFrom = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] !== '\\') continue;
    if (i > plainFrom) parts.push(Buffer.from(plain(inner.slice(plainFrom, i), line), 'utf8'));
    const n = inner[i + 1];
    if (n === undefined) throw new ScriptSyntaxError('string ends in a backslash', line);
    if (/[0-9A-F]/.test(n) && /[0-9A-F]/.test(inner[i + 2] ?? '')) {
      // \XX is one byte; several of them make up a UTF-8 character, so decode bytes, not characters.
      parts.push(Buffer.from([parseInt(inner.slice(i + 1, i + 3), 16)]));
      i += 2;
    } else if (n in SIMPLE_ESCAPES) {
      parts.push(Buffer.from(SIMPLE_ESCAPES[n], 'utf8'));
      i += 1;
    } else throw new ScriptSyntaxError(`unknown escape \\${n}`, line);
    plainFrom = i + 1;
  }
  if (plainFrom < inner.length) parts.push(Buffer.from(plain(inner.slice(plainFrom), line), 'utf8'));
  return Buffer.concat(parts).toString('utf8');
}

/** Unescaped string text: a bare `$` in it would interpolate a variable or command. */
function plain(text: string, line: number): string {
  if (text.includes('$')) throw new ScriptSyntaxError('"$" inside a string interpolates a variable or command', line);
  return text;
}

class Parser {
  i = 0;
  line = 1;
  constructor(readonly s: string) {}

  private peek(): string | undefined {
    return this.s[this.i];
  }
  private next(): string {
    const c = this.s[this.i++];
    if (c === '\n') this.line++;
    return c;
  }
  private fail(msg: string): never {
    throw new ScriptSyntaxError(msg, this.line);
  }

  /** Statements until `close` (`}`) or end of input. */
  statements(close: '}' | null): Command[] {
    const out: Command[] = [];
    for (;;) {
      this.skipBlanks(true);
      const c = this.peek();
      if (c === undefined) {
        if (close) this.fail(`missing "${close}"`);
        return out;
      }
      if (c === close) {
        this.next();
        return out;
      }
      if (c === ';' || c === '\n') {
        this.next();
        continue;
      }
      if (c === '#') {
        while (this.peek() !== undefined && this.peek() !== '\n') this.next();
        continue;
      }
      const cmd = this.command(close ? '}' : null);
      if (cmd.items.length) out.push(cmd);
    }
  }

  /** One command: items until `;`, newline, or the closing bracket (not consumed). */
  command(close: '}' | ']' | null): Command {
    const line = this.line;
    const items: Item[] = [];
    for (;;) {
      this.skipBlanks(false);
      const c = this.peek();
      if (c === undefined || c === ';' || c === '\n' || c === close) return { items, line };
      if (c === '#') this.fail('"#" after a command is read as an argument; put comments on their own line');
      if (c === ']' || c === '}' || c === ')') this.fail(`unbalanced "${c}"`);
      if (c === '=') this.fail('"=" without a name');
      const v = this.value();
      if (v.kind === 'word' && this.peek() === '=') {
        this.next();
        const after = this.peek();
        if (after === undefined || /\s/.test(after) || after === ';') this.fail(`no value after "${v.text}="`);
        items.push({ kind: 'named', name: v.text, value: this.value() });
      } else items.push({ kind: 'positional', value: v });
    }
  }

  value(): Value {
    const c = this.peek();
    if (c === '"') return this.string();
    if (c === '[') {
      this.next();
      this.skipBlanks(false);
      const cmd = this.command(']');
      if (this.peek() !== ']') this.fail('missing "]"');
      this.next();
      return { kind: 'cmd', cmd };
    }
    if (c === '{') {
      this.next();
      return { kind: 'block', body: this.statements('}') };
    }
    if (c === '(') {
      this.next();
      const items: Value[] = [];
      for (;;) {
        this.skipBlanks(false);
        const d = this.peek();
        if (d === undefined || d === '\n') this.fail('missing ")"');
        if (d === ')') {
          this.next();
          return { kind: 'expr', items };
        }
        if (d === '=') {
          this.next();
          items.push({ kind: 'word', text: '=' });
          continue;
        }
        items.push(this.value());
      }
    }
    // A word never holds a newline (WORD_STOP), so the line count needs no update while scanning.
    const start = this.i;
    while (this.i < this.s.length && !WORD_STOP.has(this.s[this.i])) this.i++;
    const text = this.s.slice(start, this.i);
    if (!text) this.fail(`unexpected "${c}"`);
    if (text.includes('$')) this.fail(`"$" in "${text}" reads a variable`);
    if (text.includes('\\')) this.fail(`backslash outside a string in "${text}"`);
    return { kind: 'word', text };
  }

  string(): Value {
    const line = this.line;
    this.next();
    const start = this.i;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) throw new ScriptSyntaxError('unterminated string', line);
      if (c === '\n' || c === '\r') throw new ScriptSyntaxError('line break inside a string', line);
      if (c === '"') break;
      this.i++;
      if (c === '\\') {
        const n = this.s[this.i];
        if (n === undefined || n === '\n' || n === '\r') throw new ScriptSyntaxError('backslash at the end of a line', line);
        this.i++;
      }
    }
    const raw = this.s.slice(start, this.i);
    this.i++; // the closing quote
    return { kind: 'string', raw, value: unescapeString(raw, line) };
  }

  private skipBlanks(newlines: boolean): void {
    for (;;) {
      const c = this.peek();
      if (c === ' ' || c === '\t' || c === '\r' || (newlines && c === '\n')) this.next();
      else if (c === '\\' && (this.s[this.i + 1] === '\n' || this.s[this.i + 1] === '\r')) this.fail('line continuation');
      else return;
    }
  }
}

/** Every command in a script, depth first, including those inside `[ ]`, `{ }` and `( )`. */
export function allCommands(cmds: Command[]): Command[] {
  const out: Command[] = [];
  const visitValue = (v: Value) => {
    if (v.kind === 'cmd') visit(v.cmd);
    else if (v.kind === 'block') v.body.forEach(visit);
    else if (v.kind === 'expr') v.items.forEach(visitValue);
  };
  const visit = (c: Command) => {
    out.push(c);
    for (const it of c.items) visitValue(it.value);
  };
  cmds.forEach(visit);
  return out;
}

/** Every string literal in a script, with the command it belongs to and its argument name (if named). */
export function allStrings(cmds: Command[]): { arg?: string; value: string; raw: string; cmd: Command }[] {
  const out: { arg?: string; value: string; raw: string; cmd: Command }[] = [];
  const visitValue = (v: Value, cmd: Command, arg?: string) => {
    if (v.kind === 'string') out.push({ arg, value: v.value, raw: v.raw, cmd });
    else if (v.kind === 'expr') v.items.forEach((x) => visitValue(x, cmd, arg));
  };
  for (const c of allCommands(cmds)) for (const it of c.items) visitValue(it.value, c, it.kind === 'named' ? it.name : undefined);
  return out;
}
