// The local cloud's Cloudflare surface, driven by the official `cloudflare` SDK (unchanged apart from
// its base URL), then read back the way a visitor would: the bytes at the workers.localhost URL.
import { createHash } from 'node:crypto';
import path from 'node:path';
import Cloudflare from 'cloudflare';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_CLOUDFLARE } from '@/lib/platforms/cloudflare/local';
import { cloudStats, fetchSite, moveCloudClock, requestCount, setFaults } from '@/testing/cloud';
import { defaultCloudConfig } from '../config';
import { startCloud, type RunningCloud } from '../server';

const ACCOUNT: string = LOCAL_CLOUDFLARE.accountId;
const SUB: string = LOCAL_CLOUDFLARE.subdomain;
let cloud: RunningCloud;
let cf: Cloudflare;

beforeAll(async () => {
  cloud = await startCloud(defaultCloudConfig({ port: 0 }));
  cf = new Cloudflare({ apiToken: LOCAL_CLOUDFLARE.platformToken, baseURL: `${cloud.url}/client/v4`, maxRetries: 0 });
});
afterAll(() => cloud.close());
beforeEach(() => setFaults(cloud.url, { rules: [] }));

interface SiteFile {
  bytes: Buffer;
  type: string;
}

// A small PNG (1×1, red) and bytes that are not valid UTF-8, to prove binary survives.
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

const site = (): Record<string, SiteFile> => ({
  '/index.html': { bytes: Buffer.from('<!doctype html><h1>Home</h1>'), type: 'text/html; charset=utf-8' },
  '/about.html': { bytes: Buffer.from('<h1>About</h1>'), type: 'text/html; charset=utf-8' },
  '/docs/index.html': { bytes: Buffer.from('<h1>Docs</h1>'), type: 'text/html; charset=utf-8' },
  '/css/site.css': { bytes: Buffer.from('body{color:red}'), type: 'text/css; charset=utf-8' },
  '/img/logo.png': { bytes: PNG, type: 'image/png' },
  '/café/ménu.txt': { bytes: Buffer.from('crème brûlée'), type: 'text/plain; charset=utf-8' },
  '/LICENSE': { bytes: Buffer.from('MIT'), type: 'application/null' },
});

/** A content hash as the product computes it: bytes and extension, 32 hex characters. */
const hashOf = (p: string, bytes: Buffer) =>
  createHash('sha256')
    .update(bytes.toString('base64') + path.extname(p).slice(1))
    .digest('hex')
    .slice(0, 32);

async function deploy(
  script: string,
  files: Record<string, SiteFile>,
  assetsConfig: Record<string, string> = {},
  client = cf,
  account = ACCOUNT,
): Promise<{ buckets: string[][]; versionId: string }> {
  const manifest = Object.fromEntries(Object.entries(files).map(([p, f]) => [p, { hash: hashOf(p, f.bytes), size: f.bytes.length }]));
  const byHash = new Map(Object.entries(files).map(([p, f]) => [hashOf(p, f.bytes), f]));
  const session = await client.workers.scripts.assets.upload.create(script, { account_id: account, manifest });
  let completion = session.jwt!;
  // As wrangler: `[[]]` means nothing to upload (buckets.flat().length === 0).
  for (const bucket of (session.buckets ?? []).filter((b) => b.length > 0)) {
    const body = Object.fromEntries(bucket.map((h) => [h, new File([byHash.get(h)!.bytes.toString('base64')], h, { type: byHash.get(h)!.type })]));
    const uploaded = await client.workers.assets.upload.create(
      { account_id: account, base64: true, body: body as unknown as Record<string, string> },
      { headers: { Authorization: `Bearer ${session.jwt}` } },
    );
    if (uploaded.jwt) completion = uploaded.jwt;
  }
  const metadata = {
    assets: { jwt: completion, config: { html_handling: 'auto-trailing-slash', not_found_handling: '404-page', ...assetsConfig } },
    compatibility_date: '2026-11-01',
  };
  const result = await client.workers.scripts.update(
    script,
    { account_id: account, metadata: new File([JSON.stringify(metadata)], 'metadata.json', { type: 'application/json' }) as never },
    SEND_AS_MULTIPART,
  );
  await client.workers.scripts.subdomain.create(script, { account_id: account, enabled: true, previews_enabled: false }, WORKERS_DEV_API_DATE);
  return { buckets: session.buckets ?? [], versionId: (result as unknown as { deployment_id: string }).deployment_id };
}

/**
 * The SDK's script update defaults Content-Type to application/javascript even for a form body;
 * a null header lets fetch send multipart/form-data with its boundary, as the API requires.
 */
const SEND_AS_MULTIPART = { headers: { 'Content-Type': null } } as const;

/** The API date wrangler sends with the workers.dev toggle (packages/deploy-helpers/src/triggers/deploy.ts). */
const WORKERS_DEV_API_DATE = { headers: { 'Cloudflare-Workers-Script-Api-Date': '2025-08-01' } } as const;

const host = (script: string, sub = SUB) => `${script}.${sub}.workers.localhost`;

describe('Cloudflare surface with the official SDK', () => {
  it('verifies the token and reads the account and its workers.dev subdomain', async () => {
    const verified = await cf.user.tokens.verify();
    expect(verified.status).toBe('active');
    expect((await cf.workers.subdomains.get({ account_id: ACCOUNT })).subdomain).toBe(SUB);
    expect((await cf.accounts.get({ account_id: ACCOUNT })).name).toBe(LOCAL_CLOUDFLARE.accountName);
  });

  it('deploys an assets-only Worker and serves every file byte for byte with its Content-Type', async () => {
    const files = site();
    const { buckets } = await deploy('sdk-site', files, {
      _headers: '/css/*\n  Cache-Control: public, max-age=31536000\n',
      _redirects: '/old /about 301\n/blog/* /docs/:splat 302\n',
    });
    expect(buckets.flat().sort()).toEqual(
      Object.entries(files)
        .map(([p, f]) => hashOf(p, f.bytes))
        .sort(),
    );

    // HTML answers at its canonical URL (auto-trailing-slash redirects /about.html to /about).
    const canonical = (p: string) => p.replace(/index\.html$/, '').replace(/\.html$/, '');
    for (const [p, f] of Object.entries(files)) {
      const res = await fetchSite(cloud.url, host('sdk-site'), encodeURI(canonical(p)));
      expect(res.status, p).toBe(200);
      expect(res.body.equals(f.bytes), p).toBe(true);
      expect(res.headers['content-type'], p).toBe(f.type === 'application/null' ? undefined : f.type);
    }
    // html_handling auto-trailing-slash
    expect((await fetchSite(cloud.url, host('sdk-site'), '/about')).body.toString()).toBe('<h1>About</h1>');
    expect((await fetchSite(cloud.url, host('sdk-site'), '/about.html')).headers.location).toBe('/about');
    expect((await fetchSite(cloud.url, host('sdk-site'), '/index.html')).headers.location).toBe('/');
    expect((await fetchSite(cloud.url, host('sdk-site'), '/docs')).headers.location).toBe('/docs/');
    expect((await fetchSite(cloud.url, host('sdk-site'), '/docs/')).body.toString()).toBe('<h1>Docs</h1>');
    // _headers and _redirects
    expect((await fetchSite(cloud.url, host('sdk-site'), '/css/site.css')).headers['cache-control']).toBe('public, max-age=31536000');
    const moved = await fetchSite(cloud.url, host('sdk-site'), '/old');
    expect([moved.status, moved.headers.location]).toEqual([301, '/about']);
    expect((await fetchSite(cloud.url, host('sdk-site'), '/blog/a/b')).headers.location).toBe('/docs/a/b');
    // 404-page without a 404.html: a plain 404
    expect((await fetchSite(cloud.url, host('sdk-site'), '/nope')).status).toBe(404);
  });

  it('serves the SPA index for unknown paths, and 404.html with status 404 in 404-page mode', async () => {
    const index = { bytes: Buffer.from('<div id=app></div>'), type: 'text/html; charset=utf-8' };
    await deploy('spa', { '/index.html': index }, { not_found_handling: 'single-page-application' });
    const deep = await fetchSite(cloud.url, host('spa'), '/dashboard/settings');
    expect([deep.status, deep.body.toString()]).toEqual([200, '<div id=app></div>']);

    await deploy('with-404', { '/index.html': index, '/404.html': { bytes: Buffer.from('gone'), type: 'text/html; charset=utf-8' } });
    const missing = await fetchSite(cloud.url, host('with-404'), '/missing/page');
    expect([missing.status, missing.body.toString()]).toEqual([404, 'gone']);
  });

  it('asks only for what changed on a redeploy, through versions and deployments', async () => {
    const files = site();
    await deploy('redeploy', files);
    const before = await cloudStats(cloud.url);
    files['/css/site.css'] = { bytes: Buffer.from('body{color:blue}'), type: 'text/css; charset=utf-8' };

    const manifest = Object.fromEntries(Object.entries(files).map(([p, f]) => [p, { hash: hashOf(p, f.bytes), size: f.bytes.length }]));
    const session = await cf.workers.scripts.assets.upload.create('redeploy', { account_id: ACCOUNT, manifest });
    expect(session.buckets).toEqual([[hashOf('/css/site.css', files['/css/site.css'].bytes)]]);
    const up = await cf.workers.assets.upload.create(
      {
        account_id: ACCOUNT,
        base64: true,
        body: { [session.buckets![0]![0]!]: new File([files['/css/site.css'].bytes.toString('base64')], 'x', { type: 'text/css; charset=utf-8' }) } as never,
      },
      { headers: { Authorization: `Bearer ${session.jwt}` } },
    );
    const version = await cf.workers.scripts.versions.create(
      'redeploy',
      {
        account_id: ACCOUNT,
        metadata: new File([JSON.stringify({ assets: { jwt: up.jwt }, compatibility_date: '2026-11-01' })], 'metadata.json', {
          type: 'application/json',
        }) as never,
      },
      SEND_AS_MULTIPART,
    );
    // Not live until deployed.
    expect((await fetchSite(cloud.url, host('redeploy'), '/css/site.css')).body.toString()).toBe('body{color:red}');
    await cf.workers.scripts.deployments.create('redeploy', {
      account_id: ACCOUNT,
      strategy: 'percentage',
      versions: [{ version_id: version.id!, percentage: 100 }],
    });
    expect((await fetchSite(cloud.url, host('redeploy'), '/css/site.css')).body.toString()).toBe('body{color:blue}');

    const after = await cloudStats(cloud.url);
    expect(after.blobs['cloudflare.assets']! - before.blobs['cloudflare.assets']!).toBe(1);
    expect(requestCount(after, '/workers/assets/upload') - requestCount(before, '/workers/assets/upload')).toBe(1);
  });

  it('answers an unchanged redeploy with one empty bucket (as the real API) and a completion token at once', async () => {
    const files = site();
    await deploy('same', files);
    const before = await cloudStats(cloud.url);
    const { buckets } = await deploy('same', files);
    // What wrangler's tests mock for "everything is already uploaded": `buckets: [[]]`, so a client
    // testing `buckets.length === 0` would go on to upload an empty bucket.
    expect(buckets).toEqual([[]]);
    expect(requestCount(await cloudStats(cloud.url), '/workers/assets/upload') - requestCount(before, '/workers/assets/upload')).toBe(0);
  });

  it('keeps the annotations of a version and lists versions newest first, by id too', async () => {
    await deploy('annotated', site());
    const metadata = { keep_assets: true, compatibility_date: '2026-11-01', annotations: { 'workers/tag': 'tag-1', 'workers/message': 'hello' } };
    const version = await cf.workers.scripts.versions.create(
      'annotated',
      { account_id: ACCOUNT, metadata: new File([JSON.stringify(metadata)], 'metadata.json', { type: 'application/json' }) as never },
      SEND_AS_MULTIPART,
    );
    const list = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/scripts/annotated/versions?deployable=true`, {
      headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}` },
    }).then((r) => r.json() as Promise<{ result: { items: { id: string; annotations: Record<string, string> }[] } }>);
    expect(list.result.items).toHaveLength(2);
    expect(list.result.items[0]).toMatchObject({ id: version.id, annotations: { 'workers/tag': 'tag-1', 'workers/message': 'hello' } });
    expect((await cf.workers.scripts.versions.get(version.id!, { account_id: ACCOUNT, script_name: 'annotated' })).id).toBe(version.id);
    const missing = await cf.workers.scripts.versions
      .get('00000000-0000-4000-8000-000000000000', { account_id: ACCOUNT, script_name: 'annotated' })
      .catch((e: unknown) => e);
    expect((missing as { status: number }).status).toBe(404);
  });

  it('lists, reads and deletes a Worker; the site stops answering', async () => {
    await deploy('to-delete', site());
    const list = await cf.workers.scripts.list({ account_id: ACCOUNT });
    expect(list.result.map((s) => s.id)).toContain('to-delete');
    await cf.workers.scripts.delete('to-delete', { account_id: ACCOUNT });
    expect((await fetchSite(cloud.url, host('to-delete'), '/')).status).toBe(404);
    const gone = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/services/to-delete`, {
      headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}` },
    });
    expect(gone.status).toBe(404);
    expect((await gone.json()).errors[0].code).toBe(10007);
  });

  it("keeps accounts apart: a token cannot touch another account's Workers", async () => {
    const user = new Cloudflare({ apiToken: LOCAL_CLOUDFLARE.userToken, baseURL: `${cloud.url}/client/v4`, maxRetries: 0 });
    await deploy('user-site', site(), {}, user, LOCAL_CLOUDFLARE.userAccountId);
    expect((await fetchSite(cloud.url, host('user-site', LOCAL_CLOUDFLARE.userSubdomain), '/')).status).toBe(200);
    const err = await user.workers.scripts.list({ account_id: ACCOUNT }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Cloudflare.PermissionDeniedError);
  });
});

describe('Cloudflare surface refuses what the real one refuses', () => {
  const api = (p: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${cloud.url}/client/v4${p}`, {
      ...init,
      headers: { authorization: `Bearer ${init.token ?? LOCAL_CLOUDFLARE.platformToken}`, 'content-type': 'application/json', ...init.headers },
    });
  const codeOf = async (res: Response) => ({ status: res.status, code: ((await res.json()) as { errors: { code: number }[] }).errors[0]?.code });

  it('wrong token ⇒ 403 with code 10000; malformed header ⇒ 400 6003', async () => {
    expect(await codeOf(await api(`/accounts/${ACCOUNT}/workers/scripts`, { token: 'not-a-real-token' }))).toEqual({ status: 403, code: 10000 });
    const bad = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/scripts`, { headers: { authorization: 'Bearer "quoted"' } });
    expect(await codeOf(bad)).toEqual({ status: 400, code: 6003 });
    const err = await new Cloudflare({ apiToken: 'wrong', baseURL: `${cloud.url}/client/v4`, maxRetries: 0 }).user.tokens.verify().catch((e: unknown) => e);
    expect((err as { status: number }).status).toBe(401);
  });

  it('refuses an expired upload JWT', async () => {
    const res = await api(`/accounts/${ACCOUNT}/workers/scripts/expiring/assets-upload-session`, {
      method: 'POST',
      body: JSON.stringify({ manifest: { '/index.html': { hash: 'a'.repeat(32), size: 2 } } }),
    });
    const { result } = await res.json();
    await moveCloudClock(cloud.url, { advanceMs: 2 * 3600 * 1000 });
    try {
      const form = new FormData();
      form.append('a'.repeat(32), new File([Buffer.from('hi').toString('base64')], 'a'.repeat(32), { type: 'text/html' }));
      const up = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/assets/upload?base64=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${result.jwt}` },
        body: form,
      });
      expect(up.status).toBe(401);
      expect((await up.json()).errors[0].message).toBe('Expired JWT');
    } finally {
      await moveCloudClock(cloud.url, { offsetMs: 0 });
    }
  });

  it('refuses the upload of a hash it did not ask for, and the API token in place of the upload JWT', async () => {
    const res = await api(`/accounts/${ACCOUNT}/workers/scripts/strict/assets-upload-session`, {
      method: 'POST',
      body: JSON.stringify({ manifest: { '/index.html': { hash: 'b'.repeat(32), size: 2 } } }),
    });
    const { result } = await res.json();
    const form = new FormData();
    form.append('c'.repeat(32), new File([Buffer.from('hi').toString('base64')], 'c'.repeat(32), { type: 'text/html' }));
    const up = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/assets/upload?base64=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${result.jwt}` },
      body: form,
    });
    expect(up.status).toBe(400);
    const withToken = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/assets/upload?base64=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}` },
      body: form,
    });
    expect(withToken.status).toBe(401);
  });

  it('refuses a multipart body cut before its closing boundary, and a part with no name, as malformed (nothing stored)', async () => {
    const hash = 'd'.repeat(32);
    const res = await api(`/accounts/${ACCOUNT}/workers/scripts/malformed/assets-upload-session`, {
      method: 'POST',
      body: JSON.stringify({ manifest: { '/index.html': { hash, size: 2 } } }),
    });
    const { result } = await res.json();
    const send = (body: string) =>
      fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/assets/upload?base64=true`, {
        method: 'POST',
        headers: { authorization: `Bearer ${result.jwt}`, 'content-type': 'multipart/form-data; boundary=XyZ' },
        body,
      });
    const part = (disposition: string) =>
      `--XyZ\r\nContent-Disposition: ${disposition}\r\nContent-Type: text/html\r\n\r\n${Buffer.from('hi').toString('base64')}\r\n`;
    for (const body of [part(`form-data; name="${hash}"; filename="${hash}"`).slice(0, -10), `${part('form-data')}--XyZ--\r\n`]) {
      const up = await send(body);
      expect(up.status, body).toBe(400);
      expect((await up.json()).errors[0]).toMatchObject({ code: 10001, message: expect.stringContaining('Malformed multipart body') });
    }
    // Headers that are not UTF-8 are malformed too (not a server error).
    const latin1 = Buffer.concat([
      Buffer.from(`--XyZ\r\nContent-Disposition: form-data; name="${hash}"; filename="caf`),
      Buffer.from([0xe9]),
      Buffer.from(`"\r\n\r\naGk=\r\n--XyZ--\r\n`),
    ]);
    const notUtf8 = await send(latin1 as unknown as string);
    expect(notUtf8.status).toBe(400);
    expect((await notUtf8.json()).errors[0].message).toContain('Malformed multipart body');
    // The same file whole is taken: the session was left as it was.
    const whole = await send(`${part(`form-data; name="${hash}"; filename="${hash}"`)}--XyZ--\r\n`);
    expect(whole.status).toBe(201);
  });

  it('takes more than a thousand files in one upload request', async () => {
    const files = Array.from({ length: 1001 }, (_, i) => Buffer.from(`file ${i}`));
    const hashOf = (i: number) => i.toString(16).padStart(32, '0');
    const res = await api(`/accounts/${ACCOUNT}/workers/scripts/many-parts/assets-upload-session`, {
      method: 'POST',
      body: JSON.stringify({ manifest: Object.fromEntries(files.map((b, i) => [`/f${i}.txt`, { hash: hashOf(i), size: b.length }])) }),
    });
    const { result } = await res.json();
    const form = new FormData();
    files.forEach((b, i) => form.append(hashOf(i), new File([b.toString('base64')], hashOf(i), { type: 'text/plain' })));
    const up = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/assets/upload?base64=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${result.jwt}` },
      body: form,
    });
    expect(up.status).toBe(201);
    expect((await up.json()).result.jwt).toBeTruthy();
  });

  it('too many files ⇒ 10304; a file over 25 MiB ⇒ refused; a bad script name ⇒ 10016', async () => {
    const manifest = Object.fromEntries(Array.from({ length: 20_001 }, (_, i) => [`/f${i}.txt`, { hash: i.toString(16).padStart(32, '0'), size: 1 }]));
    const many = await api(`/accounts/${ACCOUNT}/workers/scripts/many/assets-upload-session`, { method: 'POST', body: JSON.stringify({ manifest }) });
    const body = await many.json();
    expect(many.status).toBe(400);
    expect(body.errors[0]).toMatchObject({ code: 10304, message: expect.stringContaining('20,001 files which exceeds the limit of 20,000') });

    const huge = await api(`/accounts/${ACCOUNT}/workers/scripts/huge/assets-upload-session`, {
      method: 'POST',
      body: JSON.stringify({ manifest: { '/big.bin': { hash: 'd'.repeat(32), size: 25 * 1024 * 1024 + 1 } } }),
    });
    expect(await codeOf(huge)).toEqual({ status: 400, code: 10304 });

    const badName = await api(`/accounts/${ACCOUNT}/workers/scripts/My_Site!/assets-upload-session`, {
      method: 'POST',
      body: JSON.stringify({ manifest: {} }),
    });
    expect(await codeOf(badName)).toEqual({ status: 400, code: 10016 });
  });

  it('enforces the Worker limit of the account with 10037', async () => {
    const limit = cloud.config.cloudflare.workerLimit;
    await fetch(`${cloud.url}/_emulator/reset`, { method: 'POST' });
    cloud.config.cloudflare.workerLimit = 2;
    try {
      await deploy('one', site());
      await deploy('two', site());
      const err = await deploy('three', site()).catch((e: unknown) => e);
      expect((err as { status: number; errors: { code: number }[] }).errors[0]!.code).toBe(10037);
      await deploy('two', site()); // an existing Worker can still be updated
    } finally {
      cloud.config.cloudflare.workerLimit = limit;
    }
  });

  it('refuses a workers.dev toggle without previews_enabled or the script API date wrangler sends', async () => {
    await deploy('toggle', site());
    const toggle = (body: unknown, headers: Record<string, string> = {}) =>
      api(`/accounts/${ACCOUNT}/workers/scripts/toggle/subdomain`, { method: 'POST', body: JSON.stringify(body), headers });
    const dated = { 'cloudflare-workers-script-api-date': '2025-08-01' };
    expect(await codeOf(await toggle({ enabled: true }, dated))).toEqual({ status: 400, code: 10021 });
    expect(await codeOf(await toggle({ enabled: true, previews_enabled: false }))).toEqual({ status: 400, code: 10021 });
    const ok = await toggle({ enabled: true, previews_enabled: false }, dated);
    expect((await ok.json()).result).toEqual({ enabled: true, previews_enabled: false });
  });

  it('refuses a compatibility_date in the future or not a date', async () => {
    const session = await (
      await api(`/accounts/${ACCOUNT}/workers/scripts/dated/assets-upload-session`, { method: 'POST', body: JSON.stringify({ manifest: {} }) })
    ).json();
    const put = (date: string) => {
      const form = new FormData();
      form.append(
        'metadata',
        new File([JSON.stringify({ assets: { jwt: session.result.jwt }, compatibility_date: date })], 'metadata.json', { type: 'application/json' }),
      );
      return fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/scripts/dated`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}` },
        body: form,
      });
    };
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    expect(await codeOf(await put(tomorrow))).toEqual({ status: 400, code: 10021 });
    expect(await codeOf(await put('Nov 1 2026'))).toEqual({ status: 400, code: 10021 });
    expect((await put(new Date().toISOString().slice(0, 10))).status).toBe(200);
  });

  it('answers unknown routes with 7003 and an upload without base64=true with 400', async () => {
    expect(await codeOf(await api('/accounts/x/pages/assets/check-missing', { method: 'POST', body: '{}' }))).toEqual({ status: 404, code: 7003 });
    const res = await fetch(`${cloud.url}/client/v4/accounts/${ACCOUNT}/workers/assets/upload`, { method: 'POST', headers: { authorization: 'Bearer x' } });
    expect(res.status).toBe(400);
  });
});

describe('faults on purpose', () => {
  it('fires a 429 with Retry-After on the next upload; the SDK retries and the stats show it', async () => {
    await setFaults(cloud.url, { rules: [{ target: 'cloudflare', route: '/workers/assets/upload', kind: 'status', status: 429, retryAfter: 0, count: 1 }] });
    const retrying = new Cloudflare({ apiToken: LOCAL_CLOUDFLARE.platformToken, baseURL: `${cloud.url}/client/v4`, maxRetries: 2 });
    await deploy('faulty', { '/index.html': { bytes: Buffer.from(`<p>${Date.now()}</p>`), type: 'text/html; charset=utf-8' } }, {}, retrying);
    expect((await fetchSite(cloud.url, host('faulty'), '/')).status).toBe(200);
    const stats = await cloudStats(cloud.url);
    expect(stats.faultsFired['rule-1']).toBe(1);
    expect(requestCount(stats, 'POST /client/v4/accounts/:account/workers/assets/upload', 429)).toBe(1);
  });

  it('draws probabilistic faults from a seed: the same seed fires on the same calls', async () => {
    const run = async () => {
      await setFaults(cloud.url, { seed: 42, rules: [{ target: 'cloudflare', route: '/tokens/verify', kind: 'status', status: 503, probability: 0.5 }] });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++)
        statuses.push(
          (await fetch(`${cloud.url}/client/v4/user/tokens/verify`, { headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}` } })).status,
        );
      return statuses;
    };
    const first = await run();
    expect(first).toContain(503);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });

  it('drops the connection when told to', async () => {
    await setFaults(cloud.url, { rules: [{ target: 'cloudflare', kind: 'drop', count: 1 }] });
    await expect(fetch(`${cloud.url}/client/v4/user/tokens/verify`)).rejects.toThrow();
    expect((await fetch(`${cloud.url}/client/v4/user/tokens/verify`, { headers: { authorization: `Bearer ${LOCAL_CLOUDFLARE.platformToken}` } })).status).toBe(
      200,
    );
  });
});

describe('persistence', () => {
  it('serves a deployed Worker again after a restart from .data', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const persistDir = mkdtempSync(path.join(tmpdir(), 'huskit-cloud-'));
    const first = await startCloud(defaultCloudConfig({ port: 0, persistDir }));
    const client = new Cloudflare({ apiToken: LOCAL_CLOUDFLARE.platformToken, baseURL: `${first.url}/client/v4`, maxRetries: 0 });
    const files = {
      '/index.html': { bytes: Buffer.from('<h1>kept</h1>'), type: 'text/html; charset=utf-8' },
      '/img/logo.png': { bytes: PNG, type: 'image/png' },
    };
    await deploy('kept', files, {}, client);
    await first.close();

    const second = await startCloud(defaultCloudConfig({ port: 0, persistDir }));
    try {
      const res = await fetchSite(second.url, host('kept'), '/img/logo.png');
      expect([res.status, res.headers['content-type']]).toEqual([200, 'image/png']);
      expect(res.body.equals(PNG)).toBe(true);
    } finally {
      await second.close();
      rmSync(persistDir, { recursive: true, force: true });
    }
  });
});
