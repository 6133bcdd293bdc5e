// The editor's live preview through its real route handler and a real database: served on the
// preview origin only, under a token bound to the project's owner that expires.
import { describe, expect, it } from 'vitest';
import { GET } from '@/app/preview/[projectId]/[token]/[[...path]]/route';
import { users } from '@/server/db/schema';
import { createProject, getProject } from '@/server/projects/service';
import { uniqueEmail, useTestDb } from '@/testing/db';
import { mintPreviewToken, PREVIEW_TOKEN_TTL_MS } from './tokens';

const getDb = useTestDb();
const PREVIEW_ORIGIN = 'http://preview.localhost:3000'; // the default outside production
const APP_HOST = '127.0.0.1:3000';

async function newUser() {
  const [user] = await (
    await getDb()
  )
    .insert(users)
    .values({ email: uniqueEmail('preview'), passwordHash: 'x' })
    .returning();
  return user!.id;
}

async function newSite(name = 'Preview Me') {
  const userId = await newUser();
  const project = await createProject(await getDb(), userId, { name, template: 'landing' });
  const { preview } = await getProject(await getDb(), userId, project.id);
  return { userId, projectId: project.id, preview: preview! };
}

/** A GET as the browser sends it: the path on the given host. */
const get = (path: string, host = 'preview.localhost:3000') => GET(new Request(`http://${host}${path}`, { headers: { host } }));
const pathOf = (url: string) => new URL(url).pathname;
const link = (projectId: string, token: string, file = '') => `/preview/${projectId}/${token}/${file}`;

describe('getProject hands out a preview link', () => {
  it('absolute on the preview origin, with an expiry between 55 and 60 minutes away', async () => {
    const before = Date.now();
    const { projectId, preview } = await newSite();
    const after = Date.now();
    expect(preview.url.startsWith(`${PREVIEW_ORIGIN}/preview/${projectId}/`)).toBe(true);
    expect(preview.url.endsWith('/')).toBe(true);
    // Minted at some moment between before and after (seconds apart on a loaded machine).
    expect(preview.expiresAt.getTime() - before).toBeGreaterThan(PREVIEW_TOKEN_TTL_MS - 5 * 60_000 - 1000);
    expect(preview.expiresAt.getTime() - after).toBeLessThanOrEqual(PREVIEW_TOKEN_TTL_MS);
  });
});

describe('the preview route', () => {
  it('a valid token on the preview host serves index.html, sandboxed by CSP, nosniff, no-store, with a <base> under the token', async () => {
    const { preview } = await newSite('Sandboxed Site');
    const res = await get(pathOf(preview.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(res.headers.get('content-security-policy')).toBe('sandbox allow-scripts allow-forms');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    // The sandboxed page's origin is opaque: its own module scripts load only with this.
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('set-cookie')).toBeNull();
    const html = await res.text();
    expect(html).toContain('<title>Sandboxed Site</title>');
    expect(html).toContain(`<base href="${pathOf(preview.url)}">`);
    expect(html).toContain('href="./styles.css"');
  });

  it('serves the other files under the same token with their own type, and index.html for unknown paths', async () => {
    const { preview } = await newSite();
    const css = await get(`${pathOf(preview.url)}styles.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await css.text()).toContain('font-family');
    expect(await (await get(`${pathOf(preview.url)}no/such/page`)).text()).toContain('<!doctype html>');
  });

  it('the same link on the app host is 404', async () => {
    const { preview } = await newSite();
    const res = await get(pathOf(preview.url), APP_HOST);
    expect(res.status).toBe(404);
    expect(await res.text()).not.toContain('<html');
  });

  it('an expired token (minted with a past expiry) is 404', async () => {
    const { userId, projectId } = await newSite();
    expect((await get(link(projectId, mintPreviewToken(userId, projectId, Date.now() - 1000)))).status).toBe(404);
    // The same construction with a future expiry is served: only the expiry differs.
    expect((await get(link(projectId, mintPreviewToken(userId, projectId, Date.now() + 60_000)))).status).toBe(200);
  });

  it('a token that claims to live longer than an hour is 404, even when signed', async () => {
    const { userId, projectId } = await newSite();
    expect((await get(link(projectId, mintPreviewToken(userId, projectId, Date.now() + 24 * PREVIEW_TOKEN_TTL_MS)))).status).toBe(404);
  });

  it("a token for another user's project is 404: signed for another user, or moved to another project", async () => {
    const a = await newSite();
    const b = await newSite();
    const expiresAt = Date.now() + 60_000;
    expect((await get(link(a.projectId, mintPreviewToken(b.userId, a.projectId, expiresAt)))).status).toBe(404);
    const aToken = pathOf(a.preview.url).split('/')[3]!;
    expect((await get(link(b.projectId, aToken))).status).toBe(404);
    expect((await get(link(a.projectId, aToken))).status).toBe(200);
  });

  it('a tampered token is 404: a changed signature character, a changed expiry, a cut token, garbage', async () => {
    const { projectId, preview } = await newSite();
    const token = pathOf(preview.url).split('/')[3]!;
    const [expiresAt, mac] = token.split('.') as [string, string];
    const flip = (c: string) => (c === 'A' ? 'B' : 'A');
    const tampered = [
      `${expiresAt}.${mac.slice(0, -1)}${flip(mac.at(-1)!)}`,
      `${expiresAt}.${flip(mac[0]!)}${mac.slice(1)}`,
      `${Number(expiresAt) + 1}.${mac}`,
      token.slice(0, -2),
      'not-a-token',
    ];
    for (const t of tampered) expect((await get(link(projectId, t))).status, t).toBe(404);
    expect((await get(link('not-a-uuid', token))).status).toBe(404);
  });
});
