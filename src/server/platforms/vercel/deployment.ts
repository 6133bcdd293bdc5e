// The deployment step: POST /v13/deployments listing every file by SHA-1 with the site's rules,
// exactly the files Vercel says are missing uploaded to /v2/files, then the same POST again. A create
// whose answer was lost is found again by the deployment's `meta.huskitDeploymentId`, never made twice.
import { PlatformError } from '../http';
import { uploadWithProgress } from '../upload-progress';
import type { DeploymentFile, VercelClient, VercelDeployment } from './client';
import { projectName, STATIC_PROJECT_SETTINGS } from './project';
import { vercelSiteRules } from './site-rules';
import type { Ctx } from './state';
import { readAll } from '../../storage/object-store';

const UPLOAD_CONCURRENCY = 5;
/** Uploads reported in one line of the log. */
const UPLOAD_BATCH = 50;
/** Unknown paths answer index.html after the filesystem: client-routed single-page apps work on any URL. */
export const SPA_REWRITES = [{ source: '/(.*)', destination: '/index.html' }];

export async function createDeployment(vercel: VercelClient, ctx: Ctx, project: { id: string }): Promise<VercelDeployment> {
  const paths = Object.keys(ctx.manifest);
  await ctx.report('upload', 10, `Checking which of ${paths.length} files Vercel needs`);
  const sha1s = await ctx.readSha1s([...new Set(paths.map((p) => ctx.manifest[p]!.sha256))]);
  const files: DeploymentFile[] = paths.map((file) => ({ file, sha: sha1s.get(ctx.manifest[file]!.sha256)!, size: ctx.manifest[file]!.size }));
  const rules = await siteRules(ctx);
  const body = {
    name: projectName(ctx),
    project: project.id,
    target: 'production',
    files,
    projectSettings: STATIC_PROJECT_SETTINGS,
    ...(rules.redirects.length ? { redirects: rules.redirects } : {}),
    ...(rules.headers.length ? { headers: rules.headers } : {}),
    // The same rule as the other platforms: the site's own 404.html when it has one, else the SPA fallback
    // (after the site's own rewrites).
    rewrites: [...rules.rewrites, ...(ctx.manifest['404.html'] ? [] : SPA_REWRITES)],
    // `/about` serves about.html and `/about.html` redirects (308) to it, as the other static hosts'
    // pretty URLs do. A deployment option sent beside redirects and
    // rewrites (vercel/vercel packages/client/src/types.ts DeploymentOptions; vercel.json `cleanUrls`:
    // https://vercel.com/docs/project-configuration#cleanurls).
    cleanUrls: true,
    meta: { huskitDeploymentId: ctx.deploymentId },
  };

  // A create whose answer was lost may have made the deployment: it is looked up before any resend.
  const recover = () => madeFor(vercel, ctx, project.id);
  const first = await vercel.createDeployment(body, recover);
  if ('deployment' in first) {
    await ctx.report('upload', 80, 'Vercel already has every file');
    return first.deployment;
  }
  await uploadMissing(vercel, ctx, files, first.missing);
  const second = await vercel.createDeployment(body, recover);
  if ('missing' in second)
    throw new PlatformError(
      'unavailable',
      `Vercel still reports ${second.missing.length} file(s) missing after the upload. Deploy again: files already sent are kept.`,
    );
  return second.deployment;
}

/**
 * The deployment an earlier create of this attempt made (found by `meta.huskitDeploymentId`), unless it
 * ended (failed or canceled: the next one is a new deployment).
 */
export async function madeFor(vercel: VercelClient, ctx: Ctx, projectId: string): Promise<VercelDeployment | undefined> {
  const found = await vercel.findDeployments(projectId, { huskitDeploymentId: ctx.deploymentId });
  const live = found.find((d) => d.readyState !== 'ERROR' && d.readyState !== 'CANCELED' && !d.readyState.endsWith('_ERROR'));
  if (!live) return undefined;
  const deployment = await vercel.getDeployment(live.id);
  if (deployment) await ctx.report('upload', 80, `Vercel had already made deployment ${deployment.id} for this attempt: using it`);
  return deployment ?? undefined;
}

/** The site's _redirects and _headers as Vercel's own keys; what cannot be translated is said in the log. */
async function siteRules(ctx: Ctx) {
  const text = async (path: string) => (ctx.manifest[path] ? (await readAll(await ctx.openBlob(ctx.manifest[path].sha256))).toString('utf8') : undefined);
  const rules = vercelSiteRules(await text('_redirects'), await text('_headers'));
  if (rules.skipped.length)
    await ctx.report(
      'upload',
      10,
      `Vercel has no equivalent for ${rules.skipped.length} line(s) of _redirects/_headers, left out: ${rules.skipped.slice(0, 3).join(' | ').slice(0, 200)}`,
    );
  return rules;
}

/** Uploads exactly the SHA-1s Vercel asked for, each streamed from the blob store, a few at a time. */
async function uploadMissing(vercel: VercelClient, ctx: Ctx, files: DeploymentFile[], missing: string[]): Promise<void> {
  const bySha1 = new Map<string, { sha256: string; size: number }>();
  for (const f of files) bySha1.set(f.sha, { sha256: ctx.manifest[f.file]!.sha256, size: f.size });
  const wanted = [...new Set(missing)].map((sha1) => {
    const file = bySha1.get(sha1);
    if (!file) throw new PlatformError('bad_request', 'Vercel asked for a file that is not part of this site. Deploy again.');
    return { sha1, ...file };
  });
  await uploadWithProgress(ctx, {
    step: 'upload',
    platform: 'Vercel',
    items: wanted,
    bytes: (f) => f.size,
    send: (f) => vercel.uploadFile(f.sha1, { length: f.size, open: () => ctx.openBlob(f.sha256) }),
    concurrency: UPLOAD_CONCURRENCY,
    groups: { maxItems: UPLOAD_BATCH },
  });
}
