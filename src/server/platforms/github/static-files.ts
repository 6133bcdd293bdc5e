// What GitHub Pages does with files other than plain static ones. The adapter publishes a branch as it
// is: build_type "legacy" with a `.nojekyll` file at the root, so Jekyll never runs and files or
// folders starting with `_` are served (https://docs.github.com/pages/getting-started-with-github-pages/about-github-pages#static-site-generators).
// Pages serves files and nothing else: it reads no `_redirects` or `_headers`, runs no functions, and
// answers a missing path with the site's own `404.html` and status 404
// (https://docs.github.com/pages/getting-started-with-github-pages/creating-a-custom-404-page-for-your-github-pages-site).
// A site published from a branch keeps its custom domain in a `CNAME` file at the root
// (https://docs.github.com/pages/configuring-a-custom-domain-for-your-github-pages-site/managing-a-custom-domain-for-your-github-pages-site),
// and GitHub Actions runs the workflows of `.github/workflows/` that a push to the branch triggers
// (https://docs.github.com/actions/using-workflows/events-that-trigger-workflows#push).
// Quick deploy is never offered for GitHub, so nothing here is refused in practice; `refused` says
// what the file is (server-side work or not) like the other platforms' rules.
import type { Manifest } from '@/lib/site-files';
import type { ServerSideFile, StaticFilesRules } from '../adapter';
import { parseRedirectsFile } from '../routing-files';

const WORKFLOW = /^\.github\/workflows\/[^/]+\.ya?ml$/;
/** `href="/x"`, `src='/x'`, `href=/x` but not `//host` (another site, on purpose). */
const ABSOLUTE_LINK = /\b(?:href|src)\s*=\s*["']?\/(?![/\\])/i;
/** Pages named in a warning. */
const NAMED = 3;

export const githubStaticFiles: StaticFilesRules = {
  // GitHub Pages never reads _redirects: the adapter says how many rules that leaves out.
  redirectsProxy: null,

  async serverSideFiles(manifest: Manifest) {
    const found: ServerSideFile[] = [];
    for (const path of Object.keys(manifest).sort()) {
      if (path === '_headers')
        found.push({ where: path, effect: 'GitHub Pages does not read it: its headers are not sent (it is published as a plain file)', refused: false });
      else if (path === 'CNAME')
        found.push({
          where: path,
          effect: "GitHub Pages takes it as the site's custom domain (a site published from a branch keeps its domain in this file)",
          refused: false,
        });
      else if (WORKFLOW.test(path))
        found.push({
          where: path,
          effect:
            'GitHub Actions runs it when its triggers match the push to the gh-pages branch (and GitHub refuses the push unless the token also has the Workflows permission)',
          refused: true,
        });
    }
    return found;
  },
};

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The log line for a site's `_redirects`: GitHub Pages applies none of its rules. */
export function redirectsNote(text: string): string {
  const { lines, skipped } = parseRedirectsFile(text);
  const rules = lines.length + skipped.length;
  return `_redirects: GitHub Pages does not read it, so its ${plural(rules, 'rule')} ${rules === 1 ? 'was' : 'were'} skipped (the file is published as a plain file). Link to the final addresses instead.`;
}

/** The log line about missing paths: the site's own 404.html, or GitHub's page. */
export function notFoundNote(manifest: Manifest): string {
  return manifest['404.html']
    ? '404.html: GitHub Pages serves it, with status 404, for every address that has no file.'
    : 'No 404.html: GitHub Pages answers addresses without a file with its own "404" page (a client-routed app cannot load its deep links).';
}

/** Pages whose links could point at the root of the domain rather than of the site. */
export const isPage = (path: string) => /\.html?$/i.test(path);

export const hasAbsoluteLinks = (html: string) => ABSOLUTE_LINK.test(html);

/**
 * The warning when pages link to `/…` while the site lives under a path (`https://{owner}.github.io/{repo}/`):
 * such links leave the site. None when the site is at the root of its domain (a custom domain).
 */
export function absoluteLinksNote(pages: string[], siteUrl: string): string | undefined {
  let base: string;
  try {
    base = new URL(siteUrl).pathname;
  } catch {
    return undefined;
  }
  if (pages.length === 0 || base === '/' || base === '') return undefined;
  const named = pages.slice(0, NAMED).join(', ');
  const more = pages.length > NAMED ? ` and ${pages.length - NAMED} more` : '';
  return `${plural(pages.length, 'page')} ${pages.length === 1 ? 'links' : 'link'} to addresses starting with "/" (href="/…" or src="/…"), which will miss the site: it lives under ${base}. Use relative links (or a <base href="${base}">): ${named}${more}.`;
}
