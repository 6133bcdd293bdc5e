import { z } from 'zod';
import { AUTH_MODES, DEPLOYMENT_PLATFORMS } from '@/lib/deployment';
import { proposedManifestSchema } from '../../deploy/files';
import { TEMPLATES } from '../../projects/templates';
import {
  addUploadedFiles,
  createProject,
  deleteFile,
  deployProject,
  getProject,
  listProjects,
  readFile,
  renameFile,
  requireProject,
  saveFile,
} from '../../projects/service';
import { AppError } from '../../errors';
import { createTRPCRouter, scopedProcedure, sessionProcedure } from '../trpc';

const projectId = z.uuid({ error: 'That site was not found.' });
const path = z.string().min(1).max(1024);

export const projectsRouter = createTRPCRouter({
  create: sessionProcedure
    .input(
      z.object({
        name: z.string().trim().min(1, { error: 'Give the site a name.' }).max(100),
        template: z.enum(Object.keys(TEMPLATES) as [keyof typeof TEMPLATES, ...(keyof typeof TEMPLATES)[]]).optional(),
      }),
    )
    .mutation(({ ctx, input }) => createProject(ctx.db, ctx.user.id, input)),
  list: sessionProcedure.query(({ ctx }) => listProjects(ctx.db, ctx.user.id)),
  get: sessionProcedure.input(z.object({ projectId })).query(({ ctx, input }) => getProject(ctx.db, ctx.user.id, input.projectId)),
  readText: sessionProcedure.input(z.object({ projectId, path })).query(async ({ ctx, input }) => {
    await requireProject(ctx.db, ctx.user.id, input.projectId);
    const file = await readFile(ctx.db, input.projectId, input.path);
    if (!file) throw new AppError('NOT_FOUND', `The file "${input.path}" was not found.`);
    return { text: file.bytes.toString('utf8'), contentType: file.contentType };
  }),
  saveText: sessionProcedure
    .input(z.object({ projectId, path, text: z.string().max(5 * 1024 * 1024) }))
    .mutation(({ ctx, input }) => saveFile(ctx.db, ctx.user.id, input.projectId, input.path, Buffer.from(input.text, 'utf8'))),
  addFiles: sessionProcedure
    .input(
      z.object({
        projectId,
        replace: z.boolean().default(false),
        files: proposedManifestSchema,
      }),
    )
    .mutation(({ ctx, input }) => addUploadedFiles(ctx.db, ctx.user.id, input.projectId, input.files, input.replace)),
  renameFile: sessionProcedure
    .input(z.object({ projectId, from: path, to: path }))
    .mutation(({ ctx, input }) => renameFile(ctx.db, ctx.user.id, input.projectId, input.from, input.to)),
  deleteFile: sessionProcedure.input(z.object({ projectId, path })).mutation(({ ctx, input }) => deleteFile(ctx.db, ctx.user.id, input.projectId, input.path)),
  deploy: scopedProcedure('deploy')
    .input(z.object({ projectId, platform: z.enum(DEPLOYMENT_PLATFORMS), authMode: z.enum(AUTH_MODES) }))
    .mutation(({ ctx, input }) => deployProject(ctx.db, ctx.user.id, input)),
});
