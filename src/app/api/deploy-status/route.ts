import { z } from 'zod';
import { authenticateRequest } from '@/server/auth/request';
import { getDb } from '@/server/db/client';
import { enqueueDeployment } from '@/server/deploy/background';
import { pollDeployment } from '@/server/deploy/manage';
import { AppError } from '@/server/errors';
import { deploymentStatusJson } from '@/server/http/deploy-status';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** The seed's JSON status for clients that poll; re-drives a deployment whose runner died. */
export const GET = jsonRoute(async (request) => {
  const db = await getDb();
  const user = await authenticateRequest(db, request, 'status');
  const id = new URL(request.url).searchParams.get('deploymentId') ?? '';
  if (!z.uuid().safeParse(id).success) throw new AppError('NOT_FOUND', 'That deployment was not found.');
  return jsonResponse(deploymentStatusJson(await pollDeployment(db, user.id, id, enqueueDeployment)));
});
