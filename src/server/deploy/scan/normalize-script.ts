// Code rewritten the way its author meant it to be read, so that strings split or escaped to dodge a
// pattern still match it.

/** A literal JS string (quotes kept as group 1, body as 2), at most 4 KB. */
const LITERAL = String.raw`(["'\x60])((?:\\[\s\S]|(?!\1)[^\\]){0,4096})\1`;
const literal = (n: number) => LITERAL.replace('\\1', `\\${n}`).replace('\\1', `\\${n}`);

function unescapeJs(text: string): string {
  if (!text.includes('\\')) return text;
  return text
    .replace(/\\u\{([0-9a-f]{1,6})\}/gi, (w, h: string) => (parseInt(h, 16) <= 0x10ffff ? String.fromCodePoint(parseInt(h, 16)) : w))
    .replace(/\\u([0-9a-f]{4})|\\x([0-9a-f]{2})/gi, (_w, u?: string, x?: string) => String.fromCharCode(parseInt(u ?? x!, 16)))
    .replace(/\\([0-3][0-7]{2})/g, (_w, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Block comments out, in one linear pass (a regex would go quadratic on many unclosed "/*"). */
export function stripBlockComments(text: string): string {
  const parts: string[] = [];
  let at = 0;
  for (;;) {
    const open = text.indexOf('/*', at);
    if (open < 0) break;
    const close = text.indexOf('*/', open + 2);
    if (close < 0) break;
    parts.push(text.slice(at, open), ' ');
    at = close + 2;
  }
  parts.push(text.slice(at));
  return parts.join('');
}

/** JavaScript's `\s`: its white space and line terminators. */
function isSpace(c: number): boolean {
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  if (c >= 0x2000 && c <= 0x200a) return true;
  return c === 0xa0 || c === 0x1680 || c === 0x2028 || c === 0x2029 || c === 0x202f || c === 0x205f || c === 0x3000 || c === 0xfeff;
}
const TIGHT = new Uint8Array(128);
for (const ch of '.[](),;:=+{}') TIGHT[ch.charCodeAt(0)] = 1;
const isTight = (c: number) => c < 128 && TIGHT[c] === 1;

/**
 * Runs of white space gone next to punctuation (`a = f ( x )` → `a=f(x)`), one space elsewhere: what
 * `.replace(/\s+/g, ' ').replace(/ ?([.[\](),;:=+{}]) ?/g, '$1')` gives, in one pass that copies only
 * where something changes (those two replaces rewrote every punctuation mark of a bundle).
 */
export function squeezeSpaces(text: string): string {
  const parts: string[] = [];
  let kept = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (!isSpace(c)) continue;
    let end = i + 1;
    while (end < n && isSpace(text.charCodeAt(end))) end++;
    if ((i > 0 && isTight(text.charCodeAt(i - 1))) || (end < n && isTight(text.charCodeAt(end)))) {
      parts.push(text.slice(kept, i));
      kept = end;
    } else if (end - i > 1 || c !== 32) {
      parts.push(text.slice(kept, i), ' ');
      kept = end;
    }
    i = end - 1;
  }
  if (kept === 0) return text;
  parts.push(text.slice(kept));
  return parts.join('');
}

/**
 * Code as its author meant it to be read: escapes decoded, comments and runs of whitespace gone,
 * string literals joined ("coin"+"hive.com", `coin${"hive"}`, [..].join(''), .concat, reversed).
 * Scanned beside the raw text, so a wrong guess here can only add hits, never hide one.
 */
export function normalizeScript(text: string): string {
  let s = squeezeSpaces(stripBlockComments(unescapeJs(text)));
  s = s.replace(/\$\{(["'])([^"'\\]{0,4096})\1\}/g, '$2');
  // Twice: an array join can make a literal that a "+" then joins, and the other way round.
  return joinLiterals(joinLiterals(s));
}

/** One round of joining string literals; each rewrite only where its telltale is (the literal regexes are costly). */
function joinLiterals(s: string): string {
  if (/["'`]\+["'`]/.test(s)) {
    const join = new RegExp(`${literal(1)}\\+${literal(3)}`, 'g');
    for (let pass = 0; pass < 8; pass++) {
      const next = s.replace(join, (_w, q: string, a: string, _q2: string, b: string) => `${q}${a}${b}${q}`);
      if (next === s) break;
      s = next;
    }
  }
  const lit = new RegExp(literal(1), 'g');
  const bodies = (list: string) => [...list.matchAll(lit)].map((m) => m[2]);
  if (/["'`],?\]\.join\(/.test(s))
    s = s.replace(new RegExp(`\\[((?:${literal(2)},){0,64}${literal(4)}),?\\]\\.join\\((?:${literal(6)})?\\)`, 'g'), (_w, list: string, ...rest) =>
      JSON.stringify(bodies(list).join((rest[5] as string | undefined) ?? ',')),
    );
  if (/["'`]\.concat\(["'`]/.test(s))
    s = s.replace(
      new RegExp(`${literal(1)}\\.concat\\(((?:${literal(4)},?){1,64})\\)`, 'g'),
      (_w, q: string, a: string, list: string) => `${q}${a}${bodies(list).join('')}${q}`,
    );
  if (/\.split\((["'`])\1\)\.reverse\(\)/.test(s))
    s = s.replace(
      new RegExp(`${literal(1)}\\.split\\((["'\`])\\3\\)\\.reverse\\(\\)\\.join\\((["'\`])\\4\\)`, 'g'),
      (_w, q: string, a: string) => `${q}${[...a].reverse().join('')}${q}`,
    );
  return s;
}
