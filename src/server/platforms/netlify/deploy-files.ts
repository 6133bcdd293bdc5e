// The upload step: every path with its SHA-1 in the deploy's file map (the SPA fallback appended to
// `_redirects` unless the site has a 404.html), then exactly the SHA-1s Netlify lists as required
// uploaded, each streamed from the blob store to each of its paths, 5 at a time.
import { createHash } from 'node:crypto';
import { bytesBody, PlatformError } from '../http';
import { uploadWithProgress } from '../upload-progress';
import type { NetlifyClient, NetlifyDeploy, NetlifySite } from './client';
import type { Ctx } from './state';
import { readAll } from '../../storage/object-store';

/** netlify/cli diffs maps above this size asynchronously (spec §3.4). */
const SYNC_FILE_LIMIT = 100;
const UPLOAD_CONCURRENCY = 5;
/** Uploads reported in one line of the log: at most this many files, and their bytes. */
const BATCH_FILES = 50;
const BATCH_BYTES = 16 * 1024 * 1024;
/** Unknown paths answer index.html (client-routed apps), unless the site has its own 404.html. */
const SPA_RULE = '/*    /index.html    200';

export interface DeployFile {
  path: string;
  sha1: string;
  size: number;
  /** The blob to read, or the bytes themselves for a file made here (the generated _redirects). */
  source: { sha256: string } | { bytes: Buffer };
}

/** Every path of the site with its SHA-1; `_redirects` gets the SPA fallback at its end unless the site has a 404.html. */
export async function deployFiles(ctx: Ctx): Promise<DeployFile[]> {
  const paths = Object.keys(ctx.manifest).sort();
  if (paths.length === 0) throw new PlatformError('bad_request', 'The site has no files to deploy.');
  const bad = paths.find((p) => /[#?]/.test(p));
  if (bad) throw new PlatformError('bad_request', `The file "${bad.slice(0, 100)}" cannot be deployed to Netlify: names may not contain # or ?.`);
  const sha1s = await ctx.readSha1s([...new Set(paths.map((p) => ctx.manifest[p]!.sha256))]);
  const files: DeployFile[] = paths.map((path) => {
    const entry = ctx.manifest[path]!;
    return { path, sha1: sha1s.get(entry.sha256)!, size: entry.size, source: { sha256: entry.sha256 } };
  });
  if (ctx.manifest['404.html']) return files;
  const existing = ctx.manifest._redirects ? (await readAll(await ctx.openBlob(ctx.manifest._redirects.sha256))).toString('utf8') : '';
  // Generated here, a few bytes: its SHA-1 is the one digest the adapter computes itself.
  const bytes = Buffer.from(`${existing}${existing && !existing.endsWith('\n') ? '\n' : ''}${SPA_RULE}\n`);
  const redirects: DeployFile = { path: '_redirects', sha1: createHash('sha1').update(bytes).digest('hex'), size: bytes.length, source: { bytes } };
  return [...files.filter((f) => f.path !== '_redirects'), redirects];
}

export async function createDeploy(nf: NetlifyClient, ctx: Ctx, site: NetlifySite, files: DeployFile[]): Promise<NetlifyDeploy> {
  await ctx.report('upload', 10, `Asking Netlify which of ${files.length} files it needs`);
  const map = Object.fromEntries(files.map((f) => [f.path, f.sha1]));
  return nf.createDeploy(site.id, { files: map, async: files.length > SYNC_FILE_LIMIT, draft: false }, `Huskit deployment ${ctx.deploymentId}`);
}

/** Uploads every path whose SHA-1 Netlify requires, each streamed from the blob store, 5 at a time. */
export async function uploadRequired(nf: NetlifyClient, ctx: Ctx, deploy: NetlifyDeploy, files: DeployFile[]): Promise<void> {
  const required = new Set(deploy.required ?? []);
  const wanted = files.filter((f) => required.has(f.sha1));
  const missing = [...required].filter((sha) => !wanted.some((f) => f.sha1 === sha));
  if (missing.length)
    throw new PlatformError('bad_request', 'Netlify asked for a file that is not part of this site. Deploy again.', `unknown SHA-1 ${missing[0]}`);

  await uploadWithProgress(ctx, {
    step: 'upload',
    platform: 'Netlify',
    items: wanted,
    bytes: (file) => file.size,
    send: async (file) => {
      const { source } = file;
      const body = 'bytes' in source ? bytesBody(source.bytes) : { length: file.size, open: () => ctx.openBlob(source.sha256) };
      await nf.uploadFile(deploy.id, file.path, body);
    },
    concurrency: UPLOAD_CONCURRENCY,
    groups: { maxItems: BATCH_FILES, maxBytes: BATCH_BYTES },
  });
}
