import { timingSafeEqual } from 'node:crypto';
import { getDb } from '@/server/db/client';
import { startRunner } from '@/server/deploy/background';
import { runCleanup } from '@/server/deploy/cleanup';
import { getEnv } from '@/server/env';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 300;

function authorized(header: string | null): boolean {
  const expected = Buffer.from(`Bearer ${getEnv().cronSecret}`);
  const given = Buffer.from(header ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The host's cron calls this daily with Authorization: Bearer ${CRON_SECRET} (src/server/hosting.ts). */
export const GET = jsonRoute(async (request) => {
  if (!authorized(request.headers.get('authorization')))
    return jsonResponse({ error: { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <CRON_SECRET>.' } }, 401);
  return jsonResponse(await runCleanup(await getDb(), { redrive: startRunner }));
});
