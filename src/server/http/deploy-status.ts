// The JSON status of a deployment for clients that poll (GET /api/deploy-status): the seed's shape,
// with the HTTP status and the action a failure stands for.
import type { deployments } from '../db/schema';
import { deploymentFailure } from './platform-failures';

export function deploymentStatusJson(row: typeof deployments.$inferSelect) {
  const failure = row.status === 'error' ? deploymentFailure(row.errorCode) : undefined;
  return {
    deploymentId: row.id,
    platform: row.platform,
    status: row.status,
    step: row.step,
    progress: row.progress,
    ...(row.url ? { url: row.url } : {}),
    ...(row.error ? { error: row.error, errorCode: row.errorCode, httpStatus: failure?.httpStatus, action: failure?.action } : {}),
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}
