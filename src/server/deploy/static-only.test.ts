import { createHash } from 'node:crypto';
import ignore from 'ignore';
import { describe, expect, it } from 'vitest';
import { DEPLOYMENT_PLATFORMS, type AuthMode, type DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { contentTypeFor, type Manifest } from '@/lib/site-files';
import { staticOnlyBenignExamples, staticOnlyHostileExamples } from '@/testing/static-only-examples';
import { AppError } from '../errors';
import { TEMPLATES, templateFiles, type TemplateId } from '../projects/templates';
import { checkStaticOnly } from './static-only';

/** A real manifest of the files, and a reader of their bytes as UTF-8 (as the blob store answers). */
function siteOf(files: Record<string, string | Buffer>) {
  const bytes = new Map(Object.entries(files).map(([p, c]) => [p, Buffer.isBuffer(c) ? c : Buffer.from(c)]));
  const manifest: Manifest = Object.fromEntries(
    [...bytes].map(([path, b]) => [
      path,
      { sha256: createHash('sha256').update(b).digest('hex'), size: b.length, contentType: contentTypeFor(path) ?? 'application/octet-stream' },
    ]),
  );
  const readText = async (path: string) => {
    const b = bytes.get(path);
    if (!b) throw new Error(`read of ${path}, which is not in the manifest`);
    return b.toString('utf8');
  };
  return { manifest, readText };
}

const check = (platform: DeploymentPlatform, mode: AuthMode, files: Record<string, string | Buffer>) => checkStaticOnly({ platform, mode, ...siteOf(files) });

async function refusalOf(platform: DeploymentPlatform, files: Record<string, string>): Promise<AppError> {
  const err = await check(platform, 'platform-managed', files).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

const hostile = staticOnlyHostileExamples();
const benign = staticOnlyBenignExamples();

describe('quick deploys refuse what would run, configure or proxy in the shared accounts', () => {
  it('covers every platform and far more than 30 cases', () => {
    // Every platform quick deploy goes to (GitHub Pages has none: it is never checked for a shared account).
    expect(new Set(hostile.map((e) => e.platform))).toEqual(new Set(DEPLOYMENT_PLATFORMS.filter((p) => platformInfo(p).quickDeploy)));
    expect(hostile.length).toBeGreaterThan(60);
    expect(new Set(hostile.map((e) => e.name)).size).toBe(hostile.length);
  });

  for (const example of hostile) {
    it(`${example.name}: ${example.proves}, naming ${example.names}`, async () => {
      const err = await refusalOf(example.platform, example.files);
      expect(err.code).toBe('BAD_REQUEST');
      expect(err.status).toBe(400);
      expect(err.action).toBe('fix-files');
      expect(err.message).toContain(example.names);
      expect(err.message).toMatch(/Remove (it|them), or deploy to your own (Cloudflare|AWS Amplify|Netlify|Vercel) account/);
    });
  }

  it('says what the file would do and names the platform account to use instead', async () => {
    const err = await refusalOf('vercel', { 'index.html': 'x', 'api/hello.js': 'export default () => {}' });
    expect(err.message).toBe(
      'Quick deploys take static files only, and this site has server code, platform configuration or rules that leave the site: "api/hello.js": Vercel runs it as a serverless function. Remove it, or deploy to your own Vercel account (connect it in Settings).',
    );
  });

  it('names the _redirects line, as written, and what it does', async () => {
    const err = await refusalOf('netlify', { _redirects: '/ok /fine 301\n/api/* https://evil.example/:splat 200\n' });
    expect(err.message).toContain(
      `_redirects line 2 ("/api/* https://evil.example/:splat 200"): a proxy to https://evil.example/:splat: Netlify fetches that site's pages and serves them as this site's`,
    );
  });

  it('lists the first five problems and counts the rest', async () => {
    const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`api/f${i}.js`, 'x']));
    const err = await refusalOf('vercel', files);
    expect(err.message).toContain('"api/f4.js"');
    expect(err.message).not.toContain('"api/f5.js"');
    expect(err.message).toContain('; and 3 more. Remove them,');
  });

  it('reads only the root _redirects, as every platform does', async () => {
    await expect(check('netlify', 'platform-managed', { 'index.html': 'x', 'docs/_redirects': '/* https://evil.example 200\n' })).resolves.toMatchObject({
      notes: [],
    });
  });

  it('refuses a 200 proxy on Cloudflare too, though Cloudflare itself would ignore the line', async () => {
    const err = await refusalOf('cloudflare', { _redirects: '/a https://evil.example/ 200\n' });
    expect(err.message).toContain('a proxy to https://evil.example/: Cloudflare ignores it');
  });
});

describe("in the user's own account nothing is refused and the log says what the platform will do", () => {
  for (const example of hostile) {
    it(`${example.name}: accepted, with a note on ${example.names}`, async () => {
      const { manifest, notes } = await check(example.platform, 'user-token', example.files);
      expect(notes.some((n) => n.startsWith(example.names))).toBe(true);
      const expected = Object.keys(example.files).filter((p) => !(example.platform === 'cloudflare' && p === '.assetsignore'));
      expect(Object.keys(manifest).sort()).toEqual(expected.sort());
    });
  }

  it('Vercel: functions, middleware, configuration and build scripts each get their own line', async () => {
    const { notes } = await check('vercel', 'user-token', {
      'index.html': 'x',
      'api/hello.js': 'x',
      'api/_lib/db.js': 'x',
      'middleware.ts': 'x',
      'vercel.json': '{}',
      'package.json': '{"scripts":{"build":"vite build","postinstall":"patch"}}',
    });
    expect(notes).toEqual([
      'api/_lib/db.js: Vercel keeps api/ for serverless functions (it is bundled with them, not served).',
      'api/hello.js: Vercel runs it as a serverless function.',
      'middleware.ts: Vercel runs it as Routing Middleware before every request.',
      "package.json: its scripts build, postinstall are Vercel's install and build steps (this deployment turns both off: deploy the built site, not its sources).",
      "vercel.json: Vercel reads it as the project's configuration (builds, functions, rewrites to other sites).",
    ]);
  });

  it('Netlify: netlify.toml is read as configuration; function folders are served as plain files', async () => {
    const { notes } = await check('netlify', 'user-token', { 'netlify.toml': '', 'netlify/functions/a.js': 'x' });
    expect(notes).toEqual([
      "netlify.toml: Netlify reads it as the site's configuration (redirects and proxies to other sites, headers, edge function routes).",
      'netlify/functions/a.js: Netlify serves it as a plain file: a deploy of files does not bundle or run functions (deploy with the Netlify CLI or a build to run it).',
    ]);
  });

  it('Cloudflare: a _worker.js is served publicly, and the note says how to keep it out', async () => {
    const { notes } = await check('cloudflare', 'user-token', { '_worker.js': 'x' });
    expect(notes).toEqual([
      '_worker.js: Cloudflare serves it as a public file, so anyone could read the server code (Workers Static Assets never runs a Pages _worker.js; list it in .assetsignore to keep it out).',
    ]);
  });

  it('each platform says what it does with a proxy line', async () => {
    const files = { _redirects: '/api/* https://api.example/:splat 200\n' };
    const effects = Object.fromEntries(await Promise.all(DEPLOYMENT_PLATFORMS.map(async (p) => [p, (await check(p, 'user-token', files)).notes[0]])));
    expect(effects).toEqual({
      cloudflare: `_redirects line 1 ("/api/* https://api.example/:splat 200"): a proxy to https://api.example/:splat: Cloudflare ignores it (Workers proxy only to paths of the site).`,
      amplify: `_redirects line 1 ("/api/* https://api.example/:splat 200"): a proxy to https://api.example/:splat: Amplify fetches that site's pages and serves them as this site's (a rewrite rule of an app made for the site).`,
      netlify: `_redirects line 1 ("/api/* https://api.example/:splat 200"): a proxy to https://api.example/:splat: Netlify fetches that site's pages and serves them as this site's.`,
      vercel: `_redirects line 1 ("/api/* https://api.example/:splat 200"): a proxy to https://api.example/:splat: Vercel fetches that site's pages and serves them as this site's (an external rewrite).`,
      // GitHub Pages never reads _redirects: its adapter logs how many rules that leaves out.
      github: undefined,
    });
  });

  it('keeps the log short: at most 30 lines of files and a count of the rest', async () => {
    const files = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`api/f${String(i).padStart(2, '0')}.js`, 'x']));
    const { notes } = await check('vercel', 'user-token', files);
    expect(notes).toHaveLength(31);
    expect(notes.at(-1)).toBe('…and 10 more files of the same kinds.');
  });

  it('files that are not server code on a platform are not named there (api/ is only special on Vercel)', async () => {
    const files = { 'index.html': 'x', 'api/hello.js': 'x', 'middleware.js': 'x', 'vercel.json': '{}' };
    for (const platform of ['cloudflare', 'amplify', 'netlify'] as const)
      await expect(check(platform, 'platform-managed', files)).resolves.toEqual({ manifest: siteOf(files).manifest, notes: [] });
  });
});

describe('ordinary sites are untouched', () => {
  for (const example of benign) {
    it(`${example.name}: ${example.proves}`, async () => {
      for (const mode of ['platform-managed', 'user-token'] as const) {
        const { manifest } = await check(example.platform, mode, example.files);
        const expected = example.name === 'cloudflare-worker-ignored' ? ['index.html'] : Object.keys(example.files);
        expect(Object.keys(manifest).sort()).toEqual(expected.sort());
      }
    });
  }

  for (const id of Object.keys(TEMPLATES) as TemplateId[])
    it(`the ${id} template deploys unchanged, with no notes, on every platform and in both modes`, async () => {
      const files = templateFiles(id, 'My site');
      for (const platform of DEPLOYMENT_PLATFORMS)
        for (const mode of ['platform-managed', 'user-token'] as const)
          await expect(check(platform, mode, files)).resolves.toEqual({ manifest: siteOf(files).manifest, notes: [] });
    });

  it('Amplify build files are only named in the log: a manual deploy does not build or run them', async () => {
    const { notes } = await check('amplify', 'platform-managed', { 'index.html': 'x', 'amplify.yml': 'version: 1' });
    expect(notes).toEqual(['amplify.yml: Amplify serves it as a plain file: manual deploys do not build or run server code.']);
  });

  it('a _routes.json on Cloudflare is named in the log as a file Workers do not read', async () => {
    const { notes } = await check('cloudflare', 'platform-managed', { 'index.html': 'x', '_routes.json': '{}' });
    expect(notes).toEqual(['_routes.json: Cloudflare Workers do not read it (a Pages file): it is served as a plain file.']);
  });
});

describe('.assetsignore on Cloudflare, exactly as wrangler reads it', () => {
  /** The paths a Cloudflare deploy keeps, in either mode (wrangler drops ignored files in any account). */
  async function kept(assetsignore: string, paths: string[], mode: AuthMode = 'user-token') {
    const files = Object.fromEntries([...paths, '.assetsignore'].map((p) => [p, p === '.assetsignore' ? assetsignore : `<p>${p}</p>`]));
    const { manifest, notes } = await check('cloudflare', mode, files);
    return { paths: Object.keys(manifest).sort(), notes };
  }

  it('a pattern without a slash matches at any depth', async () => {
    expect((await kept('*.map\n', ['index.html', 'app.js.map', 'assets/js/app.js.map'])).paths).toEqual(['index.html']);
  });

  it('a leading slash anchors a pattern to the root', async () => {
    expect((await kept('/secret.txt\n', ['index.html', 'secret.txt', 'docs/secret.txt'])).paths).toEqual(['docs/secret.txt', 'index.html']);
  });

  it('a trailing slash matches a folder and everything under it, not a file of that name', async () => {
    expect((await kept('drafts/\n', ['index.html', 'drafts/a.html', 'drafts/sub/b.html', 'drafts.html'])).paths).toEqual(['drafts.html', 'index.html']);
  });

  it('keeps files named like Object properties when it leaves others out', async () => {
    expect((await kept('*.log\n', ['index.html', '__proto__', 'constructor', 'a.log'])).paths).toEqual(['__proto__', 'constructor', 'index.html']);
  });

  it('a negation re-includes a file', async () => {
    expect((await kept('*.txt\n!keep.txt\n', ['index.html', 'a.txt', 'keep.txt'])).paths).toEqual(['index.html', 'keep.txt']);
  });

  it('a negation cannot re-include a file whose folder is excluded (git semantics)', async () => {
    expect((await kept('private/\n!private/ok.html\n', ['index.html', 'private/ok.html'])).paths).toEqual(['index.html']);
  });

  it('** matches any number of folders', async () => {
    expect((await kept('**/tmp/**\n', ['index.html', 'tmp/a', 'x/y/tmp/b.html', 'tmpfile'])).paths).toEqual(['index.html', 'tmpfile']);
  });

  it('comments, blank lines, CRLF endings and an escaped # behave as in .gitignore', async () => {
    const { paths } = await kept('# drafts\r\n\r\n*.log\r\n\\#notes.md\r\n', ['index.html', 'a.log', '#notes.md', 'notes.md']);
    expect(paths).toEqual(['index.html', 'notes.md']);
  });

  it('never uploads .assetsignore itself; _redirects and _headers stay as routing configuration even when listed', async () => {
    const { paths } = await kept('_redirects\n_headers\n', ['index.html', '_redirects', '_headers']);
    expect(paths).toEqual(['_headers', '_redirects', 'index.html']);
  });

  it('the log says which files were kept out', async () => {
    expect((await kept('*.map\n', ['index.html', 'b.map', 'a.map'])).notes).toEqual(['.assetsignore kept 2 files out of the upload: a.map, b.map']);
  });

  it('drops the ignored files in quick deploys too, and then a _worker.js it excludes is accepted', async () => {
    const { paths, notes } = await kept('_worker.js\n', ['index.html', '_worker.js', '_worker.js/chunk.js'], 'platform-managed');
    expect(paths).toEqual(['index.html']);
    expect(notes).toEqual(['.assetsignore kept 2 files out of the upload: _worker.js, _worker.js/chunk.js']);
  });

  it('an empty .assetsignore keeps every file but is not uploaded', async () => {
    expect((await kept('', ['index.html', 'a.map'])).paths).toEqual(['a.map', 'index.html']);
  });

  it("without an .assetsignore, drops what wrangler's own patterns match, as the ignore library reads them", async () => {
    // The folders named like the routing files go, at the root only; near misses and deeper ones stay.
    const paths = [
      'index.html',
      '_headers',
      '_redirects',
      '_headers/a.html',
      '_redirects/x/y.css',
      '.assetsignore/z.txt',
      '_headersx/a.html',
      '_header',
      '.assetsignorex',
      'a/_headers',
      'a/.assetsignore',
      'x/_redirects/b.html',
      '_worker.jsx',
      '_HEADERS/b.html',
      '_Redirects',
      '.AssetsIgnore/c.txt',
    ];
    const files = Object.fromEntries(paths.map((p) => [p, `<p>${p}</p>`]));
    const library = ignore().add(['/.assetsignore', '/_redirects', '/_headers']);
    const expected = paths.filter((p) => !library.ignores(p) || p === '_headers' || p === '_redirects').sort();
    const { manifest, notes } = await check('cloudflare', 'user-token', files);
    expect(Object.keys(manifest).sort()).toEqual(expected);
    expect(expected).not.toContain('_headers/a.html');
    expect(notes[0]).toBe(
      '.assetsignore kept 6 files out of the upload: .AssetsIgnore/c.txt, .assetsignore/z.txt, _HEADERS/b.html, _Redirects, _headers/a.html, _redirects/x/y.css',
    );
  });

  it('is only a file on the other platforms', async () => {
    for (const platform of ['amplify', 'netlify', 'vercel'] as const) {
      const { manifest } = await check(platform, 'platform-managed', { 'index.html': 'x', 'a.map': '{}', '.assetsignore': '*.map\n' });
      expect(Object.keys(manifest).sort()).toEqual(['.assetsignore', 'a.map', 'index.html']);
    }
  });
});
