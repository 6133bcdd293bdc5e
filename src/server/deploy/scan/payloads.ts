// Strings hidden in code (base64, fromCharCode, %-escapes, data: URLs) decoded, to be scanned in their turn.
import { cleanUrl } from './hosts';
import { looksLikeMarkup } from './kinds';
import { readings } from './readings';
import { windows } from './rules';
import { checkPatterns } from './text-checks';

const printable = (text: string) => {
  let ok = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127)) ok++;
  }
  return text.length > 0 && ok / text.length > 0.9;
};

/** A data: URL's body as text, or null when it is not one or holds media. */
export function dataUrlText(url: string): { text: string; markup: boolean; svg?: boolean } | null {
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
export function payloads(norm: string): { text: string; markup: boolean; svg?: boolean }[] {
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
