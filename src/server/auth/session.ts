// Sessions: the cookie (iron-session, sealed and signed) carries only a random token; the server keeps
// a `sessions` row named by the token's SHA-256. The cookie counts only while its row exists and has
// not expired, so signing out (or out everywhere, or changing the password) ends a session for good,
// even if the old cookie is replayed.
import { createHash, randomBytes } from 'node:crypto';
import { and, eq, gt, lt, ne, sql } from 'drizzle-orm';
import { getIronSession, type IronSession, type SessionOptions } from 'iron-session';
import { parse, serialize } from 'cookie';

type ResponseCookie = { name: string; value: string; expires?: Date | number } & Omit<import('cookie').CookieSerializeOptions, 'expires'>;
import { getEnv } from '../env';
import { sessions, users } from '../db/schema';
import type { Db, Tx } from '../db/client';
import type { SessionUser } from './accounts';

export interface SessionData {
  token?: string;
}

export const SESSION_COOKIE = 'huskit_session';
export const SESSION_TTL_SECONDS = 14 * 24 * 60 * 60;

export function sessionOptions(): SessionOptions {
  const env = getEnv();
  return {
    cookieName: SESSION_COOKIE,
    password: env.sessionPasswords,
    ttl: SESSION_TTL_SECONDS,
    cookieOptions: { httpOnly: true, sameSite: 'lax', secure: env.isProduction, path: '/' },
  };
}

/** What iron-session needs to read and write cookies; Next's `cookies()` is one. */
export interface CookieStore {
  get(name: string): { name: string; value: string } | undefined;
  set: { (name: string, value: string, cookie?: Partial<ResponseCookie>): void; (cookie: ResponseCookie): void };
}

/** A cookie store over plain request headers; Set-Cookie lines go to `responseHeaders`. */
export function headerCookieStore(requestHeaders: Headers, responseHeaders?: Headers): CookieStore {
  const jar = parse(requestHeaders.get('cookie') ?? '');
  return {
    get: (name: string) => (jar[name] === undefined ? undefined : { name, value: jar[name]! }),
    set: (nameOrCookie: string | ResponseCookie, value?: string, options?: Partial<ResponseCookie>): void => {
      if (!responseHeaders) throw new Error('This cookie store is read-only.');
      const { name, value: v, ...rest } = typeof nameOrCookie === 'string' ? { name: nameOrCookie, value: value ?? '', ...options } : nameOrCookie;
      responseHeaders.append('set-cookie', serialize(name, v, { ...rest, expires: typeof rest.expires === 'number' ? new Date(rest.expires) : rest.expires }));
    },
  };
}

function getSession(store: CookieStore): Promise<IronSession<SessionData>> {
  return getIronSession<SessionData>(store, sessionOptions());
}

const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Opens a session for the user: a new row, and the cookie that names it. */
export async function startSession(db: Db, store: CookieStore, user: SessionUser, requestHeaders?: Headers): Promise<void> {
  const session = await getSession(store);
  const previous = typeof session.token === 'string' ? hashToken(session.token) : null;
  const token = randomBytes(32).toString('base64url');
  const now = new Date();
  await db.transaction(async (tx) => {
    // The session this browser had (if any) ends: a new sign-in always gets a new token.
    if (previous) await tx.delete(sessions).where(eq(sessions.tokenHash, previous));
    // Expired sessions of this user go now: rows never pile up without a separate job.
    await tx.delete(sessions).where(and(eq(sessions.userId, user.id), lt(sessions.expiresAt, now)));
    await tx.insert(sessions).values({
      userId: user.id,
      tokenHash: hashToken(token),
      expiresAt: new Date(now.getTime() + SESSION_TTL_SECONDS * 1000),
      userAgent: requestHeaders?.get('user-agent')?.slice(0, 300) ?? null,
    });
  });
  session.token = token;
  await session.save();
}

/** Ends this cookie's session: its row is deleted and the cookie cleared. */
export async function endSession(db: Db, store: CookieStore): Promise<void> {
  const session = await getSession(store);
  if (typeof session.token === 'string') await db.delete(sessions).where(eq(sessions.tokenHash, hashToken(session.token)));
  session.destroy();
}

export interface CurrentSession {
  user: SessionUser;
  sessionId: string;
}

/** The session a cookie names, if its row exists and has not expired; the user as stored now. */
export async function readSession(db: Db, store: CookieStore): Promise<CurrentSession | null> {
  const { token } = await getSession(store);
  if (typeof token !== 'string') return null;
  const [row] = await db
    .select({ sessionId: sessions.id, lastSeenAt: sessions.lastSeenAt, id: users.id, email: users.email, role: users.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, hashToken(token)), gt(sessions.expiresAt, sql`now()`)))
    .limit(1);
  if (!row) return null;
  // At most one write a minute per session: a page's many requests must not queue on this row.
  if (Date.now() - row.lastSeenAt.getTime() > 60_000)
    await db
      .update(sessions)
      .set({ lastSeenAt: sql`now()` })
      .where(and(eq(sessions.id, row.sessionId), lt(sessions.lastSeenAt, sql`now() - interval '1 minute'`)));
  return { sessionId: row.sessionId, user: { id: row.id, email: row.email, role: row.role } };
}

export async function readSessionUser(db: Db, store: CookieStore): Promise<SessionUser | null> {
  return (await readSession(db, store))?.user ?? null;
}

/** Ends every session of the user but `keep` (the caller's own, when it changes the password). */
export async function endAllSessions(db: Db | Tx, userId: string, keep?: string | null): Promise<number> {
  const ended = await db
    .delete(sessions)
    .where(keep ? and(eq(sessions.userId, userId), ne(sessions.id, keep)) : eq(sessions.userId, userId))
    .returning({ id: sessions.id });
  return ended.length;
}

/** How many unexpired sessions the user has (Settings shows it). */
export async function countSessions(db: Db, userId: string): Promise<number> {
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, sql`now()`)));
  return rows.length;
}

/** Deletes sessions that expired before `now` (for the daily cleanup; a sign-in also drops its user's). */
export async function pruneExpiredSessions(db: Db, now = new Date()): Promise<number> {
  return (await db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id })).length;
}
