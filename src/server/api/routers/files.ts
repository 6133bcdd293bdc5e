import { z } from 'zod';
import { DEPLOYMENT_PLATFORMS } from '@/lib/deployment';
import { SHA256_HEX } from '@/lib/site-files';
import { PostgresBlobStore } from '../../deploy/blob-store';
import { proposedManifestSchema, validateManifest } from '../../deploy/files';
import { createTRPCRouter, protectedProcedure } from '../trpc';

export const filesRouter = createTRPCRouter({
  /** Which of these SHA-256s the server lacks for this user (imports: no site rules applied yet). */
  missing: protectedProcedure
    .input(z.object({ hashes: z.array(z.string().regex(SHA256_HEX)).max(10_000) }))
    .mutation(async ({ ctx, input }) => ({ missing: await new PostgresBlobStore(ctx.db).missing(ctx.user.id, input.hashes) })),
  /** Which files of this manifest the server lacks: upload only those (PUT /api/blobs/{sha256}). */
  negotiate: protectedProcedure
    .input(z.object({ platform: z.enum(DEPLOYMENT_PLATFORMS), manifest: proposedManifestSchema }))
    .mutation(async ({ ctx, input }) => {
      const manifest = validateManifest(input.manifest, input.platform);
      const missing = await new PostgresBlobStore(ctx.db).missing(ctx.user.id, Object.values(manifest).map((e) => e.sha256));
      return { missing };
    }),
});
