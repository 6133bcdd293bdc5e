import { z } from 'zod';
import { connectionInput } from '@/lib/connections';
import { connectPlatform, testConnection } from '../../connections/connect';
import { listConnections, removeConnection } from '../../connections/store';
import { createTRPCRouter, sessionProcedure } from '../trpc';

const byId = z.object({ id: z.uuid({ error: 'That connection was not found.' }) });

export const connectionsRouter = createTRPCRouter({
  save: sessionProcedure.input(connectionInput).mutation(({ ctx, input }) => {
    const { platform, ...fields } = input;
    const credentials = Object.fromEntries(Object.entries(fields).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return connectPlatform(ctx.db, ctx.user.id, platform, credentials);
  }),
  list: sessionProcedure.query(({ ctx }) => listConnections(ctx.db, ctx.user.id)),
  test: sessionProcedure.input(byId).mutation(({ ctx, input }) => testConnection(ctx.db, ctx.user.id, input.id)),
  remove: sessionProcedure.input(byId).mutation(({ ctx, input }) => removeConnection(ctx.db, ctx.user.id, input.id)),
});
