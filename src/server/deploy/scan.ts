// Content scanning of quick deploys, before anything is uploaded to a shared platform account: every
// file a browser could run or render is read the way a browser would (charset by BOM/declaration,
// markup by the standard HTML tokenizer, entities decoded, string concatenations joined, base64
// payloads decoded) and checked against scan-rules.json: miners, blocklisted hosts, eval of decoded
// strings, password forms or scripts that send to another site, scripted SVG, meta refresh to
// data:/javascript:. A hit refuses the deployment, naming the rule and the file.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { domainToASCII } from 'node:url';
import { createGunzip, gunzipSync } from 'node:zlib';
import { decodeXML } from 'entities';
import mime from 'mime';
import { SAXParser, type SaxToken, type StartTag } from 'parse5-sax-parser';
import type { Manifest } from '@/lib/site-files';
import { AppError } from '../errors';
import { forEachConcurrently } from '../platforms/concurrency';
import rules from './scan-rules.json';
import { readAll } from '../storage/object-store';

/**
 * Which rules a blob was scanned under: the rules file and the matching code below (bump the number
 * when the matching code changes). A blob that passed under this version is not read again.
 */
export const SCAN_VERSION = `4:${createHash('sha256').update(JSON.stringify(rules)).digest('hex').slice(0, 16)}`;

/** Where the scan reads bytes and remembers which blobs passed. */
export interface ScanStore {
  /** One blob's bytes as a stream (a fresh one each call). */
  open(sha256: string): Promise<Readable>;
  /** Those of `sha256s` that already passed the scan under `mark` (the rules' version and the reading). */
  passedScan(sha256s: string[], mark: string): Promise<Set<string>>;
  markScanned(sha256s: string[], mark: string): Promise<void>;
}

export type ScanRule = keyof typeof rules.rules;

export interface ScanHit {
  rule: ScanRule;
  description: string;
  path: string;
}

// ---------------------------------------------------------------------------------------------
// Rules: macros expanded, every pattern bounded (so windows can overlap by more than any match).

const SEP = String.raw`(?:\s|/\*(?:[^*]|\*(?!/)){0,128}\*/|//[^\n]{0,128}\n){0,16}`;
const QUOTE = '["\'`]';
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

const PATTERNS = rules.patterns.map((p, n) => ({
  id: p.id as ScanRule,
  in: p.in,
  needle: 'needle' in p ? new RegExp(p.needle, 'gi') : null,
  ...compile(p.regex, `pattern ${n} (${p.id})`),
}));
const CRED = {
  fieldName: new RegExp(rules.credentials.fieldName, 'i'),
  textSecurity: compile(rules.credentials.textSecurity, 'credentials.textSecurity'),
  reads: compile(rules.credentials.reads, 'credentials.reads'),
  sends: compile(rules.credentials.sends, 'credentials.sends'),
  near: rules.credentials.nearChars,
};
const SVG_HANDLER = compile(rules.svg.handler, 'svg.handler');

/** Where a URL starts in code or text: a scheme (slashes optional, as URL parsers allow) or `//`. */
const URL_IN_TEXT = /(?:\b(?:https?|wss?|ftp)[\t\n\r ]{0,4}:[\t\n\r ]{0,4}[\\/]{0,4}|(?<![\w$:\\/.-])[\\/]{2})([^\s\\/?#"'`<>(){}[\],;|^*]{1,300})/gi;
const ABSOLUTE_URL = /(?:\b(?:https?|wss?)[\t\n\r ]{0,4}:[\t\n\r ]{0,4}[\\/]{2}|(?<![\w$:\\/.-])[\\/]{2}[\w-])/i;
const ABSOLUTE_URLS = new RegExp(ABSOLUTE_URL.source, 'gi');
const SENDS = new RegExp(CRED.sends.re.source, 'gi');
/** How far after a send call its destination may be written (`x.open("POST", "https://…")`). */
const SEND_ARGUMENT_CHARS = 200;

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

function* windows(text: string): Generator<string> {
  if (text.length <= SCAN_WINDOW.chars) yield text;
  else for (const start of windowStarts(text.length)) yield text.slice(start, start + SCAN_WINDOW.chars);
}

// ---------------------------------------------------------------------------------------------
// Hosts.

const SITE = 'https://site.invalid/';
const SITE_HOST = 'site.invalid';

/** A host as its DNS name: lowercase ASCII (punycode), no userinfo, port or trailing dot. */
export function normalizeHost(authority: string): string {
  const raw = authority.replace(/[\t\n\r]/g, '');
  let host: string;
  try {
    host = new URL(`https://${raw}/`).hostname;
  } catch {
    host = domainToASCII(raw.slice(raw.lastIndexOf('@') + 1).replace(/:\d*$/, '')) || raw.toLowerCase();
  }
  return host.replace(/^\[|\]$/g, '').replace(/\.+$/, '');
}

const BLOCKED = rules.blockedHosts.map(normalizeHost);
const blockedHost = (host: string) => BLOCKED.find((b) => host === b || host.endsWith(`.${b}`));

/** The host an attribute URL loads from (resolved as the browser would), or null. */
function urlHost(value: string, base: string): string | null {
  try {
    const u = new URL(value, base);
    return /^(?:https?|wss?|ftp):$/.test(u.protocol) ? u.hostname.replace(/\.+$/, '') : null;
  } catch {
    return null;
  }
}

/** A URL as a browser reads its scheme: leading controls/spaces dropped, tabs and newlines removed. */
const cleanUrl = (value: string) => value.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\n\r]/g, '');
const schemeOf = (value: string) => /^([a-z][a-z0-9+.-]*):/i.exec(cleanUrl(value))?.[1]?.toLowerCase();

// ---------------------------------------------------------------------------------------------
// Reading bytes as text.

const BOMS: [number[], string][] = [
  [[0xef, 0xbb, 0xbf], 'utf-8'],
  [[0xff, 0xfe], 'utf-16le'],
  [[0xfe, 0xff], 'utf-16be'],
];

/** The encoding a label names (its canonical name), or null for one the platform does not know. */
function encodingOf(label: string): string | null {
  try {
    return new TextDecoder(label).encoding;
  } catch {
    return null;
  }
}

function decode(bytes: Buffer, label: string): string | null {
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return null;
  }
}

/** The bytes of a file that say how to read it: its BOM, declared charset and UTF-16 look. */
const HEAD_BYTES = 1024;

/**
 * How a browser could read a file, from its first bytes: by the BOM when there is one (it wins over
 * any header or declaration, and nothing else is tried); otherwise UTF-8, plus the declared charset
 * (<meta charset>, <?xml encoding?>, @charset) and UTF-16 when the bytes look like it.
 */
function labelsFor(bytes: Buffer): { labels: string[]; bom: boolean } {
  for (const [bom, label] of BOMS) if (bom.every((b, i) => bytes[i] === b)) return { labels: [label], bom: true };
  const labels = new Set(['utf-8']);
  const head = bytes.subarray(0, HEAD_BYTES).toString('latin1');
  const declared =
    /<meta\b[^>]{0,512}?charset\s*=\s*["']?\s*([\w.:-]{1,40})/i.exec(head)?.[1] ??
    /^\s*<\?xml\b[^>]{0,200}?encoding\s*=\s*["']([\w.:-]{1,40})/i.exec(head)?.[1] ??
    /^@charset\s+"([\w.:-]{1,40})"/i.exec(head)?.[1];
  if (declared) labels.add(declared.toLowerCase());
  let even = 0;
  let odd = 0;
  const sample = Math.min(bytes.length, HEAD_BYTES);
  for (let i = 0; i < sample; i++) {
    if (bytes[i] !== 0) continue;
    if (i % 2) odd++;
    else even++;
  }
  if (odd > sample / 8 && even < sample / 40) labels.add('utf-16le');
  if (even > sample / 8 && odd < sample / 40) labels.add('utf-16be');
  return { labels: [...labels], bom: false };
}

/** ISO-2022-JP's escapes: a file carrying one anywhere is read that way too. */
const hasIsoEscapes = (bytes: Buffer) => bytes.includes('\x1b$') || bytes.includes('\x1b(');

/**
 * Every reading of the bytes a browser could make: those labelsFor names, and ISO-2022-JP when the
 * bytes carry its escapes (without a BOM).
 */
export function readings(bytes: Buffer): string[] {
  const { labels, bom } = labelsFor(bytes);
  if (bom) return [decode(bytes, labels[0]!)!];
  if (hasIsoEscapes(bytes) && !labels.includes('iso-2022-jp')) labels.push('iso-2022-jp');
  const texts = new Set<string>();
  for (const label of labels) {
    const text = decode(bytes, label);
    if (text !== null) texts.add(text);
  }
  return [...texts];
}

// ---------------------------------------------------------------------------------------------
// What a file is to a browser.

type Kind = 'markup' | 'script' | 'css' | 'skip';
const MARKUP_EXT = /\.(?:html?|shtml|xhtml?|xht|svgz?|xml|xsl|xslt|rss|atom|mml)$/i;
const XML_EXT = /\.(?:xhtml?|xht|svgz?|xml|xsl|xslt|rss|atom|mml)$/i;
const JS_EXT = /\.(?:[mc]?js|jsx)$/i;

/**
 * Images, audio and video are never read: browsers refuse to run them as scripts or render them as
 * pages. Everything else can be (a classic <script src> runs text/plain, fonts, JSON, unknown types).
 */
function kindOf(path: string): Kind {
  if (MARKUP_EXT.test(path)) return 'markup';
  if (/\.css$/i.test(path)) return 'css';
  const type = mime.getType(path) ?? '';
  if (/^(?:image|audio|video)\//.test(type) && type !== 'image/svg+xml') return 'skip';
  return 'script';
}

/**
 * Everything a file's name decides about how it is read (see `scanFileText` and `svgFileOf`). A pass
 * counts only for the same reading: bytes that pass as a stylesheet are read again as a page.
 */
export function readingOf(path: string): string {
  const kind = kindOf(path);
  const flags = [
    kind === 'script' && !mime.getType(path) && 'sniffed',
    JS_EXT.test(path) && 'js',
    XML_EXT.test(path) && 'xml',
    /\.svgz?$/i.test(path) && 'svg',
    /\.s?html?$/i.test(path) && 'html',
  ];
  return [kind, ...flags.filter(Boolean)].join('+');
}

const looksLikeMarkup = (text: string) => /^\s{0,1024}<(?:[!?]|[a-z][\w:-]{0,40}[\s/>])/i.test(text.slice(0, 2048));

// ---------------------------------------------------------------------------------------------
// Scanning.

class Hit extends Error {
  constructor(
    readonly rule: ScanRule,
    readonly detail?: string,
  ) {
    super(rule);
  }
}

const hit = (rule: ScanRule, detail?: string): never => {
  throw new Hit(rule, detail);
};

const MAX_DEPTH = 3;

interface Context {
  depth: number;
  /** Characters of decoded payloads still allowed for this file (base64 and data: URLs nest). */
  budget: { chars: number };
}

/** A literal JS string (quotes kept as group 1, body as 2), at most 4 KB. */
const LITERAL = String.raw`(["'\x60])((?:\\[\s\S]|(?!\1)[^\\]){0,4096})\1`;
const literal = (n: number) => LITERAL.replace('\\1', `\\${n}`).replace('\\1', `\\${n}`);

function unescapeJs(text: string): string {
  return text
    .replace(/\\u\{([0-9a-f]{1,6})\}/gi, (w, h: string) => (parseInt(h, 16) <= 0x10ffff ? String.fromCodePoint(parseInt(h, 16)) : w))
    .replace(/\\u([0-9a-f]{4})|\\x([0-9a-f]{2})/gi, (_w, u?: string, x?: string) => String.fromCharCode(parseInt(u ?? x!, 16)))
    .replace(/\\([0-3][0-7]{2})/g, (_w, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Block comments out, in one linear pass (a regex would go quadratic on many unclosed "/*"). */
function stripBlockComments(text: string): string {
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

/**
 * Code as its author meant it to be read: escapes decoded, comments and runs of whitespace gone,
 * string literals joined ("coin"+"hive.com", `coin${"hive"}`, [..].join(''), .concat, reversed).
 * Scanned beside the raw text, so a wrong guess here can only add hits, never hide one.
 */
export function normalizeScript(text: string): string {
  let s = stripBlockComments(unescapeJs(text))
    .replace(/\s+/g, ' ')
    .replace(/ ?([.[\](),;:=+{}]) ?/g, '$1');
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

const printable = (text: string) => {
  let ok = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127)) ok++;
  }
  return text.length > 0 && ok / text.length > 0.9;
};

/** A data: URL's body as text, or null when it is not one or holds media. */
function dataUrlText(url: string): { text: string; markup: boolean; svg?: boolean } | null {
  const m = /^data:([^,]{0,200}),([\s\S]*)$/i.exec(cleanUrl(url));
  if (!m) return null;
  const type = m[1]!.toLowerCase();
  if (/^(?:image|audio|video|font)\//.test(type) && !type.startsWith('image/svg')) return null;
  let body: Buffer;
  try {
    body = /;base64$/i.test(type) ? Buffer.from(m[2]!, 'base64') : Buffer.from(decodeURIComponent(m[2]!), 'utf8');
  } catch {
    body = Buffer.from(m[2]!, 'latin1');
  }
  return { text: readings(body)[0]!, markup: /html|xml|svg/.test(type), svg: type.startsWith('image/svg') };
}

function base64Text(b64: string): string | null {
  const text = Buffer.from(b64, /[-_]/.test(b64) ? 'base64url' : 'base64').toString('latin1');
  if (text.length >= 8 && printable(text)) return text;
  // Binary (a WebAssembly miner, say): its names are still matched.
  if (text.length >= 256) for (const w of windows(text)) checkPatterns(w, 'any');
  return null;
}

/**
 * Strings hidden in code: base64 literals (atob payloads, Vite's inline workers), fromCharCode
 * lists, %-escaped strings, data: URLs. Each is scanned as code (or markup) in its turn.
 */
function payloads(norm: string): { text: string; markup: boolean; svg?: boolean }[] {
  const out: { text: string; markup: boolean; svg?: boolean }[] = [];
  for (const m of norm.matchAll(/(["'`])([A-Za-z0-9+/_-]{16,}={0,2})\1/g)) {
    let text = base64Text(m[2]!);
    // Base64 of base64 (of base64…): decoded until it is something else.
    for (let again = 0; text && again < 8 && /^[A-Za-z0-9+/_-]{16,}={0,2}$/.test(text.trim()); again++) text = base64Text(text.trim()) ?? text;
    if (text) out.push({ text, markup: looksLikeMarkup(text) });
  }
  for (const m of norm.matchAll(/fromCharCode ?\(((?: ?(?:0x[0-9a-f]{1,6}|\d{1,7}) ?,){2,}(?: ?(?:0x[0-9a-f]{1,6}|\d{1,7})) ?)\)/gi))
    out.push({ text: String.fromCharCode(...m[1]!.split(',').map((n) => Number(n.trim()) & 0xffff)), markup: false });
  for (const m of norm.matchAll(/(["'`])((?:[^"'`%\\]{0,16}%(?:u[0-9a-f]{4}|[0-9a-f]{2})){3,}[^"'`\\]{0,4096})\1/gi)) {
    const text = m[2]!.replace(/%u([0-9a-f]{4})|%([0-9a-f]{2})/gi, (_w, u?: string, x?: string) => String.fromCharCode(parseInt(u ?? x!, 16)));
    out.push({ text, markup: looksLikeMarkup(text) });
  }
  for (const m of norm.matchAll(/\bdata:[\w.+/-]{0,100}(?:;[\w.=-]{1,60}){0,4},[^"'`\s)]{1,4000000}/gi)) {
    const found = dataUrlText(m[0]);
    if (found) out.push(found);
  }
  return out;
}

function nested(text: string, markup: boolean, ctx: Context, svg = false): void {
  if (ctx.depth >= MAX_DEPTH || text.length > ctx.budget.chars) return;
  ctx.budget.chars -= text.length;
  const inner = { ...ctx, depth: ctx.depth + 1 };
  if (markup) scanMarkup(text, inner, { svgFile: svg, xml: svg });
  else scanScript(text, inner);
}

function checkHosts(text: string): void {
  for (const m of text.matchAll(URL_IN_TEXT)) {
    const host = normalizeHost(m[1]!);
    const blocked = blockedHost(host);
    if (blocked) hit('blocked-host', host);
  }
}

/**
 * Whether code sends to an absolute URL: a send call whose arguments (the next few characters) name
 * one, or a send call beside an absolute URL that is not a link's href (`const u = "https://…"`).
 */
function sendsToAbsoluteUrl(code: string): boolean {
  let sends = false;
  for (const m of code.matchAll(SENDS)) {
    if (ABSOLUTE_URL.test(code.slice(m.index, m.index + m[0].length + SEND_ARGUMENT_CHARS))) return true;
    sends = true;
  }
  if (sends) for (const m of code.matchAll(ABSOLUTE_URLS)) if (!/href\s?=\s?\\?["']?$/i.test(code.slice(Math.max(0, m.index - 12), m.index))) return true;
  return false;
}

/** A password read by a script that also sends to an absolute URL close by. */
function checkCredentialScript(text: string, reads: RegExp = CRED.reads.re): void {
  const all = new RegExp(reads.source, 'gi');
  for (const m of text.matchAll(all))
    if (sendsToAbsoluteUrl(text.slice(Math.max(0, m.index - CRED.near), m.index + m[0].length + CRED.near))) hit('credential-script-other-origin');
}

/** Tries a pattern only around its needle: the stretches within its span of an occurrence. */
function matchesNear(p: (typeof PATTERNS)[number], text: string): boolean {
  if (!p.needle) return p.re.test(text);
  let from = -1;
  let to = -1;
  for (const m of text.matchAll(p.needle)) {
    if (to < 0 || m.index - p.span > to) {
      if (to >= 0 && p.re.test(text.slice(from, to))) return true;
      from = Math.max(0, m.index - p.span);
    }
    to = m.index + m[0].length + p.span;
  }
  return to >= 0 && p.re.test(text.slice(from, to));
}

function checkPatterns(text: string, scope: 'script' | 'any'): void {
  for (const p of PATTERNS) if ((scope === 'script' || p.in === 'any') && matchesNear(p, text)) hit(p.id);
}

/**
 * Code: a JS file, an inline script, a handler, a javascript: URL, a decoded payload, and any other
 * file a <script src> could run. `js` adds markup written into strings (innerHTML of a form).
 */
function scanScript(raw: string, ctx: Context, js = true): void {
  const norm = normalizeScript(raw);
  for (const variant of norm === raw ? [raw] : [raw, norm])
    for (const w of windows(variant)) {
      checkPatterns(w, 'script');
      checkHosts(w);
      // Only code reads fields (a README's sample login form is not a script).
      if (js) checkCredentialScript(w);
    }
  // Markup written from code (innerHTML, document.write): quotes inside it are JS-escaped.
  if (js)
    for (const variant of norm === raw ? [raw] : [raw, norm])
      if (/<(?:form|input)\b/i.test(variant)) scanMarkup(variant.replace(/\\(["'/])/g, '$1'), ctx, { svgFile: false, xml: false, credentialsOnly: true });
  for (const p of payloads(norm)) nested(p.text, p.markup, ctx, p.svg);
}

/** Styles: hosts in @import and url(), CSS escapes and comments undone. */
function scanCss(raw: string): void {
  const text = stripBlockComments(raw).replace(/\\([0-9a-f]{1,6})[ \t\n]?|\\([^\n0-9a-f])/gi, (_w, hex?: string, ch?: string) =>
    hex ? String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)) : ch!,
  );
  for (const w of windows(text)) checkHosts(w);
}

/** Where an XML document declares its entities: its first 64 KiB (the DTD comes first). */
const DTD_CHARS = 65536;

/** The internal entities an XML document declares (name → value). */
function declaredEntities(text: string): Map<string, string> {
  const declared = new Map<string, string>();
  for (const m of text.slice(0, DTD_CHARS).matchAll(/<!ENTITY\s+([\w.:-]{1,64})\s+(["'])([\s\S]{0,8192}?)\2\s*>/g)) declared.set(m[1]!, m[3]!);
  return declared;
}

/** Nested entities expand again, within a budget (a "billion laughs" file stays unexpanded past it). */
function expandEntities(text: string, declared: Map<string, string>, budget: { chars: number }): string {
  let out = text;
  for (let pass = 0; pass < 4; pass++) {
    const next = out.replace(/&([\w.:-]{1,64});/g, (w, name: string) => {
      const value = declared.get(name);
      if (value === undefined || value.length > budget.chars) return w;
      budget.chars -= value.length;
      return value;
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/** Expands the internal entities an XML document declares (XML parsers do; an HTML tokenizer doesn't). */
function expandXmlEntities(text: string): string {
  const declared = declaredEntities(text);
  return declared.size === 0 ? text : expandEntities(text, declared, { chars: 4 * text.length + 1e6 });
}

const LOAD_ATTRS = new Set([
  'src',
  'href',
  'xlink:href',
  'data',
  'action',
  'formaction',
  'poster',
  'background',
  'ping',
  'manifest',
  'codebase',
  'archive',
  'lowsrc',
  'dynsrc',
  'longdesc',
  'cite',
  'icon',
  'profile',
  'usemap',
]);
const NAVIGATION_TAGS = new Set(['a', 'area']);

interface Field {
  form: number | null;
  formAttr: string | null;
  password: boolean;
  textLike: boolean;
}
interface Form {
  action: string | null;
  id: string | null;
  handlers: string[];
}

/** The browser's reading of a page, kept to what the rules look at. */
class PageReader extends SAXParser {
  base: string | null = null;
  forms: Form[] = [];
  fields: Field[] = [];
  formActions: string[] = [];
  ids = new Map<string, number | 'other'>();
  loads: string[] = [];
  refreshes: string[] = [];
  scripts: string[] = [];
  styles: string[] = [];
  prose: string[] = [];
  nestedMarkup: string[] = [];
  dataUrls: string[] = [];
  passwordHandlers: string[] = [];
  svgScripts = 0;
  svgHandlers: string[] = [];
  svgJavascriptUrls = 0;
  private pointer: number | null = null;
  private inside: 'script' | 'style' | 'noscript' | null = null;
  private textParts: string[] = [];

  constructor(private readonly svgFile: boolean) {
    super();
  }

  readPage(text: string): this {
    this.tokenizer.write(text, true);
    return this;
  }

  /** A page read as it streams: the next piece of its text (`last` ends it). */
  readPiece(text: string, last: boolean): this {
    this.tokenizer.write(text, last);
    return last ? this.flush() : this;
  }

  /** Takes the texts read so far: a streamed page handles them as they come and keeps only its structure. */
  takeTexts(): Pick<PageReader, 'scripts' | 'styles' | 'prose' | 'nestedMarkup' | 'dataUrls'> {
    const texts = { scripts: this.scripts, styles: this.styles, prose: this.prose, nestedMarkup: this.nestedMarkup, dataUrls: this.dataUrls };
    [this.scripts, this.styles, this.prose, this.nestedMarkup, this.dataUrls] = [[], [], [], [], []];
    return texts;
  }

  protected override emitIfListenerExists(event: string, token: SaxToken): boolean {
    if (event === 'startTag') this.openTag(token as StartTag);
    else if (event === 'endTag') this.closeTag((token as StartTag).tagName);
    else if (event === 'text') {
      const text = (token as { text: string }).text;
      if (this.inside) this.textParts.push(text);
      else this.prose.push(text);
    }
    return true;
  }

  private openTag(tag: StartTag): void {
    const name = tag.tagName.toLowerCase();
    const local = name.slice(name.lastIndexOf(':') + 1);
    const attrs = new Map<string, string>();
    for (const a of tag.attrs) {
      const key = (a.prefix ? `${a.prefix}:${a.name}` : a.name).toLowerCase();
      if (!attrs.has(key)) attrs.set(key, a.value);
    }
    const id = attrs.get('id');
    if (id && !this.ids.has(id)) this.ids.set(id, 'other');
    for (const [key, value] of attrs) {
      if (key.startsWith('on')) {
        this.scripts.push(value);
        if (this.svgFile) this.svgHandlers.push(value);
      }
      if (key === 'style') this.styles.push(value);
      const scheme = schemeOf(value);
      if (scheme === 'javascript' || scheme === 'vbscript') {
        const body = cleanUrl(value).replace(/^[a-z]+:/i, '');
        this.scripts.push(safeDecodeURI(body));
        if (this.svgFile && /(?:^|:)href$|^(?:to|from|by|values)$/.test(key)) this.svgJavascriptUrls++;
      } else if (scheme === 'data') this.dataUrls.push(value);
      // An animation may set href to any of a list of values: "0;javascript:...".
      if (this.svgFile && key === 'values' && value.split(';').some((v) => schemeOf(v) === 'javascript')) this.svgJavascriptUrls++;
      if (LOAD_ATTRS.has(key) && !(NAVIGATION_TAGS.has(local) && key.endsWith('href'))) this.loads.push(value);
    }
    switch (local) {
      case 'base':
        if (this.base === null && attrs.has('href')) this.base = attrs.get('href')!;
        break;
      case 'form':
        if (this.pointer === null) {
          this.pointer = this.forms.push({ action: attrs.get('action') ?? null, id: id ?? null, handlers: [] }) - 1;
          if (id) this.ids.set(id, this.pointer);
          for (const [key, value] of attrs) if (key.startsWith('on')) this.forms[this.pointer]!.handlers.push(value);
        }
        break;
      case 'input':
      case 'button':
      case 'select':
      case 'textarea': {
        const type = (attrs.get('type') ?? '').trim().toLowerCase();
        const names = `${attrs.get('name') ?? ''} ${attrs.get('id') ?? ''}`;
        const field: Field = {
          form: this.pointer,
          formAttr: attrs.get('form') ?? null,
          password:
            local === 'input' &&
            (type === 'password' ||
              /password/i.test(attrs.get('autocomplete') ?? '') ||
              (type !== 'hidden' && type !== 'submit' && CRED.fieldName.test(names))),
          textLike: local === 'input' && ['', 'text', 'search', 'tel'].includes(type),
        };
        this.fields.push(field);
        // A password field's own handlers (onblur="fetch(...)") act on it.
        if (field.password) for (const [key, value] of attrs) if (key.startsWith('on')) this.passwordHandlers.push(value);
        if (attrs.has('formaction')) this.formActions.push(attrs.get('formaction')!);
        if (this.pointer !== null && (local === 'button' || type === 'submit' || type === 'image'))
          for (const [key, value] of attrs) if (key.startsWith('on')) this.forms[this.pointer]!.handlers.push(value);
        break;
      }
      case 'meta':
        if ((attrs.get('http-equiv') ?? '').trim().toLowerCase() === 'refresh') this.refreshes.push(attrs.get('content') ?? '');
        break;
      case 'iframe':
        if (attrs.has('srcdoc')) this.nestedMarkup.push(attrs.get('srcdoc')!);
        break;
      case 'script':
        if (this.svgFile) this.svgScripts++;
        this.openElement('script');
        break;
      case 'style':
        this.openElement('style');
        break;
      case 'noscript':
        this.openElement('noscript');
        break;
    }
  }

  private openElement(kind: 'script' | 'style' | 'noscript'): void {
    this.flush();
    this.inside = kind;
  }

  private closeTag(tagName: string): void {
    const local = tagName.toLowerCase().slice(tagName.lastIndexOf(':') + 1);
    if (local === 'form') this.pointer = null;
    if (local === this.inside) this.flush();
  }

  /** Text of an element that ended (or never did: the end of the page closes it). */
  flush(): this {
    const text = this.textParts.join('');
    if (this.inside === 'script') this.scripts.push(text);
    if (this.inside === 'style') this.styles.push(text);
    if (this.inside === 'noscript') this.nestedMarkup.push(text);
    this.inside = null;
    this.textParts = [];
    return this;
  }
}

function safeDecodeURI(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-f]{2})/gi, (_w, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** Where a form's action sends, when that is another site (null: the page itself, or no network). */
function offSite(action: string | null, base: string): string | null {
  if (action === null || action.trim() === '') return null;
  try {
    const u = new URL(action, base);
    if (u.protocol === 'mailto:') return u.pathname || 'an email address';
    if (!/^(?:https?|wss?|ftp):$/.test(u.protocol)) return null;
    const host = u.hostname.replace(/\.+$/, '');
    return host === SITE_HOST ? null : host;
  } catch {
    return null;
  }
}

interface MarkupOptions {
  svgFile: boolean;
  xml: boolean;
  /** Markup found inside code: only the password-form rules apply to it. */
  credentialsOnly?: boolean;
}

function scanMarkup(text: string, ctx: Context, opts: MarkupOptions): void {
  const source = opts.xml ? expandXmlEntities(text) : text;
  const page = new PageReader(opts.svgFile).readPage(source).flush();
  const formReads = checkPage(
    page,
    page.styles.some((s) => CRED.textSecurity.re.test(s)),
    opts,
  );
  if (opts.credentialsOnly) return;

  for (const style of page.styles) scanCss(style);
  // Each script on its own: a password read is tied to a send in the same script, not to an
  // analytics snippet elsewhere on the page.
  for (const script of page.scripts) scanPageScript(script, ctx, opts, formReads);

  // Text a <script src> pointing at this page would run (prose itself is free to name a miner).
  const prose = page.prose.join(' ');
  for (const w of windows(prose)) checkProse(w);
  for (const w of windows(source)) checkPatterns(w, 'any');

  for (const inner of page.nestedMarkup) nested(inner, true, ctx);
  for (const url of page.dataUrls) nestedDataUrl(url, ctx);
}

/**
 * A page's structure against the rules (password forms and where they send, scripted SVG, meta
 * refreshes, what it loads); answers how its scripts may name its password forms, if it has any.
 */
function checkPage(page: PageReader, textSecurity: boolean, opts: MarkupOptions): RegExp | null {
  let base = SITE;
  try {
    if (page.base !== null) base = new URL(page.base, SITE).href;
  } catch {
    // An invalid <base href> is ignored by browsers too.
  }
  const passwordOwners = passwordForms(page, textSecurity);
  checkCredentialForms(page, base, passwordOwners);
  if (opts.credentialsOnly) return null;
  const formReads = passwordFormReads(page, passwordOwners);

  if (page.svgScripts > 0) hit('svg-script');
  if (page.svgJavascriptUrls > 0) hit('svg-javascript-url');
  for (const handler of page.svgHandlers) if (SVG_HANDLER.re.test(handler) || SVG_HANDLER.re.test(normalizeScript(handler))) hit('svg-event-handler');

  for (const content of page.refreshes) {
    const target = /^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?["']?\s*([^"']*)/i.exec(content)?.[1] ?? '';
    if (rules.refreshSchemes.includes(`${schemeOf(target) ?? ''}:`)) hit('meta-refresh-to-script');
    page.loads.push(target);
  }
  for (const value of page.loads) {
    const host = urlHost(value, base);
    if (host && blockedHost(host)) hit('blocked-host', host);
  }
  return formReads;
}

/** One script of a page (an element, a handler, a javascript: URL); `formReads` when the page has password forms. */
function scanPageScript(script: string, ctx: Context, opts: MarkupOptions, formReads: RegExp | null): void {
  scanScript(script, ctx);
  if (opts.xml && script.includes('&')) scanScript(decodeXML(script), ctx);
  if (formReads) checkFormReads(script, formReads);
}

const checkFormReads = (script: string, formReads: RegExp) => {
  for (const w of windows(normalizeScript(script))) checkCredentialScript(w, formReads);
};

function checkProse(text: string): void {
  checkPatterns(text, 'any');
  checkHosts(text);
}

function nestedDataUrl(url: string, ctx: Context): void {
  const found = dataUrlText(url);
  if (found) nested(found.text, found.markup || looksLikeMarkup(found.text), ctx, found.svg);
}

/** Whether a page has password fields (or text fields masked by CSS), and the forms they belong to (-1: none). */
function passwordForms(page: PageReader, textSecurity: boolean): Set<number> {
  const forms = new Set<number>();
  let anyPassword = false;
  for (const f of page.fields) {
    if (!f.password && !(textSecurity && f.textLike)) continue;
    anyPassword = true;
    const owner = f.formAttr !== null ? page.ids.get(f.formAttr) : f.form;
    if (typeof owner === 'number') forms.add(owner);
  }
  if (anyPassword) forms.add(-1);
  return forms;
}

/** Handlers of a password form or field that send to an absolute URL. */
function sendsAway(handlers: string[]): void {
  for (const handler of handlers) if (sendsToAbsoluteUrl(normalizeScript(handler))) hit('credential-script-other-origin');
}

function checkCredentialForms(page: PageReader, base: string, forms: Set<number>): void {
  if (forms.size === 0) return;
  for (const n of forms) {
    if (n < 0) continue;
    const form = page.forms[n]!;
    const to = offSite(form.action, base);
    if (to) hit('credential-form-other-origin', to);
    sendsAway(form.handlers);
  }
  sendsAway(page.passwordHandlers);
  // A button's formaction overrides its form's action: any that leaves, on a page with a password.
  for (const action of page.formActions) {
    const to = offSite(action, base);
    if (to) hit('credential-form-other-origin', to);
  }
}

/** How a page's scripts pick its password form: by its id, or through document.forms. */
function passwordFormReads(page: PageReader, forms: Set<number>): RegExp | null {
  if (forms.size === 0) return null;
  const ids = [...forms].flatMap((n) => (n >= 0 && page.forms[n]!.id && page.forms[n]!.id!.length >= 3 ? [page.forms[n]!.id!] : []));
  const escaped = ids.map((id) => id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp([...escaped.map((id) => `${QUOTE}#?${id}${QUOTE}|\\.forms\\.${id}\\b`), String.raw`\bdocument\s?\.\s?forms\b`].join('|'), 'i');
}

/** A file's first hit as the scan reports it. */
function hitIn(path: string, e: Hit): ScanHit {
  return { rule: e.rule, description: rules.rules[e.rule] + (e.detail ? ` (${e.detail})` : ''), path };
}

/** What gzip may inflate to before its content is left unread (a bomb), as in scanBytes. */
const GUNZIP_LIMIT = 64 * 1024 * 1024;
const isGzip = (bytes: Buffer) => bytes[0] === 0x1f && bytes[1] === 0x8b;

/** The first rule a file breaks, if any. */
export function scanBytes(path: string, bytes: Buffer): ScanHit | null {
  const kind = kindOf(path);
  if (kind === 'skip') return null;
  const texts = readings(bytes);
  if (isGzip(bytes)) {
    try {
      texts.push(...readings(gunzipSync(bytes, { maxOutputLength: GUNZIP_LIMIT })));
    } catch {
      // Not gzip after all: the bytes as they are were read above.
    }
  }
  try {
    for (const text of texts) scanFileText(path, kind, text);
  } catch (e) {
    if (!(e instanceof Hit)) throw e;
    return hitIn(path, e);
  }
  return null;
}

/** The first rule a file's text breaks, if any (tests and callers holding text). */
export function scanText(path: string, text: string): ScanHit | null {
  return scanBytes(path, Buffer.from(text, 'utf8'));
}

/** Whether the text of an unknown type looks like an SVG document, from its start. */
const svgFileOf = (path: string, text: string) =>
  /\.svgz?$/i.test(path) ||
  (!/\.s?html?$/i.test(path) && /^\s{0,1024}(?:<\?xml[^>]{0,200}>\s{0,1024})?(?:<!--[\s\S]{0,2000}?-->\s{0,256})?<svg\b/i.test(text.slice(0, 8192)));

/** Every decoding shrinks its input, so four times the file bounds the work of nested payloads. */
const payloadBudget = (chars: number) => Math.max(8 * 1024 * 1024, 4 * chars);

function scanFileText(path: string, kind: Kind, text: string): void {
  const ctx: Context = { depth: 0, budget: { chars: payloadBudget(text.length) } };
  const svgFile = svgFileOf(path, text);
  if (kind === 'markup') scanMarkup(text, ctx, { svgFile, xml: XML_EXT.test(path) });
  else {
    // An unknown type may be sniffed as a page, and anything may be run as a classic script.
    if (kind === 'script' && !mime.getType(path) && looksLikeMarkup(text)) scanMarkup(text, ctx, { svgFile, xml: /^\s*<\?xml/i.test(text) || svgFile });
    if (kind === 'css') scanCss(text);
    scanScript(text, ctx, JS_EXT.test(path));
  }
}

// ---------------------------------------------------------------------------------------------
// Files larger than a window, read as they stream: no file is ever whole in memory. Each reading is
// decoded piece by piece and cut into exactly the windows a whole text would be cut into; a page is
// parsed as it comes (a script, a style, a text run are each one piece, as the whole-text scan sees
// them) and its structure checked at its end.

/** Files up to this size are read whole: every reading of them fits in one window. */
const WHOLE_FILE_BYTES = SCAN_WINDOW.chars;
/** Bytes decoded at once, whatever the size of the store's chunks. */
const DECODE_BYTES = 1024 * 1024;
/** The start of a text that decides how it is read (an SVG, a page, an XML document with its entities). */
const HEAD_CHARS = DTD_CHARS;

/** One reading of a file, fed as it is decoded. */
interface TextSink {
  push(text: string): void;
  /** The text is complete; answers a sink that needs the same reading once more, if any. */
  end(): TextSink | null;
}

/** Cuts text arriving in pieces into exactly the windows `windows()` cuts the whole text into. */
function windowSink(check: (window: string) => void): TextSink {
  const { chars, overlap } = SCAN_WINDOW;
  let text = '';
  return {
    push(piece) {
      text += piece;
      while (text.length > chars) {
        check(text.slice(0, chars));
        text = text.slice(chars - overlap);
      }
    },
    end() {
      check(text);
      return null;
    },
  };
}

/** The streamed scanFileText: how to read the file is decided from the head of its text, then every part is checked as it comes. */
function fileTextSink(path: string, kind: Exclude<Kind, 'skip'>): TextSink {
  const ctx: Context = { depth: 0, budget: { chars: payloadBudget(0) } };
  let seen = 0;
  let head = '';
  let parts: TextSink[] | null = null;
  const start = () => {
    const svgFile = svgFileOf(path, head);
    parts = [];
    if (kind === 'markup') parts.push(pageSink(ctx, { svgFile, xml: XML_EXT.test(path) }, head));
    else {
      if (kind === 'script' && !mime.getType(path) && looksLikeMarkup(head))
        parts.push(pageSink(ctx, { svgFile, xml: /^\s*<\?xml/i.test(head) || svgFile }, head));
      const js = JS_EXT.test(path);
      parts.push(
        windowSink((w) => {
          if (kind === 'css') scanCss(w);
          scanScript(w, ctx, js);
        }),
      );
    }
    for (const part of parts) part.push(head);
  };
  return {
    push(text) {
      // The budget grows with the text, to what the whole text would have had.
      ctx.budget.chars += payloadBudget(seen + text.length) - payloadBudget(seen);
      seen += text.length;
      if (parts) for (const part of parts) part.push(text);
      else {
        head += text;
        if (head.length >= HEAD_CHARS) start();
      }
    },
    end() {
      if (!parts) start();
      // Only a page asks for its text again, and a file is read as one page at most.
      const again = parts!.map((part) => part.end());
      return again.find((sink) => sink !== null) ?? null;
    },
  };
}

/**
 * A page (or SVG, or XML document) parsed as it streams, its scripts, styles, text and nested
 * documents checked as they complete, its structure at its end. When the page has password forms,
 * its scripts are read once more (the answered sink) to look for reads of those forms, wherever on
 * the page they are. As in scanMarkup, the structure's rules come first: after a hit in its texts the
 * page is still parsed to its end, and a hit of its structure is the one reported.
 */
function pageSink(ctx: Context, opts: MarkupOptions, head: string, formReads: RegExp | null = null): TextSink {
  const declared = opts.xml ? declaredEntities(head) : new Map<string, string>();
  const entityBudget = { chars: 1e6 };
  let cut = '';
  /** Entities expanded piece by piece; a reference cut at a piece's end waits for the next piece. */
  const expand = (text: string, last: boolean) => {
    if (declared.size === 0) return text;
    entityBudget.chars += 4 * text.length;
    let whole = cut + text;
    const partial = last ? null : /&[\w.:-]{0,64}$/.exec(whole);
    cut = partial ? partial[0] : '';
    if (partial) whole = whole.slice(0, partial.index);
    return expandEntities(whole, declared, entityBudget);
  };
  const page = new PageReader(opts.svgFile);
  const source = windowSink((w) => checkPatterns(w, 'any'));
  const prose = windowSink(checkProse);
  let proseStarted = false;
  let textSecurity = false;
  let textHit: Hit | null = null;
  const read = (text: string, last: boolean) => {
    const expanded = expand(text, last);
    page.readPiece(expanded, last);
    const texts = page.takeTexts();
    for (const style of texts.styles) textSecurity ||= CRED.textSecurity.re.test(style);
    if (textHit) return;
    try {
      checkTexts(expanded, texts);
    } catch (e) {
      if (!(e instanceof Hit)) throw e;
      textHit = e;
    }
  };
  const checkTexts = (expanded: string, texts: ReturnType<PageReader['takeTexts']>) => {
    if (formReads) {
      for (const script of texts.scripts) checkFormReads(script, formReads);
      return;
    }
    source.push(expanded);
    for (const style of texts.styles) scanCss(style);
    for (const script of texts.scripts) scanPageScript(script, ctx, opts, null);
    for (const piece of texts.prose) {
      prose.push(proseStarted ? ` ${piece}` : piece);
      proseStarted = true;
    }
    for (const inner of texts.nestedMarkup) nested(inner, true, ctx);
    for (const url of texts.dataUrls) nestedDataUrl(url, ctx);
  };
  return {
    push: (text) => read(text, false),
    end() {
      read('', true);
      if (formReads) {
        if (textHit) throw textHit;
        return null;
      }
      const reads = checkPage(page, textSecurity, opts);
      if (textHit) throw textHit;
      prose.end();
      source.end();
      return reads ? pageSink(ctx, opts, head, reads) : null;
    },
  };
}

/**
 * One pass over a file's bytes: each reading the head of the bytes calls for (`sinksFor`) is decoded
 * as the bytes come and fed to its sink. Answers whether the bytes carry ISO-2022-JP's escapes (known
 * only at their end) and the sinks that need their reading once more.
 */
async function readPass(
  bytes: AsyncIterable<Buffer>,
  sinksFor: (head: Buffer) => [string, TextSink][],
): Promise<{ escapes: boolean; again: [string, TextSink][] }> {
  let readers: { label: string; decoder: TextDecoder; sink: TextSink }[] | null = null;
  const waiting: Buffer[] = [];
  let escapes = false;
  let lastByte = -1;
  const feed = (piece: Buffer) => {
    escapes ||= hasIsoEscapes(piece) || (lastByte === 0x1b && (piece[0] === 0x24 || piece[0] === 0x28));
    lastByte = piece[piece.length - 1]!;
    for (const r of readers!) r.sink.push(r.decoder.decode(piece, { stream: true }));
  };
  const start = () => {
    const encodings = new Set<string>();
    readers = [];
    for (const [label, sink] of sinksFor(Buffer.concat(waiting))) {
      // A charset the platform does not know gives no reading (as decode() answers null); two names
      // of one encoding give one.
      const encoding = encodingOf(label);
      if (encoding === null || encodings.has(encoding)) continue;
      encodings.add(encoding);
      readers.push({ label, decoder: new TextDecoder(label), sink });
    }
    for (const piece of waiting.splice(0)) if (piece.length) feed(piece);
  };
  let headBytes = 0;
  let sinceTurn = 0;
  for await (const chunk of bytes) {
    for (let at = 0; at < chunk.length; at += DECODE_BYTES) {
      const piece = chunk.subarray(at, at + DECODE_BYTES);
      if (readers) feed(piece);
      else {
        waiting.push(piece);
        headBytes += piece.length;
        if (headBytes >= HEAD_BYTES) start();
      }
      // Other requests get a turn every megabyte, even when the store hands over one large chunk.
      sinceTurn += piece.length;
      if (sinceTurn >= DECODE_BYTES) {
        sinceTurn = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
  }
  if (!readers) start();
  const again: [string, TextSink][] = [];
  for (const r of readers!) {
    r.sink.push(r.decoder.decode());
    const sink = r.sink.end();
    if (sink) again.push([r.label, sink]);
  }
  return { escapes, again };
}

/** Every reading of a file's bytes through its sinks, in as many passes as the file needs; answers the file's head. */
async function scanReadings(path: string, kind: Exclude<Kind, 'skip'>, open: () => Promise<AsyncIterable<Buffer>>): Promise<Buffer> {
  let head: Buffer = Buffer.alloc(0);
  let bom = false;
  let labels: string[] = [];
  const first = await readPass(await open(), (h) => {
    head = h;
    ({ labels, bom } = labelsFor(h));
    return labels.map((label) => [label, fileTextSink(path, kind)]);
  });
  let again = first.again;
  // The escapes may come last: that reading then takes a pass of its own.
  if (!bom && first.escapes && !labels.some((label) => encodingOf(label) === 'iso-2022-jp')) again.push(['iso-2022-jp', fileTextSink(path, kind)]);
  while (again.length) {
    const sinks = again;
    again = (await readPass(await open(), () => sinks)).again;
  }
  return head;
}

/** A stream inflated, refused past the limit scanBytes gives gunzipSync. */
async function* inflated(stream: Readable): AsyncGenerator<Buffer> {
  const gunzip = createGunzip();
  stream.on('error', (err) => gunzip.destroy(err));
  stream.pipe(gunzip);
  let total = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > GUNZIP_LIMIT) throw new RangeError('inflates past the limit');
      yield chunk;
    }
  } finally {
    stream.destroy();
    gunzip.destroy();
  }
}

/**
 * The first rule a file breaks, read as it streams (`open` gives a fresh stream each call; a file may
 * take more than one pass): every reading of it, then of what it inflates to when it is gzip. What the
 * scan does with files larger than a window.
 */
export async function scanStream(path: string, open: () => Promise<Readable>): Promise<ScanHit | null> {
  const kind = kindOf(path);
  if (kind === 'skip') return null;
  try {
    const head = await scanReadings(path, kind, open);
    if (!isGzip(head)) return null;
    try {
      await scanReadings(path, kind, async () => inflated(await open()));
    } catch (e) {
      // As gunzipSync: the inflated text counts only if the whole file inflates, within the limit.
      if (!(e instanceof Hit)) return null;
      try {
        for await (const _ of inflated(await open()));
      } catch {
        return null;
      }
      throw e;
    }
  } catch (e) {
    if (!(e instanceof Hit)) throw e;
    return hitIn(path, e);
  }
  return null;
}

/** Small files read whole at once from the store, within the bytes of a batch. */
const READS = 8;
/** Small files read whole per batch: at most this many bytes (by declared size), and 200 files. */
const BATCH_BYTES = 16 * 1024 * 1024;

/**
 * Scans every file of the site a browser could run or render and that has not passed under these
 * rules; throws a 400 naming the rule and the file at the first hit. A hit depends on the bytes
 * only, so clean bytes are remembered. Files are read as streams: small ones whole (a batch at a
 * time), larger ones through the windows as they stream.
 */
export async function scanSite(manifest: Manifest, store: ScanStore): Promise<void> {
  // Each blob under each of the readings its paths give it; a pass is remembered per reading.
  const byReading = new Map<string, Map<string, string>>();
  for (const [path, e] of Object.entries(manifest)) {
    if (kindOf(path) === 'skip') continue;
    const mark = `${SCAN_VERSION}/${readingOf(path)}`;
    const shas = byReading.get(mark) ?? new Map<string, string>();
    if (!shas.has(e.sha256)) shas.set(e.sha256, path);
    byReading.set(mark, shas);
  }
  const pending: [sha: string, path: string, mark: string][] = [];
  for (const [mark, shas] of byReading) {
    const passed = await store.passedScan([...shas.keys()], mark);
    for (const [sha, path] of shas) if (!passed.has(sha)) pending.push([sha, path, mark]);
  }
  const sizes = new Map(Object.values(manifest).map((e) => [e.sha256, e.size]));
  const whole = (sha: string) => (sizes.get(sha) ?? 0) <= WHOLE_FILE_BYTES;
  let batch: typeof pending = [];
  let batchBytes = 0;
  const flush = async () => {
    if (batch.length === 0) return;
    const bytes = new Map<string, Buffer>();
    await forEachConcurrently(
      [...new Set(batch.filter(([sha]) => whole(sha)).map(([sha]) => sha))],
      READS,
      async (sha) => void bytes.set(sha, await readAll(await store.open(sha))),
    );
    for (const [sha, path] of batch) {
      const found = bytes.has(sha) ? scanBytes(path, bytes.get(sha)!) : await scanStream(path, () => store.open(sha));
      if (found)
        throw new AppError(
          'BAD_REQUEST',
          `This site can't be deployed: ${found.path} contains ${found.description} (rule "${found.rule}"). Remove it and deploy again.`,
        );
    }
    for (const mark of new Set(batch.map(([, , m]) => m)))
      await store.markScanned(
        batch.filter(([, , m]) => m === mark).map(([sha]) => sha),
        mark,
      );
    batch = [];
    batchBytes = 0;
  };
  for (const entry of pending) {
    const size = whole(entry[0]) ? (sizes.get(entry[0]) ?? 0) : 0;
    if (batch.length >= 200 || (batch.length > 0 && batchBytes + size > BATCH_BYTES)) await flush();
    batch.push(entry);
    batchBytes += size;
  }
  await flush();
}
