// The upload step: every file's git blob id, each blob read once and streamed (pages are also read
// for links to `/…`), then POST /git/blobs for the blobs the branch and earlier attempts lack.
import { Readable } from 'node:stream';
import type { Checkpointed } from '../checkpoint';
import { forEachConcurrently } from '../concurrency';
import { PlatformError } from '../http';
import { uploadWithProgress } from '../upload-progress';
import { base64BlobBody, EMPTY_BLOB_SHA, gitBlobSha } from './blobs';
import type { GithubClient, TreeEntry } from './client';
import type { Ctx, GithubCheckpoint, SiteFile } from './state';
import { hasAbsoluteLinks, isPage } from './static-files';

/** GitHub asks for requests one at a time and caps content creation at 80 a minute (secondary limits): few uploads at once. */
const UPLOAD_CONCURRENCY = 3;
const HASH_CONCURRENCY = 8;
/** Uploads reported (and checkpointed) together: at most this many files, and their bytes. */
const BATCH_FILES = 50;
const BATCH_BYTES = 16 * 1024 * 1024;
/** The start of each page read for links to `/…`. */
const SCAN_BYTES = 1024 * 1024;

/** Each file with its git blob id (each blob read once, streamed), plus `.nojekyll`; and the pages that link to `/…`. */
export async function readFiles(ctx: Ctx): Promise<{ files: SiteFile[]; linkingPages: string[] }> {
  const paths = Object.keys(ctx.manifest).sort();
  if (paths.length === 0) throw new PlatformError('bad_request', 'The site has no files to deploy.');
  // Each blob once, with its size and the pages that are it (read for links to `/…`).
  const blobs = new Map<string, { size: number; pages: string[] }>();
  for (const path of paths) {
    const { sha256, size } = ctx.manifest[path]!;
    const blob = blobs.get(sha256) ?? { size, pages: [] };
    blobs.set(sha256, blob);
    if (isPage(path)) blob.pages.push(path);
  }
  await ctx.report('upload', 10, `Reading ${paths.length} files`);
  const shas = new Map<string, string>();
  const linking = new Set<string>();
  await forEachConcurrently([...blobs.entries()], HASH_CONCURRENCY, async ([sha256, { size, pages }]) => {
    const hashed = await gitBlobSha(await ctx.openBlob(sha256), size, pages.length ? SCAN_BYTES : 0);
    shas.set(sha256, hashed.sha);
    if (hashed.text && hasAbsoluteLinks(hashed.text)) for (const page of pages) linking.add(page);
  });
  const files: SiteFile[] = paths.map((path) => {
    const { sha256, size } = ctx.manifest[path]!;
    return { path, size, sha: shas.get(sha256)!, sha256 };
  });
  // Without it GitHub runs Jekyll, which leaves out files and folders starting with `_`.
  if (!ctx.manifest['.nojekyll']) files.push({ path: '.nojekyll', size: 0, sha: EMPTY_BLOB_SHA });
  return { files, linkingPages: paths.filter((p) => linking.has(p)) };
}

/** Uploads, a few at a time, each blob the branch and earlier attempts do not already hold. */
export async function uploadMissing(
  gh: GithubClient,
  ctx: Ctx,
  repo: string,
  files: SiteFile[],
  current: TreeEntry[],
  { done, save }: Checkpointed<GithubCheckpoint>,
) {
  const present = new Set([...current.filter((e) => e.type === 'blob').map((e) => e.sha), ...(done.uploadedBlobs ?? [])]);
  const wanted = [...new Map(files.filter((f) => !present.has(f.sha)).map((f) => [f.sha, f])).values()];
  const uploaded = [...(done.uploadedBlobs ?? [])];
  await uploadWithProgress(ctx, {
    step: 'upload',
    platform: 'GitHub',
    items: wanted,
    bytes: (file) => file.size,
    send: async (file) => {
      const { sha256 } = file;
      const open = async () => (sha256 ? ctx.openBlob(sha256) : Readable.from([]));
      const sha = await gh.createBlob(repo, base64BlobBody(file.size, open));
      if (sha !== file.sha)
        throw new PlatformError('bad_request', `GitHub stored "${file.path}" as other bytes than we sent. Deploy again.`, `${sha} ≠ ${file.sha}`);
    },
    concurrency: UPLOAD_CONCURRENCY,
    groups: { maxItems: BATCH_FILES, maxBytes: BATCH_BYTES },
    // Checkpointed a group at a time: a resumed attempt does not send them again.
    afterGroup: async (group) => {
      uploaded.push(...group.map((f) => f.sha));
      await save({ uploadedBlobs: [...uploaded] });
    },
  });
}
