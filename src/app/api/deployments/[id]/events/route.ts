import { z } from 'zod';
import { authenticateRequest } from '@/server/auth/request';
import { getDb } from '@/server/db/client';
import { AppError } from '@/server/errors';
import { jsonRoute } from '@/server/http/json';
import { sseResponse, streamDeployment } from '@/server/http/status-sse';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';
export const maxDuration = 300;

/** Server-Sent Events of one deployment; resumes after `Last-Event-ID`. */
export const GET = jsonRoute(async (request) => {
  const db = await getDb();
  const user = await authenticateRequest(db, request, 'status');
  const id = new URL(request.url).pathname.split('/').at(-2) ?? '';
  const notFound = new AppError('NOT_FOUND', 'That deployment was not found.');
  if (!z.uuid().safeParse(id).success) throw notFound;
  const lastEventId = Number(request.headers.get('last-event-id') ?? new URL(request.url).searchParams.get('lastEventId') ?? 0) || 0;
  const stream = await streamDeployment(user.id, id, lastEventId, request.signal);
  if (!stream) throw notFound;
  return sseResponse(stream);
});
