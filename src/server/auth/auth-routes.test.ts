// The account endpoints through their real route handlers, a real database and real scrypt.
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { eq, inArray, sql } from 'drizzle-orm';
import { POST as signUpRoute } from '@/app/api/auth/sign-up/route';
import { POST as signInRoute } from '@/app/api/auth/sign-in/route';
import { POST as signOutRoute } from '@/app/api/auth/sign-out/route';
import { GET as meRoute } from '@/app/api/me/route';
import { authAttempts, sessions, users } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { APP_ORIGIN, jsonRequest, sessionCookieFrom } from '@/testing/http';
import { createApiKey, revokeApiKey } from './api-keys';
import { AUTH_LIMITS, countAuthAttempts, throttleAuthAttempt } from './throttle';

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
/** A client address no other test (or earlier run on the same database) has used. */
const freshIp = () => `10.${[...randomBytes(3)].join('.')}`;

async function signUpNew(email = uniqueEmail()) {
  const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: PASSWORD }));
  expect(res.status).toBe(201);
  return { email, cookie: sessionCookieFrom(res), body: await res.json() };
}

const signInFrom = (email: string, password: string, ip?: string) =>
  signInRoute(jsonRequest('/api/auth/sign-in', { email, password }, { headers: ip ? { 'x-forwarded-for': `203.0.113.250, ${ip}` } : {} }));
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
    // OWASP's scrypt parameters: N=2^17, r=8, p=1.
    expect(row!.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    expect(row!.passwordHash).not.toContain(PASSWORD);
  });

  it('grants nothing to any address, including operator@huskit.test that ADMIN_EMAILS once listed', async () => {
    const db = await getDb();
    const email = 'operator@huskit.test';
    // Earlier runs on the same database may have made this account (always with this password).
    const res = (await countUsers(email))
      ? await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }))
      : await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: PASSWORD }));
    expect([200, 201]).toContain(res.status);
    expect((await res.json()).user.role).toBe('user');
    for (const address of [`admin-${randomBytes(4).toString('hex')}@huskit.test`, `root-${randomBytes(4).toString('hex')}@example.com`]) {
      expect((await signUpNew(address)).body.user.role).toBe('user');
    }
    const roles = await db.select({ role: users.role }).from(users).where(eq(users.email, email));
    expect(roles).toEqual([{ role: 'user' }]);
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

  it('refuses a taken email with 409 (in any letter case), without hashing the password', async () => {
    const { email } = await signUpNew();
    kdf.calls.length = 0;
    const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email: email.toUpperCase(), password: PASSWORD }));
    expect(res.status).toBe(409);
    expect((await res.json()).error.message).toMatch(/already exists\. Sign in instead/);
    expect(kdf.calls).toEqual([]);
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
    expect(wrongCalls).toEqual([{ N: 131072, keylen: 64 }]);
    expect(unknownCalls).toEqual(wrongCalls);
  });

  it('re-hashes a password stored with older, weaker parameters at the next sign-in', async () => {
    const { email } = await signUpNew();
    const db = await getDb();
    // A hash as the app made them before (N=2^14), of the same password.
    const old = 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$' + (await legacyHash(PASSWORD, 'c2FsdHNhbHRzYWx0c2FsdA=='));
    await db.update(users).set({ passwordHash: old }).where(eq(users.email, email));

    kdf.calls.length = 0;
    const res = await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }));
    expect(res.status).toBe(200);
    expect(kdf.calls.map((c) => c.N)).toEqual([16384, 131072]); // checked with the old cost, stored with the new
    const [row] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.email, email));
    expect(row!.passwordHash).toMatch(/^scrypt\$131072\$8\$1\$/);
    // The new hash holds the same password; the next sign-in derives once, at today's cost.
    kdf.calls.length = 0;
    expect((await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }))).status).toBe(200);
    expect(kdf.calls.map((c) => c.N)).toEqual([131072]);
  });
});

describe('throttle', () => {
  beforeEach(() => {
    kdf.calls.length = 0;
  });
  const limit = AUTH_LIMITS['sign-in'].perAccount.limit;

  it(`lets exactly ${limit} of 20 concurrent sign-ins to one account through; the rest get 429 with Retry-After and no key derivation`, async () => {
    const { email } = await signUpNew();
    kdf.calls.length = 0;
    const answers = await Promise.all(Array.from({ length: 20 }, () => signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }))));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - limit);
    expect(kdf.calls).toHaveLength(limit); // a refused attempt never reached scrypt

    const refused = answers.find((r) => r.status === 429)!;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(AUTH_LIMITS['sign-in'].perAccount.seconds - 60);
    expect(retryAfter).toBeLessThanOrEqual(AUTH_LIMITS['sign-in'].perAccount.seconds);
    const body = await refused.json();
    expect(body.error).toMatchObject({ code: 'TOO_MANY_REQUESTS', action: 'wait', retryAfterSeconds: retryAfter });
    expect(body.error.message).toMatch(/^Too many sign-in attempts\. Try again in 1[45] minutes\.$/);
    expect(refused.headers.getSetCookie()).toEqual([]);

    // Still refused with the right password: the window is per account, not per outcome.
    kdf.calls.length = 0;
    expect((await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }))).status).toBe(429);
    expect(kdf.calls).toEqual([]);
  });

  it('answers a throttled unknown email exactly as a throttled known one: same status, headers and body', async () => {
    const db = await getDb();
    const { email: known } = await signUpNew();
    const unknown = uniqueEmail('nobody');
    // The route records an attempt for an email nobody has, like for any other.
    expect((await signInRoute(jsonRequest('/api/auth/sign-in', { email: unknown, password: 'guess number one' }))).status).toBe(401);
    expect(await countAuthAttempts(db, `sign-in:account:${unknown}`)).toBe(1);
    // Fill both windows at the same moment, through the function the route calls.
    for (let i = 0; i < limit; i++) {
      await throttleAuthAttempt(db, 'sign-in', { email: known, ip: null });
      if (i < limit - 1) await throttleAuthAttempt(db, 'sign-in', { email: unknown, ip: null });
    }
    // At one moment for both: the route's attempt and the loop's came seconds apart on a loaded machine.
    await db
      .update(authAttempts)
      .set({ createdAt: sql`date_trunc('second', now()) - interval '1 minute'` })
      .where(inArray(authAttempts.key, [`sign-in:account:${known}`, `sign-in:account:${unknown}`]));
    kdf.calls.length = 0;
    const [a, b] = await Promise.all([signInFrom(known, 'a wrong password'), signInFrom(unknown, 'a wrong password')]);
    expect(kdf.calls).toEqual([]);
    expect([a.status, b.status]).toEqual([429, 429]);
    const headerNames = (r: Response) => [...r.headers.keys()].sort();
    expect(headerNames(a)).toEqual(headerNames(b));
    expect(headerNames(a)).toContain('retry-after');
    const [ja, jb] = [await a.json(), await b.json()];
    // Only the clock may differ between the two answers, by the time between the two concurrent reads.
    expect(Math.abs(ja.error.retryAfterSeconds - jb.error.retryAfterSeconds)).toBeLessThanOrEqual(1);
    expect({ ...ja.error, retryAfterSeconds: 0 }).toEqual({ ...jb.error, retryAfterSeconds: 0 });
  });

  it('throttles sign-ins per client IP (the last X-Forwarded-For hop) across different accounts', async () => {
    const db = await getDb();
    const ip = freshIp();
    const perIp = AUTH_LIMITS['sign-in'].perIp.limit;
    // A route attempt counts against the IP the proxy wrote (the last hop), not the one the client claimed.
    expect((await signInFrom(uniqueEmail('ip'), 'guess guess guess', ip)).status).toBe(401);
    expect(await countAuthAttempts(db, `sign-in:ip:${ip}`)).toBe(1);
    expect(await countAuthAttempts(db, 'sign-in:ip:203.0.113.250')).toBe(0);
    for (let i = 1; i < perIp; i++) await throttleAuthAttempt(db, 'sign-in', { email: uniqueEmail('ip'), ip });
    const { email } = await signUpNew();
    kdf.calls.length = 0;
    const refused = await signInFrom(email, PASSWORD, ip);
    expect(refused.status).toBe(429);
    expect(kdf.calls).toEqual([]);
    // The same account from another address is fine.
    expect((await signInFrom(email, PASSWORD, freshIp())).status).toBe(200);
  });

  it('throttles sign-ups per client IP, before any password is hashed', async () => {
    const db = await getDb();
    const ip = freshIp();
    const signUpFrom = (email: string) => signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: PASSWORD }, { headers: { 'x-forwarded-for': ip } }));
    expect((await signUpFrom(uniqueEmail('su'))).status).toBe(201);
    expect(await countAuthAttempts(db, `sign-up:ip:${ip}`)).toBe(1);
    for (let i = 1; i < AUTH_LIMITS['sign-up'].perIp.limit; i++) await throttleAuthAttempt(db, 'sign-up', { email: uniqueEmail('su'), ip });
    kdf.calls.length = 0;
    const email = uniqueEmail('su-refused');
    const refused = await signUpFrom(email);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await refused.json()).error.message).toMatch(/^Too many accounts created from here\. Try again in \d+ minutes?\.$/);
    expect(kdf.calls).toEqual([]);
    expect(await countUsers(email)).toBe(0);
  });
});

describe('sessions and API keys', () => {
  it('signs out: the answer clears the cookie, and the old cookie is refused afterwards even if replayed', async () => {
    const { cookie, body } = await signUpNew();
    expect((await me({ cookie })).status).toBe(200);
    const res = await signOutRoute(jsonRequest('/api/auth/sign-out', {}, { headers: { cookie, origin: APP_ORIGIN } }));
    expect(res.status).toBe(200);
    expect(res.headers.getSetCookie().join()).toMatch(/huskit_session=;.*Max-Age=0/);
    const replayed = await me({ cookie });
    expect(replayed.status).toBe(401);
    const rows = await (await getDb()).select().from(sessions).where(eq(sessions.userId, body.user.id));
    expect(rows).toEqual([]);
  });

  it('gives a new sign-in a new session and ends the one the browser had (no session fixation)', async () => {
    const { email, cookie } = await signUpNew();
    const again = await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }, { headers: { cookie } }));
    expect(again.status).toBe(200);
    const fresh = sessionCookieFrom(again);
    expect(fresh).not.toBe(cookie);
    expect((await me({ cookie: fresh })).status).toBe(200);
    expect((await me({ cookie })).status).toBe(401);
  });

  it('refuses a tampered or missing cookie with 401', async () => {
    const { cookie } = await signUpNew();
    const tampered = cookie.slice(0, -3) + (cookie.endsWith('a') ? 'bbb' : 'aaa');
    expect((await me({ cookie: tampered })).status).toBe(401);
    expect((await me({})).status).toBe(401);
  });

  it('refuses a session whose row has expired, though the cookie itself is still sealed and valid', async () => {
    const { cookie, body } = await signUpNew();
    await (
      await getDb()
    )
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.userId, body.user.id));
    expect((await me({ cookie })).status).toBe(401);
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

/** The hash of `password` with the app's former parameters (N=2^14, r=8, p=1), base64. */
async function legacyHash(password: string, saltB64: string): Promise<string> {
  const { scryptSync } = await vi.importActual<typeof import('node:crypto')>('node:crypto');
  return scryptSync(password.normalize('NFKC'), Buffer.from(saltB64, 'base64'), 64, { N: 16384, r: 8, p: 1 }).toString('base64');
}
