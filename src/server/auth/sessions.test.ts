// Server-side sessions through the real routes and tRPC over HTTP: "sign out everywhere" ends every
// browser, a password change ends the others but keeps this one, and an old cookie stays dead.
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { POST as signInRoute } from '@/app/api/auth/sign-in/route';
import { POST as signUpRoute } from '@/app/api/auth/sign-up/route';
import { GET as meRoute } from '@/app/api/me/route';
import { auditLog, sessions } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { APP_ORIGIN, jsonRequest, sessionCookieFrom } from '@/testing/http';
import { answerOf, trpcOverHttp } from '@/testing/trpc-http';
import { pruneExpiredSessions } from './session';
import { AUTH_LIMITS, throttleAuthAttempt } from './throttle';

const getDb = useTestDb();
const PASSWORD = 'correct horse battery staple';
const NEW_PASSWORD = 'a brand new long password';

const meStatus = async (cookie: string) => (await meRoute(new Request(`${APP_ORIGIN}/api/me`, { headers: { cookie } }))).status;
const signInCookie = async (email: string, password = PASSWORD) => {
  const res = await signInRoute(jsonRequest('/api/auth/sign-in', { email, password }, { headers: { 'user-agent': 'Second browser/1.0' } }));
  expect(res.status).toBe(200);
  return sessionCookieFrom(res);
};

/** One account signed in from three browsers. */
async function threeBrowsers() {
  const email = uniqueEmail('sessions');
  const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: PASSWORD }));
  expect(res.status).toBe(201);
  const userId = (await res.json()).user.id as string;
  const cookies = [sessionCookieFrom(res), await signInCookie(email), await signInCookie(email)];
  for (const c of cookies) expect(await meStatus(c)).toBe(200);
  return { email, userId, cookies };
}

describe('sessions', () => {
  it('keeps one row per signed-in browser, with its user agent', async () => {
    const { userId, cookies } = await threeBrowsers();
    const rows = await (await getDb()).select().from(sessions).where(eq(sessions.userId, userId));
    expect(rows).toHaveLength(3);
    expect(rows.filter((r) => r.userAgent === 'Second browser/1.0')).toHaveLength(2);
    expect(await trpcOverHttp({ cookie: cookies[0]! }).account.sessions.query()).toEqual({ count: 3 });
  });

  it('signs out everywhere: every cookie of the user, this one too, is refused afterwards', async () => {
    const { userId, cookies } = await threeBrowsers();
    const other = await threeBrowsers();
    expect(await trpcOverHttp({ cookie: cookies[1]! }).account.signOutEverywhere.mutate()).toEqual({ endedSessions: 3 });
    for (const c of cookies) expect(await meStatus(c)).toBe(401);
    // Someone else's browsers are untouched.
    for (const c of other.cookies) expect(await meStatus(c)).toBe(200);
    const audit = await (
      await getDb()
    )
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.userId, userId), eq(auditLog.action, 'account.sign_out_everywhere')));
    expect(audit).toHaveLength(1);
  });

  it('changes the password: the other sessions end, this one stays, and only the new password signs in', async () => {
    const { email, cookies } = await threeBrowsers();
    const [mine, ...others] = cookies as [string, string, string];
    const answer = await trpcOverHttp({ cookie: mine }).account.changePassword.mutate({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD });
    expect(answer).toEqual({ endedSessions: 2 });
    expect(await meStatus(mine)).toBe(200);
    for (const c of others) expect(await meStatus(c)).toBe(401);

    expect((await signInRoute(jsonRequest('/api/auth/sign-in', { email, password: PASSWORD }))).status).toBe(401);
    expect(await meStatus(await signInCookie(email, NEW_PASSWORD))).toBe(200);
  });

  it('refuses a wrong current password with a field error and changes nothing', async () => {
    const { email, cookies } = await threeBrowsers();
    const answer = await answerOf(
      trpcOverHttp({ cookie: cookies[0]! }).account.changePassword.mutate({ currentPassword: 'not my password', newPassword: NEW_PASSWORD }),
    );
    expect(answer).toEqual({ status: 400, message: 'Your current password is not right. Enter it again.' });
    for (const c of cookies) expect(await meStatus(c)).toBe(200);
    expect(await meStatus(await signInCookie(email))).toBe(200);
  });

  it('refuses a new password that is too short or the same as the current one', async () => {
    const { cookies } = await threeBrowsers();
    const client = trpcOverHttp({ cookie: cookies[0]! });
    expect(await answerOf(client.account.changePassword.mutate({ currentPassword: PASSWORD, newPassword: 'short' }))).toMatchObject({ status: 400 });
    expect(await answerOf(client.account.changePassword.mutate({ currentPassword: PASSWORD, newPassword: PASSWORD }))).toMatchObject({ status: 400 });
    for (const c of cookies) expect(await meStatus(c)).toBe(200);
  });

  it('throttles password changes like sign-ins (the same per-account window), before checking the password', async () => {
    const { email, cookies } = await threeBrowsers();
    const db = await getDb();
    // Two sign-ins already counted (the sign-up is another window); fill the rest of it.
    for (let i = 2; i < AUTH_LIMITS['sign-in'].perAccount.limit; i++) await throttleAuthAttempt(db, 'sign-in', { email, ip: null });
    const answer = await answerOf(
      trpcOverHttp({ cookie: cookies[0]! }).account.changePassword.mutate({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
    );
    expect(answer).toMatchObject({ status: 429, message: expect.stringMatching(/^Too many sign-in attempts\. Try again in \d+ minutes?\.$/) });
    for (const c of cookies) expect(await meStatus(c)).toBe(200);
  });

  it('prunes expired sessions and only those', async () => {
    const db = await getDb();
    const { userId, cookies } = await threeBrowsers();
    const [row] = await db.select({ id: sessions.id }).from(sessions).where(eq(sessions.userId, userId)).limit(1);
    await db
      .update(sessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(sessions.id, row!.id));
    expect(await pruneExpiredSessions(db)).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(sessions).where(eq(sessions.userId, userId))).toHaveLength(2);
    expect((await Promise.all(cookies.map(meStatus))).sort()).toEqual([200, 200, 401]);
  });
});
