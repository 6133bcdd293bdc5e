import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../auth/api-keys';
import { createTRPCRouter, protectedProcedure } from '../trpc';

export const apiKeysRouter = createTRPCRouter({
  list: protectedProcedure.query(({ ctx }) => listApiKeys(ctx.db, ctx.user.id)),
  create: protectedProcedure
    .input(z.object({ name: z.string().trim().min(1, { error: 'Give the key a name.' }).max(60, { error: 'Use at most 60 characters.' }) }))
    .mutation(({ ctx, input }) => createApiKey(ctx.db, ctx.user.id, input.name)),
  revoke: protectedProcedure
    .input(z.object({ id: z.uuid({ error: 'That API key was not found.' }) }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.db, ctx.user.id, input.id)),
});
