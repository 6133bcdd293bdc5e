// A page's structure against the rules: password forms and where they send, scripted SVG, meta refreshes
// to scripts, and the hosts it loads from.
import rules from '../scan-rules.json';
import { hit } from './hits';
import { blockedHost, schemeOf, SITE, SITE_HOST, urlHost } from './hosts';
import { normalizeScript } from './normalize-script';
import type { PageReader } from './page-reader';
import { QUOTE, SVG_HANDLER, windows } from './rules';
import { checkCredentialScript, sendsToAbsoluteUrl } from './text-checks';

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

export interface MarkupOptions {
  svgFile: boolean;
  xml: boolean;
  /** Markup found inside code: only the password-form rules apply to it. */
  credentialsOnly?: boolean;
}

/**
 * A page's structure against the rules (password forms and where they send, scripted SVG, meta
 * refreshes, what it loads); answers how its scripts may name its password forms, if it has any.
 */
export function checkPage(page: PageReader, textSecurity: boolean, opts: MarkupOptions): RegExp | null {
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

export const checkFormReads = (script: string, formReads: RegExp) => {
  for (const w of windows(normalizeScript(script))) checkCredentialScript(w, formReads);
};

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
