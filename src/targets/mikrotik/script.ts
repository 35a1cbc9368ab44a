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

const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', n: '\n', r: '\r', t: '\t', $: '$', '?': '?', _: ' ', a: '\x07', b: '\b', f: '\f', v: '\v' };

/** Parses a whole script into its top-level commands (comments dropped). */
export function parseScript(text: string): Command[] {
  return new Parser(text, true).statements(NONE)!;
}

/**
 * Checks that a script parses, without building its tree: accepts and rejects exactly what
 * `parseScript` does (the same parser runs, it only skips making the objects), with the same errors.
 * The generator runs this on every script it writes, so it has to be cheap.
 */
export function checkSyntax(text: string): void {
  new Parser(text, false).statements(NONE);
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
  if (text.includes('$')) throw new ScriptSyntaxError(STRING_DOLLAR, line);
  return text;
}

const STRING_DOLLAR = '"$" inside a string interpolates a variable or command';

// The parser works on UTF-16 code units (charCodeAt), never on one-character strings: it runs on every
// script the generator writes, and a string or object per character made it cost more than the render.
const TAB = 9, LF = 10, CR = 13, SPACE = 32, QUOTE = 34, HASH = 35, DOLLAR = 36, LPAREN = 40, RPAREN = 41;
const SEMI = 59, EQ = 61, LBRACKET = 91, BACKSLASH = 92, RBRACKET = 93, LBRACE = 123, RBRACE = 125;
/** Past the end of the input. */
const END = -1;
/** No closing bracket expected (top level). */
const NONE = -2;

/** Per ASCII code inside a word: 1 ends the word, 2 `$` and 4 `\` are refused; 0 (and all non-ASCII) belongs to it. */
const WORD_CLASS = new Uint8Array(128);
for (const c of ' \t\r\n"[]{}();=') WORD_CLASS[c.charCodeAt(0)] = 1;
WORD_CLASS[DOLLAR] = 2;
WORD_CLASS[BACKSLASH] = 4;

/** Per ASCII code after a backslash in a string: 1 a one-character escape (SIMPLE_ESCAPES), 2 a hex digit (`\XX` with a second one). */
const ESCAPE_CLASS = new Uint8Array(128);
for (const c of Object.keys(SIMPLE_ESCAPES)) ESCAPE_CLASS[c.charCodeAt(0)] = 1;
for (const c of '0123456789ABCDEF') ESCAPE_CLASS[c.charCodeAt(0)] = 2;

/** What the check-only parser returns for a value: its kind is all the grammar looks at. */
const CHECKED_WORD: Value = { kind: 'word', text: '' };
const CHECKED_OTHER: Value = { kind: 'expr', items: [] };
const CHECKED_COMMAND: Command = { items: [], line: 0 };

/** JavaScript's `\s` for one code unit (printable ASCII, the usual case, without a regex). */
function isSpace(c: number): boolean {
  if (c > SPACE && c < 127) return false;
  return /\s/.test(String.fromCharCode(c));
}

class Parser {
  i = 0;
  line = 1;
  /** `build` false: only check, make no tree (statements/command/value return placeholders). */
  constructor(
    readonly s: string,
    readonly build: boolean,
  ) {}

  private code(): number {
    return this.i < this.s.length ? this.s.charCodeAt(this.i) : END;
  }
  private fail(msg: string): never {
    throw new ScriptSyntaxError(msg, this.line);
  }

  /** Statements until `close` (`}`) or end of input. */
  statements(close: number): Command[] | null {
    const out: Command[] | null = this.build ? [] : null;
    for (;;) {
      this.skipBlanks(true);
      const c = this.code();
      if (c === END) {
        if (close !== NONE) this.fail('missing "}"');
        return out;
      }
      if (c === close) {
        this.i++;
        return out;
      }
      if (c === SEMI) {
        this.i++;
        continue;
      }
      // (a newline was taken by skipBlanks)
      if (c === HASH) {
        const eol = this.s.indexOf('\n', this.i);
        this.i = eol < 0 ? this.s.length : eol;
        continue;
      }
      const cmd = this.command(close);
      if (out && cmd.items.length) out.push(cmd);
    }
  }

  /** One command: items until `;`, newline, or the closing bracket (not consumed). */
  command(close: number): Command {
    const line = this.line;
    const items: Item[] | null = this.build ? [] : null;
    for (;;) {
      this.skipBlanks(false);
      const c = this.code();
      const at = this.i;
      let v: Value;
      // Most items start with a letter, `/`, `:` or a digit: a word, nothing else to rule out.
      if ((c >= 48 && c <= 58) || (c >= 97 && c <= 122) || c === 47) v = this.word();
      else {
        if (c === END || c === SEMI || c === LF || c === close) return items ? { items, line } : CHECKED_COMMAND;
        if (c === HASH) this.fail('"#" after a command is read as an argument; put comments on their own line');
        if (c === RBRACKET || c === RBRACE || c === RPAREN) this.fail(`unbalanced "${this.s[this.i]}"`);
        if (c === EQ) this.fail('"=" without a name');
        v = this.value();
      }
      if (v.kind === 'word' && this.code() === EQ) {
        const name = this.s.slice(at, this.i);
        this.i++;
        const after = this.code();
        if (after === END || after === SEMI || isSpace(after)) this.fail(`no value after "${name}="`);
        const value = this.value();
        items?.push({ kind: 'named', name, value });
      } else items?.push({ kind: 'positional', value: v });
    }
  }

  value(): Value {
    const c = this.code();
    if (c === QUOTE) return this.string();
    if (c === LBRACKET) {
      this.i++;
      this.skipBlanks(false);
      const cmd = this.command(RBRACKET);
      if (this.code() !== RBRACKET) this.fail('missing "]"');
      this.i++;
      return this.build ? { kind: 'cmd', cmd } : CHECKED_OTHER;
    }
    if (c === LBRACE) {
      this.i++;
      const body = this.statements(RBRACE);
      return body ? { kind: 'block', body } : CHECKED_OTHER;
    }
    if (c === LPAREN) {
      this.i++;
      const items: Value[] | null = this.build ? [] : null;
      for (;;) {
        this.skipBlanks(false);
        const d = this.code();
        if (d === END || d === LF) this.fail('missing ")"');
        if (d === RPAREN) {
          this.i++;
          return items ? { kind: 'expr', items } : CHECKED_OTHER;
        }
        if (d === EQ) {
          this.i++;
          items?.push({ kind: 'word', text: '=' });
          continue;
        }
        const v = this.value();
        items?.push(v);
      }
    }
    return this.word();
  }

  /** A bare word: up to a blank, quote, bracket, `;` or `=`; no `$` or backslash in it. */
  word(): Value {
    // A word never holds a newline (WORD_CLASS 1), so the line count needs no update while scanning.
    const s = this.s;
    const start = this.i;
    let i = start;
    let refused = 0;
    for (; i < s.length; i++) {
      const w = s.charCodeAt(i);
      if (w < 128) {
        const k = WORD_CLASS[w];
        if (k === 1) break;
        refused |= k;
      }
    }
    this.i = i;
    if (i === start) this.fail(`unexpected "${s[start]}"`);
    if (refused & 2) this.fail(`"$" in "${s.slice(start, i)}" reads a variable`);
    if (refused & 4) this.fail(`backslash outside a string in "${s.slice(start, i)}"`);
    return this.build ? { kind: 'word', text: s.slice(start, i) } : CHECKED_WORD;
  }

  string(): Value {
    const s = this.s;
    const line = this.line;
    const start = this.i + 1;
    // The first thing that would not decode (a bare `$`, an unknown escape) is reported only once the
    // string is known to end, as unescapeString reports it after the string was cut out.
    let bad: string | undefined;
    let i = start;
    for (;;) {
      if (i >= s.length) throw new ScriptSyntaxError('unterminated string', line);
      const c = s.charCodeAt(i++);
      // Everything above `$` but the backslash is plain text: the usual case, one test.
      if (c > DOLLAR && c !== BACKSLASH) continue;
      if (c === QUOTE) {
        i--;
        break;
      }
      if (c === LF || c === CR) throw new ScriptSyntaxError('line break inside a string', line);
      if (c === DOLLAR) bad ??= STRING_DOLLAR;
      else if (c === BACKSLASH) {
        const n = i < s.length ? s.charCodeAt(i) : END;
        if (n === END || n === LF || n === CR) throw new ScriptSyntaxError('backslash at the end of a line', line);
        i++;
        const k = n < 128 ? ESCAPE_CLASS[n] : 0;
        // \XX: the second digit is part of the escape (a hex digit is never a quote, a backslash or a `$`).
        if (k === 2 && i < s.length && ESCAPE_CLASS[s.charCodeAt(i)] === 2) i++;
        else if (k !== 1) bad ??= `unknown escape \\${s[i - 1]}`;
      }
    }
    this.i = i + 1; // past the closing quote
    if (bad !== undefined) throw new ScriptSyntaxError(bad, line);
    if (!this.build) return CHECKED_OTHER;
    const raw = s.slice(start, i);
    return { kind: 'string', raw, value: unescapeString(raw, line) };
  }

  private skipBlanks(newlines: boolean): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i); // NaN past the end: matches nothing below
      if (c === SPACE || c === TAB || c === CR) i++;
      else if (c === LF && newlines) {
        i++;
        this.line++;
      } else break;
    }
    this.i = i;
    if (s.charCodeAt(i) === BACKSLASH && (s.charCodeAt(i + 1) === LF || s.charCodeAt(i + 1) === CR)) this.fail('line continuation');
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
