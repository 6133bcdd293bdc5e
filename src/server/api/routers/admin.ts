import { z } from 'zod';
import { adminOverview, listRecentUsers } from '../../admin/overview';
import { adminProcedure, createTRPCRouter } from '../trpc';

export const adminRouter = createTRPCRouter({
  overview: adminProcedure.query(({ ctx }) => adminOverview(ctx.db)),
  users: adminProcedure
    .input(z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 }))
    .query(({ ctx, input }) => listRecentUsers(ctx.db, input.limit)),
});
