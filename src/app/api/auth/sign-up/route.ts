import { signUpInput } from '@/lib/account';
import { signUp } from '@/server/auth/accounts';
import { assertSameSite } from '@/server/auth/request';
import { headerCookieStore, startSession } from '@/server/auth/session';
import { clientIp } from '@/server/auth/throttle';
import { getDb } from '@/server/db/client';
import { jsonResponse, jsonRoute, readJsonBody } from '@/server/http/json';

export const runtime = 'nodejs';

export const POST = jsonRoute(async (request) => {
  assertSameSite(request);
  const input = await readJsonBody(request, signUpInput);
  const db = await getDb();
  const user = await signUp(db, input, { ip: clientIp(request.headers) });
  const headers = new Headers();
  await startSession(db, headerCookieStore(request.headers, headers), user, request.headers);
  return jsonResponse({ user: { id: user.id, email: user.email, role: user.role } }, 201, headers);
});
