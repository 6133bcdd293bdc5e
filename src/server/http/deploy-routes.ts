// The seed's REST endpoints for integrators: POST /api/{platform}-deploy with files inline, or with the
// manifestId of a manifest negotiated through files.negotiate (its missing blobs uploaded).
import { z } from 'zod';
import { AUTH_MODES } from '@/lib/deployment';
import { isDeploymentPlatform, PLATFORMS } from '@/lib/platforms';
import { authenticateRequest } from '../auth/request';
import { getDb } from '../db/client';
import { inlineFilesSchema } from '../deploy/files';
import { createFromInlineFiles, createFromNegotiated } from '../deploy/service';
import { AppError } from '../errors';
import { jsonResponse, jsonRoute, readJsonBody } from './json';

/** 50 MB of files, base64-encoded in JSON. */
const MAX_INLINE_BODY = 72 * 1024 * 1024;

/** The REST body of the seed's endpoints (POST /api/{platform}-deploy). */
export const inlineDeployBody = z
  .object({
    authMode: z.enum(AUTH_MODES, { error: 'authMode must be "user-token" or "platform-managed".' }),
    projectName: z.string().trim().min(1, { error: 'Give the project a name (projectName).' }).max(100),
    chatId: z.string().trim().min(1, { error: 'chatId is required: it identifies the site across redeploys.' }).max(200),
    /** The files inline; or `manifestId`, the manifest negotiated through files.negotiate (its blobs uploaded). */
    files: inlineFilesSchema.optional(),
    manifestId: z.uuid({ error: 'manifestId is the id files.negotiate answered.' }).optional(),
    framework: z.string().max(50).optional(),
  })
  .refine((body) => (body.files === undefined) !== (body.manifestId === undefined), {
    error: 'Send the files inline (files), or the manifestId that files.negotiate answered: one of the two.',
  });

/** The handler of `POST /api/{platform}-deploy`, for every platform of the registry. */
export function inlineDeployRoute(request: Request, { params }: { params: Promise<{ platform: string }> }): Promise<Response> {
  return jsonRoute(async () => {
    const { platform } = await params;
    if (!isDeploymentPlatform(platform))
      throw new AppError('NOT_FOUND', `There is no platform "${platform}". Deploy to one of: ${Object.keys(PLATFORMS).join(', ')}.`);
    const db = await getDb();
    const user = await authenticateRequest(db, request, 'deploy');
    const body = await readJsonBody(request, inlineDeployBody, MAX_INLINE_BODY);
    const target = { userId: user.id, chatId: body.chatId, siteName: body.projectName, platform, authMode: body.authMode };
    // The files inline, or a negotiated manifest by id.
    const { deploymentId } = body.files
      ? await createFromInlineFiles(db, target, body.files)
      : await createFromNegotiated(db, { ...target, manifestId: body.manifestId! });
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
