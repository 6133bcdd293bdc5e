// Who is calling a REST route handler: an API key (Authorization: Bearer hs_…) or the session cookie.
import type { Db } from '../db/client';
import { AppError } from '../errors';
import type { SessionUser } from './accounts';
import { authenticateApiKey } from './api-keys';
import { isCrossSiteRequest } from './origin';
import { headerCookieStore, readSessionUser } from './session';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function authenticateRequest(db: Db, request: Request): Promise<SessionUser> {
  const authorization = request.headers.get('authorization');
  if (authorization) {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization);
    const user = m ? await authenticateApiKey(db, m[1]!) : null;
    if (!user) throw new AppError('UNAUTHORIZED', 'The API key is missing, malformed or revoked. Create a new one in Settings.');
    return user;
  }
  if (!SAFE_METHODS.has(request.method)) assertSameSite(request);
  const user = await readSessionUser(db, headerCookieStore(request.headers));
  if (!user) throw new AppError('UNAUTHORIZED', 'Sign in, or send an API key as Authorization: Bearer hs_….');
  return user;
}

export function assertSameSite(request: Request): void {
  if (isCrossSiteRequest(request.headers))
    throw new AppError('FORBIDDEN', 'Cross-site requests are not allowed. Use the app itself, or an API key.');
}
