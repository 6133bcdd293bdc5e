// The checks of one window of text: the rules' patterns, blocklisted hosts, and scripts that read a
// password and send it to another site.
import { blockedHost, normalizeHost } from './hosts';
import { hit } from './hits';
import { ABSOLUTE_URL, ABSOLUTE_URLS, CRED, PATTERNS, SEND_ARGUMENT_CHARS, SENDS, URL_IN_TEXT } from './rules';

export function checkHosts(text: string): void {
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
export function sendsToAbsoluteUrl(code: string): boolean {
  let sends = false;
  for (const m of code.matchAll(SENDS)) {
    if (ABSOLUTE_URL.test(code.slice(m.index, m.index + m[0].length + SEND_ARGUMENT_CHARS))) return true;
    sends = true;
  }
  if (sends) for (const m of code.matchAll(ABSOLUTE_URLS)) if (!/href\s?=\s?\\?["']?$/i.test(code.slice(Math.max(0, m.index - 12), m.index))) return true;
  return false;
}

/** A password read by a script that also sends to an absolute URL close by. */
export function checkCredentialScript(text: string, reads: RegExp = CRED.reads.re): void {
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

export function checkPatterns(text: string, scope: 'script' | 'any'): void {
  for (const p of PATTERNS) if ((scope === 'script' || p.in === 'any') && matchesNear(p, text)) hit(p.id);
}

export function checkProse(text: string): void {
  checkPatterns(text, 'any');
  checkHosts(text);
}
