// Hostile callers of the accounts and the app's surfaces, through the real route handlers and tRPC:
// admin by sign-up, what an API key may reach, replayed cookies, guessing passwords, previews on the
// app's origin, and cross-site posts. (Each area has its own deeper tests; this suite is the
// attacker's tour of them in one place.)
import { describe, expect, it } from 'vitest';
import { POST as signInRoute } from '@/app/api/auth/sign-in/route';
import { POST as signOutRoute } from '@/app/api/auth/sign-out/route';
import { POST as signUpRoute } from '@/app/api/auth/sign-up/route';
import { GET as meRoute } from '@/app/api/me/route';
import { GET as previewRoute } from '@/app/preview/[projectId]/[token]/[[...path]]/route';
import { getProject } from '@/server/projects/service';
import { mintPreviewToken } from '@/server/preview/tokens';
import { newAppCaller } from '@/testing/app-client';
import { uniqueEmail, useTestDb } from '@/testing/db';
import { APP_ORIGIN, jsonRequest, sessionCookieFrom } from '@/testing/http';
import { answerOf, trpcOverHttp } from '@/testing/trpc-http';

const getDb = useTestDb();
const me = (headers: Record<string, string>) => meRoute(new Request(`${APP_ORIGIN}/api/me`, { headers }));

describe('admin is never self-granted', () => {
  it("signing up with the address that once was the operators' (ADMIN_EMAILS) grants nothing", async () => {
    const email = `operator-${Math.random().toString(36).slice(2, 8)}@huskit.test`;
    const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: 'a long enough password' }, { headers: { origin: APP_ORIGIN } }));
    expect((await res.json()).user.role).toBe('user');
    const trpc = trpcOverHttp({ cookie: sessionCookieFrom(res) });
    expect(await answerOf(trpc.admin.overview.query())).toMatchObject({ status: 403 });
    expect(await answerOf(trpc.admin.grantAdmin.mutate({ email }))).toMatchObject({ status: 403 });
  });
});

describe('an API key reaches deployments only', () => {
  it.each([
    ['create another key', (t: ReturnType<typeof trpcOverHttp>) => t.apiKeys.create.mutate({ name: 'more' })],
    ['list the keys', (t: ReturnType<typeof trpcOverHttp>) => t.apiKeys.list.query()],
    [
      'change a platform connection',
      (t: ReturnType<typeof trpcOverHttp>) => t.connections.save.mutate({ platform: 'netlify', token: 'stolen-token-0000000000' }),
    ],
    ['sign out every session', (t: ReturnType<typeof trpcOverHttp>) => t.account.signOutEverywhere.mutate()],
    ['call an admin procedure', (t: ReturnType<typeof trpcOverHttp>) => t.admin.overview.query()],
  ])('a key cannot %s (403: a signed-in session is needed)', async (_label, call) => {
    const caller = await newAppCaller(await getDb(), 'keyholder');
    const answer = await answerOf(call(trpcOverHttp({ key: caller.key })));
    expect(answer).toMatchObject({ status: 403 });
  });
});

describe('sessions end on the server', () => {
  it('a cookie replayed after sign-out gets 401', async () => {
    const caller = await newAppCaller(await getDb(), 'replay');
    expect((await me({ cookie: caller.cookie })).status).toBe(200);
    await signOutRoute(jsonRequest('/api/auth/sign-out', {}, { headers: { cookie: caller.cookie, origin: APP_ORIGIN } }));
    expect((await me({ cookie: caller.cookie })).status).toBe(401);
  });

  it('a sign-in posted from another site is refused and sets no cookie', async () => {
    const caller = await newAppCaller(await getDb(), 'csrf');
    const res = await signInRoute(
      jsonRequest('/api/auth/sign-in', { email: caller.email, password: 'a long enough password' }, { headers: { origin: 'null' } }),
    );
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});

describe('guessing passwords is throttled', () => {
  it('the 11th sign-in for one account in 15 minutes gets 429 with Retry-After, known or unknown email alike', async () => {
    const caller = await newAppCaller(await getDb(), 'guessed');
    const guess = (email: string) =>
      signInRoute(jsonRequest('/api/auth/sign-in', { email, password: 'not the password at all' }, { headers: { origin: APP_ORIGIN } }));
    const unknown = uniqueEmail('nobody');
    for (let i = 0; i < 10; i++) {
      expect((await guess(caller.email)).status).toBe(401);
      expect((await guess(unknown)).status).toBe(401);
    }
    const [known, nobody] = [await guess(caller.email), await guess(unknown)];
    expect([known.status, nobody.status]).toEqual([429, 429]);
    expect(Number(known.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await nobody.json()).error.message).toBe((await known.json()).error.message);
  });
});

describe("previews never run on the app's origin", () => {
  it('a preview link answers on the preview origin and 404s on the app origin', async () => {
    const caller = await newAppCaller(await getDb(), 'previewer');
    const project = await caller.trpc.projects.create.mutate({ name: 'Phish me', template: 'landing' });
    const { preview } = await getProject(await getDb(), caller.userId, project.id);
    const path = new URL(preview!.url).pathname;
    const onPreview = await previewRoute(new Request(preview!.url, { headers: { host: new URL(preview!.url).host } }));
    expect(onPreview.status).toBe(200);
    expect(onPreview.headers.get('content-security-policy')).toMatch(/^sandbox/);
    const onApp = await previewRoute(new Request(`${APP_ORIGIN}${path}`, { headers: { host: new URL(APP_ORIGIN).host } }));
    expect(onApp.status).toBe(404);
  });

  it('an expired preview token is refused', async () => {
    const caller = await newAppCaller(await getDb(), 'expired');
    const project = await caller.trpc.projects.create.mutate({ name: 'Old link', template: 'landing' });
    const token = mintPreviewToken(caller.userId, project.id, Date.now() - 1000);
    const { preview } = await getProject(await getDb(), caller.userId, project.id);
    const origin = new URL(preview!.url).origin;
    const res = await previewRoute(new Request(`${origin}/preview/${project.id}/${token}/`, { headers: { host: new URL(origin).host } }));
    expect(res.status).toBe(404);
  });
});
