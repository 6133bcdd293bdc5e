import { z } from 'zod';
import { authenticateRequest } from '@/server/auth/request';
import { getDb } from '@/server/db/client';
import { startRunner } from '@/server/deploy/background';
import { deploymentStatus } from '@/server/deploy/service';
import { AppError } from '@/server/errors';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = jsonRoute(async (request) => {
  const db = await getDb();
  const user = await authenticateRequest(db, request, 'status');
  const id = new URL(request.url).searchParams.get('deploymentId') ?? '';
  if (!z.uuid().safeParse(id).success) throw new AppError('NOT_FOUND', 'That deployment was not found.');
  return jsonResponse(await deploymentStatus(db, user.id, id, startRunner));
});
