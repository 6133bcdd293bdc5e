// A page read by the standard HTML tokenizer (parse5's SAX parser), as a browser reads it, keeping what the
// rules look at: forms and fields, what it loads, its scripts, styles, prose and nested documents.
import { SAXParser, type SaxToken, type StartTag } from 'parse5-sax-parser';
import { cleanUrl, schemeOf } from './hosts';
import { CRED } from './rules';

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
export class PageReader extends SAXParser {
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
      const text = flat((token as { text: string }).text);
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
      if (!attrs.has(key)) attrs.set(key, flat(a.value));
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

/**
 * The string as one piece. The tokenizer builds a text or an attribute's value with `+=`, a word or a
 * character at a time: V8 keeps such a string as a tree of its pieces until something reads its
 * characters. Kept until the page is checked, those trees were most of the scan's garbage collection
 * (a page took 2.5 times as long to read). Reading a character makes V8 flatten it; the character is
 * compared, so that no compiler drops the read as unused (charCodeAt never answers -1).
 */
const flat = (text: string): string => (text.charCodeAt(0) === -1 ? '' : text);

function safeDecodeURI(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%([0-9a-f]{2})/gi, (_w, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}
