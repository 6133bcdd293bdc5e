// A site's `_redirects` (the format AI site builders write) as Amplify custom rules. Amplify rules
// belong to a whole app, so only an app made for one site gets them; the shared quick-deploy app
// keeps only its SPA fallback.
import { parseRedirectsFile } from '../routing-files';
import type { CustomRule } from './types';

/** Amplify takes a few hundred rules per app; far more than a hand-written file holds. */
const MAX_RULES = 500;

/** `/blog/*` → `/blog/<*>`, `:id` → `<id>` (both sides), `:splat` → `<*>`. */
const amplifyPattern = (path: string) =>
  path
    .replace(/\*$/, '<*>')
    .replace(/:splat\b/g, '<*>')
    .replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '<$1>');

export function amplifyRedirectRules(redirectsText: string | undefined): { rules: CustomRule[]; skipped: string[] } {
  const { lines, skipped } = parseRedirectsFile(redirectsText);
  const rules: CustomRule[] = [];
  for (const line of lines) {
    const source = amplifyPattern(line.from);
    const target = /^https?:\/\//.test(line.to) ? line.to.replace(/:splat\b/g, '<*>') : amplifyPattern(line.to);
    // A rewrite that is not forced yields to an existing file, as `_redirects` means it: Amplify's 404-200.
    if (line.status === 200) rules.push({ source, target, status: line.force ? '200' : '404-200' });
    else if (line.status === 301 || line.status === 302 || line.status === 404) rules.push({ source, target, status: String(line.status) });
    else skipped.push(`${line.from} ${line.to} ${line.status}`);
  }
  if (rules.length > MAX_RULES) skipped.push(`${rules.length - MAX_RULES} rules over the first ${MAX_RULES}`);
  return { rules: rules.slice(0, MAX_RULES), skipped };
}
