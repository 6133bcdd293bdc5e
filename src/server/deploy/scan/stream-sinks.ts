// Files larger than a window, read as they stream: no file is ever whole in memory. Each reading is
// decoded piece by piece and cut into exactly the windows a whole text would be cut into; a page is
// parsed as it comes (a script, a style, a text run are each one piece, as the whole-text scan sees
// them) and its structure checked at its end.
import mime from 'mime';
import { Hit } from './hits';
import { JS_EXT, type Kind, looksLikeMarkup, svgFileOf, XML_EXT } from './kinds';
import { checkFormReads, checkPage, type MarkupOptions } from './page-checks';
import { PageReader } from './page-reader';
import { CRED, SCAN_WINDOW } from './rules';
import { checkPatterns, checkProse } from './text-checks';
import { type Context, nested, nestedDataUrl, payloadBudget, scanCss, scanPageScript, scanScript } from './text-scan';
import { declaredEntities, DTD_CHARS, expandEntities } from './xml-entities';

/** The start of a text that decides how it is read (an SVG, a page, an XML document with its entities). */
const HEAD_CHARS = DTD_CHARS;

/** One reading of a file, fed as it is decoded. */
export interface TextSink {
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
export function fileTextSink(path: string, kind: Exclude<Kind, 'skip'>): TextSink {
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
