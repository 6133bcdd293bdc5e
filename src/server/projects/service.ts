// Projects: a person's website and its current files, kept as blobs in the same content-addressed
// store the deploy uses, so deploying a saved project sends nothing new from the browser.
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import { formatBytes, normalizeSitePath, printablePath, servedContentType, SITE_LIMITS } from '@/lib/site-files';
import type { Db, Tx } from '../db/client';
import { projectFiles, projects } from '../db/schema';
import { sha256Hex } from '../deploy/blob-keys';
import { markUsed } from '../deploy/blob-catalog';
import { BlobStore } from '../deploy/blob-store';
import { createDeployment } from '../deploy/service';
import { AppError, notFound } from '../errors';
import { previewLink } from '../preview/tokens';
import { templateFiles, type TemplateId } from './templates';

export async function requireProject(db: Db, userId: string, projectId: string) {
  const [project] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.id, projectId), eq(projects.userId, userId)));
  if (!project) throw notFound('That site');
  return project;
}

function checkedPath(raw: string): string {
  const check = normalizeSitePath(raw);
  if (!check.ok) throw new AppError('BAD_REQUEST', `The file path "${printablePath(raw)}" ${check.reason}.`).withAction('fix-files');
  return check.path;
}

export async function createProject(db: Db, userId: string, input: { name: string; template?: TemplateId }) {
  const [project] = await db
    .insert(projects)
    .values({ userId, name: input.name, template: input.template ?? null })
    .returning();
  if (input.template) {
    const store = new BlobStore(db);
    for (const [path, bytes] of Object.entries(templateFiles(input.template, input.name))) await writeFile(db, store, userId, project!.id, path, bytes);
  }
  return project!;
}

export async function listProjects(db: Db, userId: string) {
  return db.select().from(projects).where(eq(projects.userId, userId)).orderBy(desc(projects.updatedAt));
}

export async function getProject(db: Db, userId: string, projectId: string) {
  const project = await requireProject(db, userId, projectId);
  const files = await db
    .select({ path: projectFiles.path, sha256: projectFiles.sha256, size: projectFiles.size })
    .from(projectFiles)
    .where(eq(projectFiles.projectId, projectId))
    .orderBy(asc(projectFiles.path));
  return {
    ...project,
    files: files.map((f) => ({ ...f, contentType: servedContentType(f.path) })),
    preview: previewLink(userId, project.id),
  };
}

/**
 * Changes a project's files within a site's limits (the files a deployment may have, their bytes): the
 * project's row is locked, so that changes made at once count one after the other, and a change that
 * would take it past them is undone and refused.
 */
async function changeWithinSiteLimits(db: Db, projectId: string, change: (tx: Tx) => Promise<void>): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).for('update');
    await change(tx);
    const [totals] = await tx
      .select({ files: sql<number>`count(*)::int`, bytes: sql<number>`coalesce(sum(${projectFiles.size}), 0)::bigint` })
      .from(projectFiles)
      .where(eq(projectFiles.projectId, projectId));
    const [files, bytes] = [Number(totals!.files), Number(totals!.bytes)];
    if (files > SITE_LIMITS.maxFiles || bytes > SITE_LIMITS.maxTotalBytes)
      throw new AppError(
        'BAD_REQUEST',
        `Files exceed size limit: the site would have ${files.toLocaleString('en-US')} files (${formatBytes(bytes)}); a site may have at most ${SITE_LIMITS.maxFiles.toLocaleString('en-US')} files and ${formatBytes(SITE_LIMITS.maxTotalBytes)}. Remove some files first.`,
      ).withAction('fix-files');
    await tx.update(projects).set({ updatedAt: new Date() }).where(eq(projects.id, projectId));
  });
}

async function writeFile(db: Db, store: BlobStore, userId: string, projectId: string, rawPath: string, bytes: Buffer) {
  const path = checkedPath(rawPath);
  if (bytes.length > SITE_LIMITS.maxTotalBytes) throw new AppError('PAYLOAD_TOO_LARGE', `"${path}" is larger than a whole site may be (50 MB).`);
  const sha256 = sha256Hex(bytes);
  await store.put(userId, sha256, bytes);
  await changeWithinSiteLimits(db, projectId, async (tx) => {
    await tx
      .insert(projectFiles)
      .values({ projectId, path, sha256, size: bytes.length })
      .onConflictDoUpdate({ target: [projectFiles.projectId, projectFiles.path], set: { sha256, size: bytes.length, updatedAt: new Date() } });
  });
  return { path, sha256, size: bytes.length };
}

/** Saves one file's content (text, or bytes from base64). */
export async function saveFile(db: Db, userId: string, projectId: string, path: string, bytes: Buffer) {
  await requireProject(db, userId, projectId);
  return writeFile(db, new BlobStore(db), userId, projectId, path, bytes);
}

/** Sets files already uploaded as blobs (an imported folder or zip): path → SHA-256; sizes are the stored ones. */
export async function addUploadedFiles(db: Db, userId: string, projectId: string, files: Record<string, { sha256: string; size: number }>, replace: boolean) {
  await requireProject(db, userId, projectId);
  const held = await new BlobStore(db).heldSizes(
    userId,
    Object.values(files).map((f) => f.sha256),
  );
  const missing = Object.values(files).filter((f) => !held.has(f.sha256)).length;
  if (missing) throw new AppError('BAD_REQUEST', `${missing} file(s) were not uploaded yet. Upload them, then try again.`);
  const rows = Object.entries(files).map(([path, f]) => {
    const size = held.get(f.sha256)!;
    if (size !== f.size)
      throw new AppError(
        'BAD_REQUEST',
        `The size given for "${printablePath(path)}" (${f.size} bytes) is not the size of its uploaded file (${size} bytes).`,
      ).withAction('fix-files');
    return { projectId, path: checkedPath(path), sha256: f.sha256, size };
  });
  await changeWithinSiteLimits(db, projectId, async (tx) => {
    // The files' packs are kept from the cleanup from now on; one it removed since the lookup is asked for again.
    const unique = [...new Set(rows.map((r) => r.sha256))];
    if ((await markUsed(tx, userId, unique, new Date())) < unique.length)
      throw new AppError('BAD_REQUEST', 'Some of these files were removed from storage since they were uploaded. Upload them again, then try again.');
    if (replace) await tx.delete(projectFiles).where(eq(projectFiles.projectId, projectId));
    for (const row of rows)
      await tx
        .insert(projectFiles)
        .values(row)
        .onConflictDoUpdate({ target: [projectFiles.projectId, projectFiles.path], set: { sha256: row.sha256, size: row.size, updatedAt: new Date() } });
  });
}

export async function renameFile(db: Db, userId: string, projectId: string, from: string, to: string) {
  await requireProject(db, userId, projectId);
  const target = checkedPath(to);
  const [file] = await db
    .select()
    .from(projectFiles)
    .where(and(eq(projectFiles.projectId, projectId), eq(projectFiles.path, from)));
  if (!file) throw notFound(`The file "${from}"`);
  const [clash] = await db
    .select()
    .from(projectFiles)
    .where(and(eq(projectFiles.projectId, projectId), eq(projectFiles.path, target)));
  if (clash) throw new AppError('CONFLICT', `There is already a file at "${target}".`);
  await db
    .update(projectFiles)
    .set({ path: target, updatedAt: new Date() })
    .where(and(eq(projectFiles.projectId, projectId), eq(projectFiles.path, from)));
}

export async function deleteFile(db: Db, userId: string, projectId: string, path: string) {
  await requireProject(db, userId, projectId);
  const removed = await db
    .delete(projectFiles)
    .where(and(eq(projectFiles.projectId, projectId), eq(projectFiles.path, path)))
    .returning({ path: projectFiles.path });
  if (!removed.length) throw notFound(`The file "${path}"`);
}

export async function readFile(db: Db, projectId: string, path: string): Promise<{ bytes: Buffer; contentType: string } | null> {
  const [file] = await db
    .select({ sha256: projectFiles.sha256, userId: projects.userId })
    .from(projectFiles)
    .innerJoin(projects, eq(projects.id, projectFiles.projectId))
    .where(and(eq(projectFiles.projectId, projectId), eq(projectFiles.path, path)));
  if (!file) return null;
  // The project's owner's copy: what a user holds is theirs (pack-index.ts).
  return { bytes: await new BlobStore(db).get(file.userId, file.sha256), contentType: servedContentType(path) };
}

/** Deploys the project's saved files: the server has every blob already. */
export async function deployProject(db: Db, userId: string, input: { projectId: string; platform: DeploymentPlatform; authMode: AuthMode }) {
  const project = await getProject(db, userId, input.projectId);
  return createDeployment(db, {
    userId,
    chatId: project.id,
    siteName: project.name,
    platform: input.platform,
    authMode: input.authMode,
    manifest: Object.fromEntries(project.files.map((f) => [f.path, { sha256: f.sha256, size: f.size }])),
  });
}
