/**
 * Escaping for pfSense's config.xml (src/etc/inc/xmlparse.inc). pfSense reads an element's text,
 * lets the XML parser decode it, then runs html_entity_decode() on it a second time. Its writer puts
 * `descr`, `detail` (and username/password/text) into CDATA with htmlentities(ENT_QUOTES|ENT_XML1)
 * applied inside. We write exactly that, so free text:
 * - cannot end the CDATA section (`]]>` cannot survive: `>` becomes `&gt;`),
 * - decodes back to itself on pfSense (the second decode undoes the entities),
 * - carries no character XML 1.0 forbids (control characters become spaces, lone surrogates U+FFFD).
 * Plain elements only ever hold validated values (ids, addresses, host names, numbers); they still get
 * XML escaping, and a value with `&` is refused because pfSense would decode it twice.
 */

/** Characters XML 1.0 does not allow, plus line breaks (pfSense trims them and the UI fields are one line). */
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Any character the two replacements below could touch (every surrogate, paired or not). */
const MAY_NEED_CLEANING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffe\uffff\ud800-\udfff]/;

/** One line of free text with nothing XML cannot carry. */
export function cleanText(text: string): string {
  // Almost every text is clean: one test instead of two replacements.
  if (!MAY_NEED_CLEANING.test(text)) return text;
  return text.replace(LONE_SURROGATE, '\ufffd').replace(FORBIDDEN, ' ');
}

/**
 * The XML-special characters as entities every pfSense version decodes. 2.7.x and 2.8.x read values with
 * html_entity_decode() in its PHP 8 default (ENT_HTML401), which knows `&#039;` but not `&apos;`; master
 * (ENT_XML1, since 2026-01) knows both. So an apostrophe is `&#039;`, as htmlentities() writes it.
 */
export function xmlEntities(text: string): string {
  if (!/[&<>"']/.test(text)) return text;
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#039;');
}

/** A CDATA element body the way pfSense writes it: `<![CDATA[` + entities + `]]>`. */
export function cdata(text: string): string {
  return `<![CDATA[${xmlEntities(cleanText(text))}]]>`;
}

/** Text of a plain element. Only validated values reach here; `&` would be decoded twice by pfSense. */
export function plain(value: string | number): string {
  const text = String(value);
  if (/[&<>\u0000-\u001f]/.test(text)) throw new Error(`pfsense: refusing to write '${text}' into a plain XML element`);
  return text;
}

/** Truncates to at most `max` UTF-8 bytes (PHP strlen) without splitting a character. */
export function truncateBytes(text: string, max: number): string {
  // Fits as a whole (the common case): the loop below would keep every character.
  if (text.length <= max && Buffer.byteLength(text, 'utf8') <= max) return text.trimEnd();
  let out = '';
  let bytes = 0;
  for (const ch of text) {
    // UTF-8 length of one code point (a lone surrogate is written as U+FFFD, 3 bytes).
    const cp = ch.codePointAt(0)!;
    const n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + n > max) break;
    out += ch;
    bytes += n;
  }
  return out.trimEnd();
}

/** pfSense puts only the first 57 bytes of a rule description into the pf label; the UI refuses `\`. */
export const RULE_DESCR_MAX = 57;
export function ruleDescr(text: string): string {
  return truncateBytes(cleanText(text).replace(/\\/g, '/'), RULE_DESCR_MAX);
}

/** Alias `detail` entries are joined with `||`; pfSense refuses an entry containing `|`. */
export function detailEntry(text: string): string {
  return cleanText(text).replace(/\|/g, '/').trim() || '-';
}

/** Markdown table cell / inline text from free text (STEPS.md): one line, no table or code breakouts. */
export function mdText(text: string): string {
  return cleanText(text).replace(/[\\`*_[\]<>|#]/g, (c) => `\\${c}`);
}

/**
 * The named entities of HTML 4.01 (name:code point in hex), as PHP's htmlentities() writes them on
 * pfSense 2.7.x/2.8.x (a description `Gård` is saved as `G&aring;rd`). From PHP's own
 * get_html_translation_table(HTML_ENTITIES, ENT_QUOTES | ENT_HTML401).
 */
const HTML401 = 'quot:22 amp:26 lt:3c gt:3e nbsp:a0 iexcl:a1 cent:a2 pound:a3 curren:a4 yen:a5 brvbar:a6 sect:a7 uml:a8 copy:a9 ordf:aa laquo:ab not:ac shy:ad reg:ae macr:af deg:b0 plusmn:b1 sup2:b2 sup3:b3 acute:b4 micro:b5 para:b6 middot:b7 cedil:b8 sup1:b9 ordm:ba raquo:bb frac14:bc frac12:bd frac34:be iquest:bf Agrave:c0 Aacute:c1 Acirc:c2 Atilde:c3 Auml:c4 Aring:c5 AElig:c6 Ccedil:c7 Egrave:c8 Eacute:c9 Ecirc:ca Euml:cb Igrave:cc Iacute:cd Icirc:ce Iuml:cf ETH:d0 Ntilde:d1 Ograve:d2 Oacute:d3 Ocirc:d4 Otilde:d5 Ouml:d6 times:d7 Oslash:d8 Ugrave:d9 Uacute:da Ucirc:db Uuml:dc Yacute:dd THORN:de szlig:df agrave:e0 aacute:e1 acirc:e2 atilde:e3 auml:e4 aring:e5 aelig:e6 ccedil:e7 egrave:e8 eacute:e9 ecirc:ea euml:eb igrave:ec iacute:ed icirc:ee iuml:ef eth:f0 ntilde:f1 ograve:f2 oacute:f3 ocirc:f4 otilde:f5 ouml:f6 divide:f7 oslash:f8 ugrave:f9 uacute:fa ucirc:fb uuml:fc yacute:fd thorn:fe yuml:ff OElig:152 oelig:153 Scaron:160 scaron:161 Yuml:178 fnof:192 circ:2c6 tilde:2dc Alpha:391 Beta:392 Gamma:393 Delta:394 Epsilon:395 Zeta:396 Eta:397 Theta:398 Iota:399 Kappa:39a Lambda:39b Mu:39c Nu:39d Xi:39e Omicron:39f Pi:3a0 Rho:3a1 Sigma:3a3 Tau:3a4 Upsilon:3a5 Phi:3a6 Chi:3a7 Psi:3a8 Omega:3a9 alpha:3b1 beta:3b2 gamma:3b3 delta:3b4 epsilon:3b5 zeta:3b6 eta:3b7 theta:3b8 iota:3b9 kappa:3ba lambda:3bb mu:3bc nu:3bd xi:3be omicron:3bf pi:3c0 rho:3c1 sigmaf:3c2 sigma:3c3 tau:3c4 upsilon:3c5 phi:3c6 chi:3c7 psi:3c8 omega:3c9 thetasym:3d1 upsih:3d2 piv:3d6 ensp:2002 emsp:2003 thinsp:2009 zwnj:200c zwj:200d lrm:200e rlm:200f ndash:2013 mdash:2014 lsquo:2018 rsquo:2019 sbquo:201a ldquo:201c rdquo:201d bdquo:201e dagger:2020 Dagger:2021 bull:2022 hellip:2026 permil:2030 prime:2032 Prime:2033 lsaquo:2039 rsaquo:203a oline:203e frasl:2044 euro:20ac image:2111 weierp:2118 real:211c trade:2122 alefsym:2135 larr:2190 uarr:2191 rarr:2192 darr:2193 harr:2194 crarr:21b5 lArr:21d0 uArr:21d1 rArr:21d2 dArr:21d3 hArr:21d4 forall:2200 part:2202 exist:2203 empty:2205 nabla:2207 isin:2208 notin:2209 ni:220b prod:220f sum:2211 minus:2212 lowast:2217 radic:221a prop:221d infin:221e ang:2220 and:2227 or:2228 cap:2229 cup:222a int:222b there4:2234 sim:223c cong:2245 asymp:2248 ne:2260 equiv:2261 le:2264 ge:2265 sub:2282 sup:2283 nsub:2284 sube:2286 supe:2287 oplus:2295 otimes:2297 perp:22a5 sdot:22c5 lceil:2308 rceil:2309 lfloor:230a rfloor:230b lang:2329 rang:232a loz:25ca spades:2660 clubs:2663 hearts:2665 diams:2666';
let html401: Map<string, string> | undefined;
function namedEntity(name: string): string | undefined {
  if (!html401) {
    html401 = new Map(HTML401.split(' ').map((p) => { const [n, cp] = p.split(':'); return [n, String.fromCodePoint(parseInt(cp, 16))]; }));
    html401.set('apos', "'");
  }
  return html401.get(name);
}

/**
 * Decoding as pfSense reads a value back (the parser's XML decode already happened; this is the second
 * pass): numeric references, the HTML 4.01 names 2.7/2.8 write, and `&apos;` (master). An unknown name
 * or an invalid code point stays as it is, as in PHP.
 */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{1,8});/g, (all, e: string) => {
    if (e[0] === '#') {
      const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return cp > 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff) ? String.fromCodePoint(cp) : all;
    }
    return namedEntity(e) ?? all;
  });
}

/** Text inside an XML comment: no `--` (and no trailing `-`), nothing XML forbids. */
export function commentText(text: string): string {
  return cleanText(text).replace(/-(?=-)/g, '- ').replace(/-$/, '- ');
}

/** Terminal controls and bidirectional overrides: a value of the backup shown in a diagnostic must not move the cursor, colour, or fake a line. */
const TERMINAL_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
/** One line of text for a diagnostic, whatever the backup held. */
export function termText(text: string): string {
  return text.replace(TERMINAL_UNSAFE, ' ');
}
