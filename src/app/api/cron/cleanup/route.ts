import { getDb } from '@/server/db/client';
import { enqueueDeployment } from '@/server/deploy/background';
import { runCleanup } from '@/server/deploy/cleanup';
import { cronAuthorized } from '@/server/http/cron-auth';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 300;

/** The host's cron calls this daily with Authorization: Bearer ${CRON_SECRET} (src/server/hosting.ts). */
export const GET = jsonRoute(async (request) => {
  if (!cronAuthorized(request.headers.get('authorization')))
    return jsonResponse({ error: { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <CRON_SECRET>.' } }, 401);
  return jsonResponse(await runCleanup(await getDb(), { redrive: enqueueDeployment }));
});
