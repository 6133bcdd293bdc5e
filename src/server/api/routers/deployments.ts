import { z } from 'zod';
import { AUTH_MODES, DEPLOYMENT_PLATFORMS, DEPLOYMENT_STATUSES } from '@/lib/deployment';
import { cancelDeployment, deleteSite, deploymentLog, getDeployment, listDeployments, redeploy, rollback } from '../../deploy/manage';
import { createFromNegotiated } from '../../deploy/service';
import { deploymentAllowance } from '../../deploy/policy';
import { processDeploySettings } from '../../deploy/settings';
import { createTRPCRouter, scopedProcedure, sessionProcedure } from '../trpc';

const byId = z.object({ id: z.uuid({ error: 'That deployment was not found.' }) });

export const deploymentsRouter = createTRPCRouter({
  create: scopedProcedure('deploy')
    .input(
      z.object({
        chatId: z.string().trim().min(1).max(200),
        siteName: z.string().trim().min(1).max(100).optional(),
        platform: z.enum(DEPLOYMENT_PLATFORMS),
        authMode: z.enum(AUTH_MODES),
        /** What files.negotiate answered: the manifest is not sent twice. */
        manifestId: z.uuid({ error: 'manifestId is the id files.negotiate answered. Negotiate, then create with it.' }),
      }),
    )
    .mutation(({ ctx, input }) => createFromNegotiated(ctx.db, { ...input, userId: ctx.user.id })),
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
