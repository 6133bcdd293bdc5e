// Sites a quick deploy must refuse because they would run server code, be read as platform
// configuration or proxy to other sites in the shared accounts (and ordinary sites it must accept),
// for checkStaticOnly's own tests and for suites that send them through the real REST routes.
/// <reference types="vite/client" />
import type { DeploymentPlatform } from '@/lib/deployment';
import { DEPLOYMENT_PLATFORMS, platformInfo } from '@/lib/platforms';
import { SERVER_PLATFORMS } from '@/server/platforms/registry';

export interface StaticOnlyExample {
  name: string;
  platform: DeploymentPlatform;
  /** A whole site: path → text. */
  files: Record<string, string>;
  /** What the case proves. */
  proves: string;
  /** What the refusal must name: the file, or `_redirects line N`. */
  names: string;
}

const INDEX = { 'index.html': '<!doctype html><h1>Hello</h1>' };
const site = (files: Record<string, string>) => ({ ...INDEX, ...files });

/** Off-site `_redirects` rules, refused on every platform that applies `_redirects` (natively or translated). */
const HOSTILE_REDIRECTS: Omit<StaticOnlyExample, 'platform'>[] = [
  {
    name: 'proxy-200',
    files: site({ _redirects: '/api/* https://evil.example/:splat 200\n' }),
    proves: 'a 200 rewrite to another origin (a proxy) is refused',
    names: '_redirects line 1',
  },
  {
    name: 'proxy-200-forced',
    files: site({ _redirects: '# ok\n/old /new 301\n/* https://evil.example/:splat 200!\n' }),
    proves: 'a forced 200! proxy is refused, naming its line',
    names: '_redirects line 3',
  },
  {
    name: 'proxy-protocol-relative',
    files: site({ _redirects: '/x //evil.example/x 200\n' }),
    proves: 'a protocol-relative //host target is another origin',
    names: '_redirects line 1',
  },
  {
    name: 'redirect-backslash-host',
    files: site({ _redirects: '/x /\\evil.example 301\n' }),
    proves: 'a /\\host target (browsers read it as //host) is another origin',
    names: '_redirects line 1',
  },
  {
    name: 'redirect-307',
    files: site({ _redirects: '/login https://evil.example/login 307\n' }),
    proves: 'a 307 redirect off-site is refused (it carries the method and body)',
    names: '_redirects line 1',
  },
  {
    name: 'redirect-308',
    files: site({ _redirects: '/pay https://evil.example/pay 308\n' }),
    proves: 'a 308 redirect off-site is refused',
    names: '_redirects line 1',
  },
  {
    name: 'redirect-303',
    files: site({ _redirects: '/a https://evil.example/ 303\n' }),
    proves: 'a 303 redirect off-site is refused',
    names: '_redirects line 1',
  },
  {
    name: 'redirect-http',
    files: site({ _redirects: '/a http://evil.example/ 301\n' }),
    proves: 'a 301 to a plain-http address is refused',
    names: '_redirects line 1',
  },
  {
    name: 'redirect-userinfo',
    files: site({ _redirects: '/bank https://bank.example@evil.example/ 302\n' }),
    proves: 'an https URL with user info (reads as another host) is refused',
    names: '_redirects line 1',
  },
  {
    name: 'redirect-javascript',
    files: site({ _redirects: '/x javascript:alert(1) 302\n' }),
    proves: 'a javascript: target is refused',
    names: '_redirects line 1',
  },
  {
    name: 'other-status-off-site',
    files: site({ _redirects: '/* https://evil.example/404 404\n' }),
    proves: 'a 404 answered from another origin is refused',
    names: '_redirects line 1',
  },
  {
    name: 'target-not-a-path',
    files: site({ _redirects: '/x evil.example/page 301\n' }),
    proves: 'a target that is neither a site path nor a URL is refused',
    names: '_redirects line 1',
  },
  {
    name: 'proxy-after-query-match',
    files: site({ _redirects: '/search q=:q https://evil.example/?q=:q 200\n' }),
    proves: 'query matches before the target (read first by some platforms) do not hide a proxy',
    names: '_redirects line 1',
  },
  {
    name: 'proxy-with-condition',
    files: site({ _redirects: '/* https://evil.example/:splat 200 Country=us\n' }),
    proves: 'a condition after the status does not hide a proxy',
    names: '_redirects line 1',
  },
  {
    name: 'proxy-before-comment',
    files: site({ _redirects: '/a https://evil.example/ 200 # just a test\n' }),
    proves: 'an inline comment does not hide a proxy',
    names: '_redirects line 1',
  },
  {
    name: 'proxy-lenient-status',
    files: site({ _redirects: '/a https://evil.example/ 200x\n' }),
    proves: 'a status read leniently (parseInt: 200x is 200) is still a proxy',
    names: '_redirects line 1',
  },
  {
    name: 'proxy-crlf',
    files: site({ _redirects: '/ok /fine 301\r\n/a https://evil.example/ 200\r\n' }),
    proves: 'Windows line endings do not hide a proxy',
    names: '_redirects line 2',
  },
];

/** A platform's own examples (src/server/platforms/<id>/static-only-examples.ts). */
export interface PlatformStaticOnlyExamples {
  hostile: Omit<StaticOnlyExample, 'platform'>[];
  benign: Omit<StaticOnlyExample, 'platform' | 'names'>[];
}

const OWN = Object.fromEntries(
  Object.entries(
    import.meta.glob<PlatformStaticOnlyExamples>('../server/platforms/*/static-only-examples.ts', { eager: true, import: 'staticOnlyExamples' }),
  ).map(([file, examples]) => [file.split('/').at(-2)!, examples]),
) as Partial<Record<DeploymentPlatform, PlatformStaticOnlyExamples>>;

/** The platforms a quick deploy goes to, and of them those that apply `_redirects` (natively or translated). */
const QUICK = DEPLOYMENT_PLATFORMS.filter((p) => platformInfo(p).quickDeploy);
const WITH_REDIRECTS = QUICK.filter((p) => SERVER_PLATFORMS[p].staticFiles.redirectsProxy !== null);

export function staticOnlyHostileExamples(): StaticOnlyExample[] {
  return [
    ...WITH_REDIRECTS.flatMap((platform) => HOSTILE_REDIRECTS.map((e) => ({ ...e, name: `${platform}-${e.name}`, platform }))),
    ...QUICK.flatMap((platform) => (OWN[platform]?.hostile ?? []).map((e) => ({ ...e, files: site(e.files), platform }))),
  ];
}

/** Sites a quick deploy accepts unchanged on the platforms named (same-site rules, plain https redirects, look-alike names). */
export function staticOnlyBenignExamples(): Omit<StaticOnlyExample, 'names'>[] {
  const redirects = [
    '# same-site rules',
    '/old /new 301',
    '/blog/* /news/:splat 301!',
    '/docs /docs/ 302',
    '/store id=:id /products/:id 301',
    '/app/* /app/index.html 200',
    '/* /index.html 200',
    '/news/* 301',
    '/code https://code.example.org/huskit 301',
    '/chat https://example.com/chat?from=site 302 Country=us',
    '/shop https://shop.example.com',
    '/team /about#team 301 # anchor, then a comment',
  ].join('\n');
  const sites: Omit<StaticOnlyExample, 'names' | 'platform'>[] = [
    {
      name: 'same-site-redirects',
      files: site({ _redirects: redirects, _headers: '/*\n  X-Frame-Options: DENY\n' }),
      proves: 'same-site rewrites and redirects, and plain 301/302 to https, are accepted',
    },
    {
      name: 'look-alike-names',
      files: site({
        'docs/api/index.html': '<h1>API docs</h1>',
        'apidocs/index.html': '<h1>API</h1>',
        'assets/middleware.js': 'console.log(1)',
        'functions/readme.txt': 'not special here',
        'js/_worker.js': 'self.onmessage = () => {}',
      }),
      proves: 'files that only look like platform files (not at the root, other names) are accepted',
    },
  ];
  return [
    ...QUICK.flatMap((platform) => sites.map((s) => ({ ...s, name: `${platform}-${s.name}`, platform }))),
    ...QUICK.flatMap((platform) => (OWN[platform]?.benign ?? []).map((e) => ({ ...e, files: site(e.files), platform }))),
  ];
}
