import { assertSameSite } from '@/server/auth/request';
import { endSession, headerCookieStore } from '@/server/auth/session';
import { getDb } from '@/server/db/client';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';

/** Ends the session on the server (its row is deleted) and clears the cookie. */
export const POST = jsonRoute(async (request) => {
  assertSameSite(request);
  const headers = new Headers();
  await endSession(await getDb(), headerCookieStore(request.headers, headers));
  return jsonResponse({ ok: true }, 200, headers);
});
