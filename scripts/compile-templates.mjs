// Compiles a Handlebars template into one plain JavaScript function, at build time.
//
// Why not Handlebars.precompile: its runtime sets up helpers, hooks and prototype-access control on
// every call and routes every {{#if}}/{{#each}} through wrapped helpers with a fresh options object;
// over 1 000 sites that was ~150 µs per site for ~70 KB of text. The templates use a small subset of
// Handlebars, so they are parsed with Handlebars' own parser (standalone lines stripped as usual) and
// turned into string building with the same semantics (noEscape, strict):
//   {{path}}, {{this}}, {{../path}}     value printed as is; null/undefined print nothing; a missing
//                                       last key throws (strict), like Handlebars' strict mode
//   {{#if x}} / {{#unless x}} / {{else}} Handlebars truthiness: false, 0, '', null, undefined and [] are false
//   {{#each list}} ... {{else}}          arrays only; the item becomes `this`, @index/@key/@first/@last set
// Anything else (partials, helpers with arguments, hashes, block params, sub-expressions, literals)
// stops the build with the template's name and position, so no template silently renders differently.
import Handlebars from 'handlebars';

const BUILT_IN_HELPERS = new Set(['each', 'if', 'unless', 'with', 'log', 'lookup', 'helperMissing', 'blockHelperMissing']);

/** Helpers the generated functions share: own properties only, as Handlebars' lookupProperty. */
export const runtimeSource = `const hasOwn = Object.prototype.hasOwnProperty;
const own = (o, k) => { const v = o[k]; return v == null || hasOwn.call(o, k) ? v : undefined; };
const req = (o, k, at) => { if (!o || !(k in o)) throw new Error(\`template \${at}: "\${k}" not defined in \${o}\`); return own(o, k); };
const text = (v, c) => { if (typeof v === 'function') v = v.call(c); return v == null ? '' : v; };
const truthy = (v, c) => { if (typeof v === 'function') v = v.call(c); return !!v && !(Array.isArray(v) && v.length === 0); };
const list = (v, c, at) => {
  if (typeof v === 'function') v = v.call(c);
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') throw new Error(\`template \${at}: #each over something that is not an array\`);
  return [];
};`;

/** Source of `function (view) { ... }` for one template. */
export function compileTemplate(source, key) {
  const ast = Handlebars.parse(source);
  let vars = 0;
  const where = (node) => `${key}:${node.loc ? `${node.loc.start.line}:${node.loc.start.column + 1}` : '?'}`;
  const fail = (node, what) => {
    throw new Error(`templates/${key}.hbs ${where(node).slice(key.length + 1)}: ${what} is not supported by scripts/compile-templates.mjs`);
  };

  // scope: { contexts: [variable names, innermost last], loop: { index, length } | undefined }
  const path = (p, scope, strict) => {
    if (p.type !== 'PathExpression') fail(p, `a ${p.type}`);
    if (p.data) {
      if (!scope.loop || p.parts.length !== 1) fail(p, `@${p.parts.join('.')} outside #each`);
      const { index, length } = scope.loop;
      const v = { index, key: index, first: `(${index} === 0)`, last: `(${index} === ${length} - 1)` }[p.parts[0]];
      if (!v) fail(p, `@${p.parts[0]}`);
      return v;
    }
    if (p.depth >= scope.contexts.length) fail(p, `../ above the template's own view`);
    let code = scope.contexts[scope.contexts.length - 1 - p.depth];
    p.parts.forEach((part, i) => {
      const last = i === p.parts.length - 1;
      code = strict && last ? `req(${code}, ${JSON.stringify(part)}, ${JSON.stringify(where(p))})` : `own(${code}, ${JSON.stringify(part)})`;
    });
    return code;
  };

  const program = (prog, scope) => prog.body.map((node) => statement(node, scope)).join('');

  const statement = (node, scope) => {
    const ctx = scope.contexts[scope.contexts.length - 1];
    switch (node.type) {
      case 'ContentStatement':
        return node.value ? `o += ${JSON.stringify(node.value)};\n` : '';
      case 'CommentStatement':
        return '';
      case 'MustacheStatement': {
        if (node.params.length || node.hash) fail(node, 'a helper call');
        const p = node.path;
        if (p.type === 'PathExpression' && !p.data && p.depth === 0 && p.parts.length === 1 && !/^(this|\.)\b/.test(p.original) && BUILT_IN_HELPERS.has(p.parts[0])) {
          fail(node, `{{${p.original}}} (a helper name)`);
        }
        // Handlebars checks strictly only a looked-up name, never `this` itself.
        return `o += text(${path(p, scope, p.parts.length > 0)}, ${ctx});\n`;
      }
      case 'BlockStatement': {
        const helper = node.path.original;
        if (node.hash || node.program?.blockParams || node.params.length !== 1) fail(node, `{{#${helper}}} with these arguments`);
        const param = path(node.params[0], scope, false);
        // {{else}} runs in the outer scope for every helper; the main block of #each in the item's.
        const no = node.inverse ? program(node.inverse, scope) : '';
        if (helper === 'if' || helper === 'unless') {
          const yes = node.program ? program(node.program, scope) : '';
          const [a, b] = helper === 'if' ? [yes, no] : [no, yes];
          return `if (truthy(${param}, ${ctx})) {\n${a}}${b ? ` else {\n${b}}` : ''}\n`;
        }
        if (helper === 'each') {
          const n = ++vars;
          const [a, i, c] = [`a${n}`, `i${n}`, `c${n}`];
          const inner = { contexts: [...scope.contexts, c], loop: { index: i, length: `${a}.length` } };
          const body = node.program ? program(node.program, inner) : '';
          return `{\nconst ${a} = list(${param}, ${ctx}, ${JSON.stringify(where(node))});\nfor (let ${i} = 0; ${i} < ${a}.length; ${i}++) {\nconst ${c} = ${a}[${i}];\n${body}}\n${no ? `if (${a}.length === 0) {\n${no}}\n` : ''}}\n`;
        }
        return fail(node, `{{#${helper}}}`);
      }
      default:
        return fail(node, `a ${node.type}`);
    }
  };

  const body = program(ast, { contexts: ['view'], loop: undefined });
  return `function (view) {\nlet o = '';\n${body}return o;\n}`;
}
