// A file's text scanned whole: code, styles and pages, and the payloads and documents nested in them, each
// scanned in its turn (within a depth and a budget).
import { decodeXML } from 'entities';
import mime from 'mime';
import { JS_EXT, type Kind, looksLikeMarkup, svgFileOf, XML_EXT } from './kinds';
import { normalizeScript, stripBlockComments } from './normalize-script';
import { checkFormReads, checkPage, type MarkupOptions } from './page-checks';
import { PageReader } from './page-reader';
import { dataUrlText, payloads } from './payloads';
import { CRED, windows } from './rules';
import { checkCredentialScript, checkHosts, checkPatterns, checkProse } from './text-checks';
import { expandXmlEntities } from './xml-entities';

const MAX_DEPTH = 3;

export interface Context {
  depth: number;
  /** Characters of decoded payloads still allowed for this file (base64 and data: URLs nest). */
  budget: { chars: number };
}

export function nested(text: string, markup: boolean, ctx: Context, svg = false): void {
  if (ctx.depth >= MAX_DEPTH || text.length > ctx.budget.chars) return;
  ctx.budget.chars -= text.length;
  const inner = { ...ctx, depth: ctx.depth + 1 };
  if (markup) scanMarkup(text, inner, { svgFile: svg, xml: svg });
  else scanScript(text, inner);
}

/**
 * Code: a JS file, an inline script, a handler, a javascript: URL, a decoded payload, and any other
 * file a <script src> could run. `js` adds markup written into strings (innerHTML of a form).
 */
export function scanScript(raw: string, ctx: Context, js = true): void {
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
export function scanCss(raw: string): void {
  const text = stripBlockComments(raw).replace(/\\([0-9a-f]{1,6})[ \t\n]?|\\([^\n0-9a-f])/gi, (_w, hex?: string, ch?: string) =>
    hex ? String.fromCodePoint(Math.min(parseInt(hex, 16), 0x10ffff)) : ch!,
  );
  for (const w of windows(text)) checkHosts(w);
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

/** One script of a page (an element, a handler, a javascript: URL); `formReads` when the page has password forms. */
export function scanPageScript(script: string, ctx: Context, opts: MarkupOptions, formReads: RegExp | null): void {
  scanScript(script, ctx);
  if (opts.xml && script.includes('&')) scanScript(decodeXML(script), ctx);
  if (formReads) checkFormReads(script, formReads);
}

export function nestedDataUrl(url: string, ctx: Context): void {
  const found = dataUrlText(url);
  if (found) nested(found.text, found.markup || looksLikeMarkup(found.text), ctx, found.svg);
}

/** Every decoding shrinks its input, so four times the file bounds the work of nested payloads. */
export const payloadBudget = (chars: number) => Math.max(8 * 1024 * 1024, 4 * chars);

export function scanFileText(path: string, kind: Kind, text: string): void {
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
