import { z } from 'zod';
import { createApiKeyInput } from '@/lib/api-key-scopes';
import { createApiKey, listApiKeys, revokeApiKey } from '../../auth/api-keys';
import { createTRPCRouter, sessionProcedure } from '../trpc';

// Keys are managed from a session only: a key can never mint or revoke keys.
export const apiKeysRouter = createTRPCRouter({
  list: sessionProcedure.query(({ ctx }) => listApiKeys(ctx.db, ctx.user.id)),
  create: sessionProcedure
    .input(createApiKeyInput)
    .mutation(({ ctx, input }) => createApiKey(ctx.db, ctx.user.id, input.name, { scopes: input.scopes, expiresInDays: input.expiresInDays })),
  revoke: sessionProcedure
    .input(z.object({ id: z.uuid({ error: 'That API key was not found.' }) }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.db, ctx.user.id, input.id)),
});
