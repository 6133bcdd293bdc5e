import { authenticateRequest } from '@/server/auth/request';
import { getDb } from '@/server/db/client';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';

/** Who am I: answers for a session cookie or an API key (integrators check their key with it). */
export const GET = jsonRoute(async (request) => {
  const user = await authenticateRequest(await getDb(), request, 'any-key');
  return jsonResponse({ user: { id: user.id, email: user.email, role: user.role } });
});
