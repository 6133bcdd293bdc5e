// The account endpoints through their real route handlers, a real database and real scrypt.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { eq } from 'drizzle-orm';
import { POST as signUpRoute } from '@/app/api/auth/sign-up/route';
import { POST as signInRoute } from '@/app/api/auth/sign-in/route';
import { POST as signOutRoute } from '@/app/api/auth/sign-out/route';
import { GET as meRoute } from '@/app/api/me/route';
import { users } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { APP_ORIGIN, jsonRequest, sessionCookieFrom } from '@/testing/http';
import { createApiKey, revokeApiKey } from './api-keys';

// Counts the key derivations each request performs (the real scrypt still runs).
const kdf = vi.hoisted(() => ({ calls: [] as { N: number | undefined; keylen: number }[] }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  const scrypt = (...args: Parameters<typeof real.scrypt>) => {
    const [, , keylen, options] = args as unknown as [unknown, unknown, number, { N?: number }];
    kdf.calls.push({ N: options?.N, keylen });
    return (real.scrypt as (...a: unknown[]) => void)(...args);
  };
  return { ...real, default: { ...real, scrypt }, scrypt };
});

const getDb = useTestDb();
const PASSWORD = 'correct horse battery staple';

async function signUpNew(email = uniqueEmail()) {
  const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: PASSWORD }));
  expect(res.status).toBe(201);
  return { email, cookie: sessionCookieFrom(res), body: await res.json() };
}

const me = (headers: Record<string, string>) => meRoute(new Request(`${APP_ORIGIN}/api/me`, { headers }));
const countUsers = async (email: string) => (await (await getDb()).select().from(users).where(eq(users.email, email))).length;

describe('sign up', () => {
  it('creates the account, answers 201 with a session cookie that is httpOnly and SameSite=Lax', async () => {
    const email = uniqueEmail();
    const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email: `  ${email.toUpperCase()} `, password: PASSWORD }));
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ user: { email, role: 'user' } });
    const setCookie = res.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(/huskit_session=Fe26\.2\*/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Lax/);
    const [row] = await (await getDb()).select().from(users).where(eq(users.email, email));
    expect(row!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(row!.passwordHash).not.toContain(PASSWORD);
  });

  it('makes emails listed in ADMIN_EMAILS admins', async () => {
    const email = 'operator@huskit.test';
    const existing = await countUsers(email);
    const res = existing
      ? await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }))
      : await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: PASSWORD }));
    expect((await res.json()).user.role).toBe('admin');
  });

  it.each([
    ['a malformed email', { email: 'not-an-email', password: PASSWORD }, 400, /valid email address/],
    ['a short password', { email: uniqueEmail(), password: 'short9chr' }, 400, /at least 10 characters/],
    ['a missing password', { email: uniqueEmail() }, 400, /Enter a password/],
  ])('refuses %s with 400 and field errors, creating nothing', async (_label, body, status, message) => {
    const res = await signUpRoute(jsonRequest('/api/auth/sign-up', body));
    expect(res.status).toBe(status);
    const json = await res.json();
    expect(json.error.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(json.error.fieldErrors)).toMatch(message);
    if (typeof body.email === 'string') expect(await countUsers(body.email)).toBe(0);
  });

  it('refuses a taken email with 409 (in any letter case)', async () => {
    const { email } = await signUpNew();
    const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email: email.toUpperCase(), password: PASSWORD }));
    expect(res.status).toBe(409);
    expect((await res.json()).error.message).toMatch(/already exists\. Sign in instead/);
    expect(await countUsers(email)).toBe(1);
  });

  it('refuses an oversized body with 413, a wrong content type with 415, and broken JSON with 400', async () => {
    const email = uniqueEmail();
    const big = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: 'p'.repeat(20_000) }));
    expect(big.status).toBe(413);
    const form = await signUpRoute(
      new Request(`${APP_ORIGIN}/api/auth/sign-up`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `email=${email}` }),
    );
    expect(form.status).toBe(415);
    expect((await form.json()).error.message).toMatch(/Content-Type: application\/json/);
    const broken = await signUpRoute(jsonRequest('/api/auth/sign-up', '{"email":'));
    expect(broken.status).toBe(400);
    expect(await countUsers(email)).toBe(0);
  });
});

describe('sign in', () => {
  beforeEach(() => {
    kdf.calls.length = 0;
  });

  it('signs in with the right password; the cookie opens /api/me', async () => {
    const { email } = await signUpNew();
    const res = await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }));
    expect(res.status).toBe(200);
    const meRes = await me({ cookie: sessionCookieFrom(res) });
    expect(meRes.status).toBe(200);
    expect((await meRes.json()).user.email).toBe(email);
  });

  it('answers a wrong password and an unknown email alike: 401, same body, same key derivation', async () => {
    const { email } = await signUpNew();
    kdf.calls.length = 0;
    const wrong = await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: 'not the password at all' }));
    const wrongCalls = kdf.calls.splice(0);
    const unknown = await signInRoute(jsonRequest('/api/auth/sign-in', { email: uniqueEmail('nobody'), password: 'not the password at all' }));
    const unknownCalls = kdf.calls.splice(0);

    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toEqual(await wrong.json());
    expect(wrong.headers.getSetCookie()).toEqual([]);
    expect(unknown.headers.getSetCookie()).toEqual([]);
    // Both paths derive exactly one full-cost key: no timing difference tells which emails exist.
    expect(wrongCalls).toEqual([{ N: 16384, keylen: 64 }]);
    expect(unknownCalls).toEqual(wrongCalls);
  });
});

describe('sessions and API keys', () => {
  it('signs out: the answer clears the cookie', async () => {
    const { cookie } = await signUpNew();
    const res = await signOutRoute(jsonRequest('/api/auth/sign-out', {}, { headers: { cookie, origin: APP_ORIGIN } }));
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().join()).toMatch(/huskit_session=;.*Max-Age=0/);
  });

  it('refuses a tampered or missing cookie with 401', async () => {
    const { cookie } = await signUpNew();
    const tampered = cookie.slice(0, -3) + (cookie.endsWith('a') ? 'bbb' : 'aaa');
    expect((await me({ cookie: tampered })).status).toBe(401);
    expect((await me({})).status).toBe(401);
  });

  it('accepts an API key as a Bearer token until it is revoked', async () => {
    const { body } = await signUpNew();
    const db = await getDb();
    const key = await createApiKey(db, body.user.id, 'ci');
    expect(key.key).toMatch(/^hs_[A-Za-z0-9_-]{43}$/);
    const ok = await me({ authorization: `Bearer ${key.key}` });
    expect(ok.status).toBe(200);
    expect((await ok.json()).user.id).toBe(body.user.id);

    await revokeApiKey(db, body.user.id, key.id);
    const revoked = await me({ authorization: `Bearer ${key.key}` });
    expect(revoked.status).toBe(401);
    expect((await revoked.json()).error.message).toMatch(/revoked/);
    expect((await me({ authorization: 'Bearer hs_nonsense' })).status).toBe(401);
  });
});

describe('cross-site requests', () => {
  it('refuses a sign-in posted from another site, setting no cookie', async () => {
    const { email } = await signUpNew();
    for (const headers of [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'null' }] as Record<string, string>[]) {
      const res = await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }, { headers }));
      expect(res.status).toBe(403);
      expect(res.headers.getSetCookie()).toEqual([]);
    }
    const sameOrigin = await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }, { headers: { origin: APP_ORIGIN } }));
    expect(sameOrigin.status).toBe(200);
  });
});
