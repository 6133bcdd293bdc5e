// What a file is to a browser (page, script, stylesheet, or media never read), from its name and start:
// it decides which checks a file gets, and a pass is remembered per reading.
import mime from 'mime';
import { SCAN_VERSION } from './rules';

export type Kind = 'markup' | 'script' | 'css' | 'skip';
const MARKUP_EXT = /\.(?:html?|shtml|xhtml?|xht|svgz?|xml|xsl|xslt|rss|atom|mml)$/i;
export const XML_EXT = /\.(?:xhtml?|xht|svgz?|xml|xsl|xslt|rss|atom|mml)$/i;
export const JS_EXT = /\.(?:[mc]?js|jsx)$/i;

/**
 * Images, audio and video are never read: browsers refuse to run them as scripts or render them as
 * pages. Everything else can be (a classic <script src> runs text/plain, fonts, JSON, unknown types).
 */
export function kindOf(path: string): Kind {
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

/** Under what a pass is remembered: the rules' version and the reading. */
export const scanMarkOf = (path: string) => `${SCAN_VERSION}/${readingOf(path)}`;

export const looksLikeMarkup = (text: string) => /^\s{0,1024}<(?:[!?]|[a-z][\w:-]{0,40}[\s/>])/i.test(text.slice(0, 2048));

/** Whether the text of an unknown type looks like an SVG document, from its start. */
export const svgFileOf = (path: string, text: string) =>
  /\.svgz?$/i.test(path) ||
  (!/\.s?html?$/i.test(path) && /^\s{0,1024}(?:<\?xml[^>]{0,200}>\s{0,1024})?(?:<!--[\s\S]{0,2000}?-->\s{0,256})?<svg\b/i.test(text.slice(0, 8192)));
