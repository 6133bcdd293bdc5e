// The rules of scan-rules.json made ready to match: macros expanded, patterns compiled, and every pattern
// proved bounded, so that large texts can be checked in windows overlapping by more than any match.
import { createHash } from 'node:crypto';
import rules from '../scan-rules.json';

/**
 * Which rules a blob was scanned under: the rules file and the matching code in this folder (bump
 * the number when the matching code changes). A blob that passed under this version is not read again.
 */
export const SCAN_VERSION = `4:${createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 16)}`;

export type ScanRule = keyof typeof rules.rules;

const SEP = String.raw`(?:\s|/\*(?:[^*]|\*(?!/)){0,128}\*/|//[^\n]{0,128}\n){0,16}`;
export const QUOTE = '["\'`]';
const GLOBALS = 'window|self|globalThis|top|parent|frames|this';

function expand(source: string, depth = 0): string {
  if (depth > 8) throw new Error('scan-rules.json: macros nest too deep');
  const macros = rules.macros as Record<string, string>;
  const out = source.replace(/\{(_|q|\.[\w$]+|g\.[\w$]+|[a-zA-Z]\w*)\}/g, (whole, name: string) => {
    if (name === '_') return SEP;
    if (name === 'q') return QUOTE;
    // No separator before the dot: a regex that may start at every space is 30 times slower, and
    // the normalized text has no space there.
    if (name.startsWith('.')) return `(?:\\.{_}${name.slice(1)}\\b|\\[{_}{q}${name.slice(1)}{q}{_}\\])`;
    if (name.startsWith('g.')) return `(?:(?<![\\w$.])(?:${GLOBALS}){.${name.slice(2)}}|(?<![\\w$.])${name.slice(2)}\\b)`;
    if (name in macros) return macros[name]!;
    return whole;
  });
  return out === source ? out : expand(out, depth + 1);
}

/**
 * The most characters a regex (the subset the rules use) can match, lookarounds counted as if
 * consumed; Infinity for an unbounded repetition or a back-reference.
 */
export function maxMatchLength(source: string): number {
  let i = 0;
  const alternation = (): number => {
    let best = sequence();
    while (source[i] === '|') {
      i++;
      best = Math.max(best, sequence());
    }
    return best;
  };
  const sequence = (): number => {
    let total = 0;
    while (i < source.length && source[i] !== '|' && source[i] !== ')') {
      let len = atom();
      const q = /^(?:\*|\+|\?|\{(\d+)(,(\d*))?\})\??/.exec(source.slice(i));
      if (q) {
        i += q[0].length;
        const op = q[0][0];
        if (op === '*' || op === '+') len = Infinity;
        else if (op === '{') len *= q[2] === undefined ? Number(q[1]) : q[3] === '' ? Infinity : Number(q[3]);
      }
      total += len;
    }
    return total;
  };
  const atom = (): number => {
    const c = source[i]!;
    if (c === '(') {
      i++;
      const group = /^\?(?::|=|!|<=|<!|<[A-Za-z]\w*>)/.exec(source.slice(i));
      if (group) i += group[0].length;
      const len = alternation();
      if (source[i] !== ')') throw new Error(`unbalanced group in ${source}`);
      i++;
      return len;
    }
    if (c === '[') {
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      return 1;
    }
    if (c === '\\') {
      const next = source[i + 1]!;
      i += 2;
      if (next === 'b' || next === 'B') return 0;
      if (/[1-9k]/.test(next)) return Infinity;
      if (next === 'x') i += 2;
      else if (next === 'u') i += source[i] === '{' ? source.indexOf('}', i) - i + 1 : 4;
      return 1;
    }
    i++;
    return c === '^' || c === '$' ? 0 : 1;
  };
  const len = alternation();
  if (i !== source.length) throw new Error(`unbalanced ")" in ${source}`);
  return len;
}

function compile(source: string, what: string): { re: RegExp; span: number } {
  const expanded = expand(source);
  const span = maxMatchLength(expanded);
  if (!Number.isFinite(span)) throw new Error(`scan-rules.json: ${what} can match without bound; give every repetition a maximum`);
  return { re: new RegExp(expanded, 'i'), span };
}

export const PATTERNS = rules.patterns.map((p, n) => ({
  id: p.id as ScanRule,
  in: p.in,
  needle: 'needle' in p ? new RegExp(p.needle, 'gi') : null,
  ...compile(p.regex, `pattern ${n} (${p.id})`),
}));
export const CRED = {
  fieldName: new RegExp(rules.credentials.fieldName, 'i'),
  textSecurity: compile(rules.credentials.textSecurity, 'credentials.textSecurity'),
  reads: compile(rules.credentials.reads, 'credentials.reads'),
  sends: compile(rules.credentials.sends, 'credentials.sends'),
  near: rules.credentials.nearChars,
};
export const SVG_HANDLER = compile(rules.svg.handler, 'svg.handler');

/** Where a URL starts in code or text: a scheme (slashes optional, as URL parsers allow) or `//`. */
export const URL_IN_TEXT = /(?:\b(?:https?|wss?|ftp)[\t\n\r ]{0,4}:[\t\n\r ]{0,4}[\\/]{0,4}|(?<![\w$:\\/.-])[\\/]{2})([^\s\\/?#"'`<>(){}[\],;|^*]{1,300})/gi;
export const ABSOLUTE_URL = /(?:\b(?:https?|wss?)[\t\n\r ]{0,4}:[\t\n\r ]{0,4}[\\/]{2}|(?<![\w$:\\/.-])[\\/]{2}[\w-])/i;
export const ABSOLUTE_URLS = new RegExp(ABSOLUTE_URL.source, 'gi');
export const SENDS = new RegExp(CRED.sends.re.source, 'gi');
/** How far after a send call its destination may be written (`x.open("POST", "https://…")`). */
export const SEND_ARGUMENT_CHARS = 200;

/** The longest stretch of text any check looks at at once. */
const LONGEST_SPAN = Math.max(
  ...PATTERNS.map((p) => p.span),
  SVG_HANDLER.span,
  2 * CRED.near + CRED.reads.span + CRED.sends.span + SEND_ARGUMENT_CHARS,
  maxMatchLength(URL_IN_TEXT.source),
);
/** Large texts are checked in windows that overlap by more than any match can span. */
export const SCAN_WINDOW = { chars: 4 * 1024 * 1024, overlap: 2 ** Math.ceil(Math.log2(LONGEST_SPAN + 1)) };

/** Where the windows of a text this long start: each `chars` long, each overlapping the next by `overlap`. */
export function windowStarts(length: number): number[] {
  const { chars, overlap } = SCAN_WINDOW;
  const starts = [0];
  while (starts.at(-1)! + chars < length) starts.push(starts.at(-1)! + chars - overlap);
  return starts;
}

export function* windows(text: string): Generator<string> {
  if (text.length <= SCAN_WINDOW.chars) yield text;
  else for (const start of windowStarts(text.length)) yield text.slice(start, start + SCAN_WINDOW.chars);
}
