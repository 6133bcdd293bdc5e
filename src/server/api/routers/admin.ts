import { z } from 'zod';
import { sitesClosestToExpiry } from '../../admin/expiring';
import { grantAdmin, listAdmins, revokeAdmin } from '../../admin/roles';
import { adminOverview, deploymentsOfUser, deploymentsPerDay, listRecentUsers, recentFailures, recentRejections } from '../../admin/overview';
import { enqueueDeployment } from '../../deploy/background';
import { runCleanup } from '../../deploy/cleanup';
import { adminProcedure, createTRPCRouter } from '../trpc';

const limit = z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 });

export const adminRouter = createTRPCRouter({
  overview: adminProcedure.query(({ ctx }) => adminOverview(ctx.db)),
  users: adminProcedure.input(limit).query(({ ctx, input }) => listRecentUsers(ctx.db, input.limit)),
  rejections: adminProcedure.input(limit).query(({ ctx, input }) => recentRejections(ctx.db, input.limit)),
  deploymentsPerDay: adminProcedure
    .input(z.object({ days: z.number().int().min(1).max(90).default(14) }).default({ days: 14 }))
    .query(({ ctx, input }) => deploymentsPerDay(ctx.db, input.days)),
  failures: adminProcedure.input(limit).query(({ ctx, input }) => recentFailures(ctx.db, input.limit)),
  expiring: adminProcedure.input(limit).query(({ ctx, input }) => sitesClosestToExpiry(ctx.db, input.limit)),
  runCleanup: adminProcedure.mutation(({ ctx }) => runCleanup(ctx.db, { redrive: enqueueDeployment })),
  userDeployments: adminProcedure
    .input(z.object({ email: z.string().trim().min(3).max(254) }))
    .query(({ ctx, input }) => deploymentsOfUser(ctx.db, input.email)),
  admins: adminProcedure.query(({ ctx }) => listAdmins(ctx.db)),
  grantAdmin: adminProcedure
    .input(z.object({ email: z.string().trim().min(1, { error: 'Enter the email of an account.' }).max(254) }))
    .mutation(({ ctx, input }) => grantAdmin(ctx.db, input.email, { kind: 'admin', adminId: ctx.user.id })),
  revokeAdmin: adminProcedure
    .input(z.object({ userId: z.uuid({ error: 'That admin was not found.' }) }))
    .mutation(({ ctx, input }) => revokeAdmin(ctx.db, { userId: input.userId }, { kind: 'admin', adminId: ctx.user.id })),
});
