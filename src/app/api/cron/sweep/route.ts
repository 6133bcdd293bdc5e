import { getDb } from '@/server/db/client';
import { sweepDeployments } from '@/server/deploy/sweep';
import { cronAuthorized } from '@/server/http/cron-auth';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 300;

/**
 * The host's cron calls this every minute with Authorization: Bearer ${CRON_SECRET} (src/server/hosting.ts): deployments whose
 * runner stopped are driven on from their last checkpoint (one cut short here is resumed next minute).
 */
export const GET = jsonRoute(async (request) => {
  if (!cronAuthorized(request.headers.get('authorization')))
    return jsonResponse({ error: { code: 'UNAUTHORIZED', message: 'Send Authorization: Bearer <CRON_SECRET>.' } }, 401);
  return jsonResponse(await sweepDeployments(await getDb()));
});
