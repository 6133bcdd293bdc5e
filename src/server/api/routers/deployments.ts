import { z } from 'zod';
import { INLINE_CHANGES_LIMITS } from '@/lib/deploy-client';
import { SHA256_HEX } from '@/lib/site-files';
import { AUTH_MODES, DEPLOYMENT_PLATFORMS, DEPLOYMENT_STATUSES } from '@/lib/deployment';
import { cancelDeployment, deleteSite, deploymentLog, getDeployment, listDeployments, redeploy, rollback } from '../../deploy/manage';
import { createRequested } from '../../deploy/service';
import { deploymentAllowance } from '../../deploy/policy';
import { processDeploySettings } from '../../deploy/settings';
import { deltaFields } from './files';
import { createTRPCRouter, scopedProcedure, sessionProcedure } from '../trpc';

// One object rather than a union: a wrong field is named by its own message.
const createInput = z
  .object({
    chatId: z.string().trim().min(1).max(200),
    siteName: z.string().trim().min(1).max(100).optional(),
    platform: z.enum(DEPLOYMENT_PLATFORMS),
    authMode: z.enum(AUTH_MODES),
    /** What files.negotiate answered: the manifest is not sent twice. */
    manifestId: z.uuid({ error: 'manifestId is the id files.negotiate answered. Negotiate, then create with it.' }).optional(),
    /** Or a redeploy in one request: a delta (as files.negotiate takes it) and the changed files' bytes. */
    ...deltaFields,
    files: z
      .record(
        z.string().regex(SHA256_HEX, { error: 'files are keyed by SHA-256, 64 lowercase hex characters.' }),
        z
          .string()
          .max(Math.ceil(INLINE_CHANGES_LIMITS.maxBytes / 3) * 4, { error: 'A file sent inline is larger than a request may carry: negotiate and upload it.' }),
      )
      .refine((files) => Object.keys(files).length <= INLINE_CHANGES_LIMITS.maxFiles, {
        error: `At most ${INLINE_CHANGES_LIMITS.maxFiles} files go inline: negotiate and upload them instead.`,
      })
      .optional(),
  })
  .transform(({ manifestId, base, changes, manifestHash, files, ...rest }, ctx) => {
    if (manifestId && base === undefined && changes === undefined && manifestHash === undefined && files === undefined) return { ...rest, manifestId };
    if (!manifestId && base !== undefined && changes && manifestHash && files) return { ...rest, base, changes, manifestHash, files };
    ctx.addIssue({ code: 'custom', message: 'Send the manifestId that files.negotiate answered, or the changes: base, changes, manifestHash and files.' });
    return z.NEVER;
  });

const byId = z.object({ id: z.uuid({ error: 'That deployment was not found.' }) });

export const deploymentsRouter = createTRPCRouter({
  /** A deployment of a manifest negotiated by id (files.negotiate), or a small redeploy whole: its changes with their bytes. */
  create: scopedProcedure('deploy')
    .input(createInput)
    .mutation(({ ctx, input }) => createRequested(ctx.db, { ...input, userId: ctx.user.id })),
  allowance: sessionProcedure.query(({ ctx }) => deploymentAllowance(ctx.db, ctx.user.id, processDeploySettings().limits)),
  get: scopedProcedure('status')
    .input(byId)
    .query(({ ctx, input }) => getDeployment(ctx.db, ctx.user.id, input.id)),
  list: scopedProcedure('status')
    .input(
      z.object({
        platform: z.enum(DEPLOYMENT_PLATFORMS).optional(),
        status: z.enum(DEPLOYMENT_STATUSES).optional(),
        chatId: z.string().max(200).optional(),
        cursor: z.date().optional(),
        limit: z.number().int().min(1).max(100).default(20),
      }),
    )
    .query(({ ctx, input }) => listDeployments(ctx.db, ctx.user.id, input)),
  log: scopedProcedure('status')
    .input(byId)
    .query(({ ctx, input }) => deploymentLog(ctx.db, ctx.user.id, input.id)),
  redeploy: scopedProcedure('deploy')
    .input(byId)
    .mutation(({ ctx, input }) => redeploy(ctx.db, ctx.user.id, input.id)),
  rollback: scopedProcedure('deploy')
    .input(byId)
    .mutation(({ ctx, input }) => rollback(ctx.db, ctx.user.id, input.id)),
  cancel: scopedProcedure('deploy')
    .input(byId)
    .mutation(({ ctx, input }) => cancelDeployment(ctx.db, ctx.user.id, input.id)),
  delete: sessionProcedure.input(byId).mutation(({ ctx, input }) => deleteSite(ctx.db, ctx.user.id, input.id)),
});
