import { z } from 'zod';
import type { NegotiateRequest } from '@/lib/deploy-client';
import { AUTH_MODES, DEPLOYMENT_PLATFORMS } from '@/lib/deployment';
import { SHA256_HEX } from '@/lib/site-files';
import { BlobStore } from '../../deploy/blob-store';
import { manifestChangesSchema, proposedManifestSchema } from '../../deploy/files';
import { negotiateFiles } from '../../deploy/service';
import { createTRPCRouter, scopedProcedure } from '../trpc';

const target = {
  platform: z.enum(DEPLOYMENT_PLATFORMS),
  /** With the mode and the chat, the limits are checked now, before any byte is uploaded. */
  authMode: z.enum(AUTH_MODES).optional(),
  chatId: z.string().trim().min(1).max(200).optional(),
};

/** A delta against one of the caller's deployments (files.negotiate; deployments.create with its bytes). */
export const deltaFields = {
  base: z
    .string()
    .refine((b) => z.uuid().safeParse(b).success || SHA256_HEX.test(b), { error: 'base is a deployment id or a manifest hash.' })
    .optional(),
  changes: manifestChangesSchema.optional(),
  manifestHash: z.string().regex(SHA256_HEX, { error: 'manifestHash is a SHA-256 as 64 lowercase hex characters.' }).optional(),
};

// One object rather than a union: a wrong field is named by its own message.
const negotiateInput = z
  .object({
    ...target,
    manifest: proposedManifestSchema.optional(),
    ...deltaFields,
  })
  .transform(({ manifest, base, changes, manifestHash, ...rest }, ctx): NegotiateRequest => {
    if (manifest && base === undefined && changes === undefined && manifestHash === undefined) return { ...rest, manifest };
    if (!manifest && base !== undefined && changes && manifestHash) return { ...rest, base, changes, manifestHash };
    ctx.addIssue({ code: 'custom', message: 'Send the manifest (every file), or a delta: base, changes and manifestHash.' });
    return z.NEVER;
  });

export const filesRouter = createTRPCRouter({
  /** Which of these SHA-256s the server lacks for this user (imports: no site rules applied yet). */
  missing: scopedProcedure('deploy')
    .input(z.object({ hashes: z.array(z.string().regex(SHA256_HEX)).max(10_000) }))
    .mutation(async ({ ctx, input }) => ({ missing: await new BlobStore(ctx.db).missing(ctx.user.id, input.hashes) })),
  /**
   * Which files of this manifest the server lacks (upload only those: POST /api/blobs), and the id
   * deployments.create names it by. The manifest comes whole, or as a delta: `base` (one of the
   * caller's deployments, by id or manifest hash), `changes` and the `manifestHash` of the result.
   */
  negotiate: scopedProcedure('deploy')
    .input(negotiateInput)
    .mutation(({ ctx, input }) => negotiateFiles(ctx.db, ctx.user.id, input)),
});
