import { assertSameSite } from '@/server/auth/request';
import { endSession, headerCookieStore } from '@/server/auth/session';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';

export const POST = jsonRoute(async (request) => {
  assertSameSite(request);
  const headers = new Headers();
  await endSession(headerCookieStore(request.headers, headers));
  return jsonResponse({ ok: true }, 200, headers);
});
