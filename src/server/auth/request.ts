// Who is calling: an API key (Authorization: Bearer hs_…) or the session cookie, and how. REST route
// handlers name the scope a key needs; tRPC keeps the whole answer in its context.
import { API_KEY_SCOPE_INFO, type ApiKeyScope } from '@/lib/api-key-scopes';
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { SessionUser } from './accounts';
import { authenticateApiKey } from './api-keys';
import { isCrossSiteRequest } from './origin';
import { headerCookieStore, readSession } from './session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * How the caller proved who they are. `sessionId` null: a caller the server built itself without a
 * request (a tRPC `createCaller` in tests or scripts), which counts as a session.
 */
export type CallerAuth = { kind: 'session'; sessionId: string | null } | { kind: 'api-key'; keyId: string; scopes: ApiKeyScope[] };

export interface Caller {
  user: SessionUser;
  auth: CallerAuth;
}

/**
 * The caller, or null when the request carries neither a key nor a live session. A bad key is 401
 * (its message says why: unknown, revoked, expired); a cross-site request riding on the cookie is 403.
 */
export async function identifyCaller(db: Db, request: Request): Promise<Caller | null> {
  const authorization = request.headers.get('authorization');
  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    const key = await authenticateApiKey(db, m?.[1] ?? '');
    return { user: key.user, auth: { kind: 'api-key', keyId: key.keyId, scopes: key.scopes } };
  }
  if (!SAFE_METHODS.has(request.method)) assertSameSite(request);
  const session = await readSession(db, headerCookieStore(request.headers));
  return session && { user: session.user, auth: { kind: 'session', sessionId: session.sessionId } };
}

/**
 * The user behind a REST request. `scope`: what an API key must be allowed to do here ('any-key': any
 * valid key, for "who am I"). A session may do everything a key may.
 */
export async function authenticateRequest(db: Db, request: Request, scope: ApiKeyScope | 'any-key'): Promise<SessionUser> {
  const caller = await identifyCaller(db, request);
  if (!caller) throw new AppError('UNAUTHORIZED', 'Sign in, or send an API key as Authorization: Bearer hs_….');
  if (scope !== 'any-key') assertKeyScope(caller.auth, scope);
  return caller.user;
}

/** 403 for an API key without `scope`; a session passes. */
export function assertKeyScope(auth: CallerAuth, scope: ApiKeyScope): void {
  if (auth.kind === 'api-key' && !auth.scopes.includes(scope))
    throw new AppError(
      'FORBIDDEN',
      `This API key may not ${API_KEY_SCOPE_INFO[scope].label.toLowerCase()} (it lacks the "${scope}" scope). Create a key with that scope in Settings.`,
    );
}

/** 403 for an API key: keys, connections, the password, sessions and admin work need a signed-in session. */
export function assertSession(auth: CallerAuth): void {
  if (auth.kind !== 'session')
    throw new AppError('FORBIDDEN', 'API keys cannot do this: sign in to the app. Keys, connections, your password, sessions and admin work need a session.');
}

export function assertSameSite(request: Request): void {
  if (isCrossSiteRequest(request.headers)) throw new AppError('FORBIDDEN', 'Cross-site requests are not allowed. Use the app itself, or an API key.');
}
