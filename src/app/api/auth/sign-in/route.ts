import { signInInput } from '@/lib/account';
import { signIn } from '@/server/auth/accounts';
import { assertSameSite } from '@/server/auth/request';
import { headerCookieStore, startSession } from '@/server/auth/session';
import { getDb } from '@/server/db/client';
import { jsonResponse, jsonRoute, readJsonBody } from '@/server/http/json';

export const runtime = 'nodejs';

export const POST = jsonRoute(async (request) => {
  assertSameSite(request);
  const input = await readJsonBody(request, signInInput);
  const user = await signIn(await getDb(), input);
  const headers = new Headers();
  await startSession(headerCookieStore(request.headers, headers), user);
  return jsonResponse({ user: { id: user.id, email: user.email, role: user.role } }, 200, headers);
});
