// The seed's REST endpoints for integrators: POST /api/{platform}-deploy with files inline, or with the
// manifestId of a manifest negotiated through files.negotiate (its missing blobs uploaded).
import { isDeploymentPlatform, PLATFORMS } from '@/lib/platforms';
import { authenticateRequest } from '../auth/request';
import { getDb } from '../db/client';
import { startRunner } from '../deploy/background';
import { deployRestBody, inlineDeployBody } from '../deploy/service';
import { AppError } from '../errors';
import { jsonResponse, jsonRoute, readJsonBody } from './json';

/** 50 MB of files, base64-encoded in JSON. */
const MAX_INLINE_BODY = 72 * 1024 * 1024;

/** The handler of `POST /api/{platform}-deploy`, for every platform of the registry. */
export function inlineDeployRoute(request: Request, { params }: { params: Promise<{ platform: string }> }): Promise<Response> {
  return jsonRoute(async () => {
    const { platform } = await params;
    if (!isDeploymentPlatform(platform))
      throw new AppError('NOT_FOUND', `There is no platform "${platform}". Deploy to one of: ${Object.keys(PLATFORMS).join(', ')}.`);
    const db = await getDb();
    const user = await authenticateRequest(db, request, 'deploy');
    const body = await readJsonBody(request, inlineDeployBody, MAX_INLINE_BODY);
    const { deploymentId } = await deployRestBody(db, user.id, platform, body);
    startRunner(deploymentId);
    return jsonResponse(
      {
        deploymentId,
        status: 'pending',
        statusUrl: `/api/deploy-status?deploymentId=${deploymentId}`,
        eventsUrl: `/api/deployments/${deploymentId}/events`,
      },
      202,
    );
  })(request);
}
