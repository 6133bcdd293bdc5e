// The session cookie (iron-session: sealed and signed, stateless). It holds the user id and the
// user's session version, so bumping the version in the database revokes every cookie.
import { getIronSession, type IronSession, type SessionOptions } from 'iron-session';
import { parse, serialize } from 'cookie';

type ResponseCookie = { name: string; value: string; expires?: Date | number } & Omit<import('cookie').CookieSerializeOptions, 'expires'>;
import { getEnv } from '../env';
import type { Db } from '../db/client';
import { findSessionUser, type SessionUser } from './accounts';

export interface SessionData {
  userId?: string;
  sv?: number;
}

export const SESSION_COOKIE = 'huskit_session';
const SESSION_TTL_SECONDS = 14 * 24 * 60 * 60;

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
      const { name, value: v, ...rest } =
        typeof nameOrCookie === 'string' ? { name: nameOrCookie, value: value ?? '', ...options } : nameOrCookie;
      responseHeaders.append('set-cookie', serialize(name, v, { ...rest, expires: typeof rest.expires === 'number' ? new Date(rest.expires) : rest.expires }));
    },
  };
}

export function getSession(store: CookieStore): Promise<IronSession<SessionData>> {
  return getIronSession<SessionData>(store, sessionOptions());
}

export async function startSession(store: CookieStore, user: SessionUser): Promise<void> {
  const session = await getSession(store);
  session.userId = user.id;
  session.sv = user.sessionVersion;
  await session.save();
}

export async function endSession(store: CookieStore): Promise<void> {
  (await getSession(store)).destroy();
}

export async function readSessionUser(db: Db, store: CookieStore): Promise<SessionUser | null> {
  const session = await getSession(store);
  if (!session.userId || typeof session.sv !== 'number') return null;
  return findSessionUser(db, session.userId, session.sv);
}
