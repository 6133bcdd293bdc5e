import { z } from 'zod';
import { listConnections, removeConnection } from '../../connections/store';
import { createTRPCRouter, protectedProcedure } from '../trpc';

export const connectionsRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listConnections(ctx.db, ctx.user.id)),
  remove: protectedProcedure
    .input(z.object({ id: z.uuid({ error: 'That connection was not found.' }) }))
    .mutation(({ ctx, input }) => removeConnection(ctx.db, ctx.user.id, input.id)),
});
