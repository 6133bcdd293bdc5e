import { z } from 'zod';
import { AUTH_MODES, DEPLOYMENT_PLATFORMS } from '@/lib/deployment';
import { SHA256_HEX } from '@/lib/site-files';
import { BlobStore } from '../../deploy/blob-store';
import { proposedManifestSchema } from '../../deploy/files';
import { negotiateFiles } from '../../deploy/service';
import { createTRPCRouter, scopedProcedure } from '../trpc';

export const filesRouter = createTRPCRouter({
  /** Which of these SHA-256s the server lacks for this user (imports: no site rules applied yet). */
  missing: scopedProcedure('deploy')
    .input(z.object({ hashes: z.array(z.string().regex(SHA256_HEX)).max(10_000) }))
    .mutation(async ({ ctx, input }) => ({ missing: await new BlobStore(ctx.db).missing(ctx.user.id, input.hashes) })),
  /** Which files of this manifest the server lacks: upload only those (PUT /api/blobs/{sha256}). */
  negotiate: scopedProcedure('deploy')
    .input(
      z.object({
        platform: z.enum(DEPLOYMENT_PLATFORMS),
        /** With the mode and the chat, the limits are checked now, before any byte is uploaded. */
        authMode: z.enum(AUTH_MODES).optional(),
        chatId: z.string().trim().min(1).max(200).optional(),
        manifest: proposedManifestSchema,
      }),
    )
    .mutation(({ ctx, input }) => negotiateFiles(ctx.db, ctx.user.id, input)),
});
