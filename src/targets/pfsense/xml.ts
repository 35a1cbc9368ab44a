/**
 * A small, purpose-built XML scanner and writer for pfSense's config.xml. No dependency: the merge
 * needs byte offsets of elements (to splice and keep every other byte), which general parsers do
 * not give; the documents are pfSense's own simple dialect (elements, text, CDATA, no DTD).
 */
import { decodeEntities } from './escape.js';

/** An element to write. `text` is already escaped (plain() or cdata()); `flag` writes `<tag></tag>`. */
export interface El {
  tag: string;
  text?: string;
  children?: El[];
}

export const el = (tag: string, content?: string | number | El[]): El =>
  Array.isArray(content) ? { tag, children: content } : content === undefined ? { tag, text: '' } : { tag, text: String(content) };
export const flag = (tag: string): El => ({ tag, text: '' });

/** Serialises as pfSense's writer does: tabs, one element per line, empty elements as `<x></x>`. */
export function writeEl(e: El, depth: number): string {
  const pad = depth < PADS.length ? PADS[depth] : '\t'.repeat(depth);
  if (!e.children) return `${pad}<${e.tag}>${e.text ?? ''}</${e.tag}>\n`;
  let out = `${pad}<${e.tag}>\n`;
  for (const c of e.children) out += writeEl(c, depth + 1);
  return `${out}${pad}</${e.tag}>\n`;
}
const PADS = ['', '\t', '\t\t', '\t\t\t', '\t\t\t\t', '\t\t\t\t\t', '\t\t\t\t\t\t'];

export interface XNode {
  name: string;
  /** The name in lower case, as pfSense's parser reads it. */
  key: string;
  /** Offset of `<` of the start tag. */
  start: number;
  /** Offset just after the end tag (or `/>`). */
  end: number;
  /** Content between start and end tag (empty range for `<x/>`). */
  innerStart: number;
  innerEnd: number;
  selfClosing: boolean;
  hasAttributes: boolean;
  children: XNode[];
  parent?: XNode;
}

export class XmlError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const NAME = /[A-Za-z_][\w.:-]*/y;

/** Scans a whole document; throws XmlError with an offset when it is not well-formed. */
export function parseXml(text: string): XNode {
  let i = 0;
  const stack: XNode[] = [];
  let root: XNode | undefined;
  const expect = (s: string, from: number, what: string) => {
    const j = text.indexOf(s, from);
    if (j < 0) throw new XmlError(`unterminated ${what}`, from);
    return j + s.length;
  };
  if (text.charCodeAt(0) === 0xfeff) i = 1;
  while (i < text.length) {
    const lt = text.indexOf('<', i);
    const chunk = text.slice(i, lt < 0 ? text.length : lt);
    if (stack.length === 0 && chunk.trim() !== '') throw new XmlError('text outside the root element', i);
    if (/&(?!(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);)/.test(chunk) || chunk.includes(']]>')) throw new XmlError('stray & or ]]> in text', i);
    if (lt < 0) break;
    if (text.startsWith('<?', lt)) i = expect('?>', lt + 2, 'processing instruction');
    else if (text.startsWith('<!--', lt)) i = expect('-->', lt + 4, 'comment');
    else if (text.startsWith('<![CDATA[', lt)) {
      if (!stack.length) throw new XmlError('CDATA outside the root element', lt);
      i = expect(']]>', lt + 9, 'CDATA section');
    } else if (text.startsWith('<!', lt)) throw new XmlError('DOCTYPE and other declarations are not expected in a pfSense config', lt);
    else if (text.startsWith('</', lt)) {
      NAME.lastIndex = lt + 2;
      const m = NAME.exec(text);
      const close = text.indexOf('>', lt);
      const top = stack.pop();
      if (!m || close < 0 || text.slice(NAME.lastIndex, close).trim() !== '') throw new XmlError('malformed end tag', lt);
      if (!top || top.name !== m[0]) throw new XmlError(`end tag </${m[0]}> does not match ${top ? `<${top.name}>` : 'any open element'}`, lt);
      top.innerEnd = lt;
      top.end = close + 1;
      i = close + 1;
    } else {
      NAME.lastIndex = lt + 1;
      const m = NAME.exec(text);
      if (!m) throw new XmlError('malformed start tag', lt);
      // Attributes: skip quoted values so a `>` inside one does not end the tag.
      let j = NAME.lastIndex;
      let quote = '';
      for (; j < text.length; j++) {
        const c = text[j];
        if (quote) {
          if (c === quote) quote = '';
        } else if (c === '"' || c === "'") quote = c;
        else if (c === '>' || c === '<') break;
      }
      if (text[j] !== '>') throw new XmlError(`unterminated start tag <${m[0]}>`, lt);
      const selfClosing = text[j - 1] === '/';
      const attrs = text.slice(NAME.lastIndex, selfClosing ? j - 1 : j);
      if (attrs.trim() && !/^\s/.test(attrs)) throw new XmlError(`malformed start tag <${m[0]}>`, lt);
      const node: XNode = {
        name: m[0], key: m[0].toLowerCase(), start: lt, end: j + 1, innerStart: j + 1, innerEnd: j + 1, selfClosing,
        hasAttributes: attrs.trim() !== '', children: [], parent: stack[stack.length - 1],
      };
      if (stack.length) stack[stack.length - 1].children.push(node);
      else if (root) throw new XmlError('more than one root element', lt);
      else root = node;
      if (!selfClosing) stack.push(node);
      i = j + 1;
    }
  }
  if (stack.length) throw new XmlError(`element <${stack[stack.length - 1].name}> is never closed`, stack[stack.length - 1].start);
  if (!root) throw new XmlError('no root element', 0);
  return root;
}

/**
 * Children by name, case-insensitively: pfSense's parser (xml_parser_create() folds case, then
 * strtolower()) reads `<FILTER>` as `filter`. `name` is given in lower case.
 */
export const child = (n: XNode | undefined, name: string): XNode | undefined => n?.children.find((c) => c.key === name);
export const childrenNamed = (n: XNode | undefined, name: string): XNode[] => n?.children.filter((c) => c.key === name) ?? [];

/** The value pfSense reads from a leaf element: XML-decoded text + raw CDATA, then decoded once more, trimmed of \t\n\r. */
export function textOf(doc: string, n: XNode | undefined): string {
  if (!n || n.selfClosing || n.children.length) return '';
  const raw = doc.slice(n.innerStart, n.innerEnd);
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw.indexOf('<![CDATA[', i);
    const plainPart = raw.slice(i, c < 0 ? raw.length : c);
    out += decodeEntities(plainPart.replace(/<!--[\s\S]*?-->/g, ''));
    if (c < 0) break;
    const e = raw.indexOf(']]>', c);
    out += raw.slice(c + 9, e);
    i = e + 3;
  }
  return decodeEntities(out).replace(/^[\t\n\r]+|[\t\n\r]+$/g, '');
}

/** Offset → 1-based line and column, for error messages. */
export function lineCol(doc: string, offset: number): string {
  const before = doc.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}
