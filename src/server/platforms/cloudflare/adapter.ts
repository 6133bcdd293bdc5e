// Deploying a site to Cloudflare Workers Static Assets: an upload session with the manifest, exactly
// the buckets Cloudflare asks for (3 at a time), then the assets-only Worker (a new Worker, or a new
// version + deployment of an existing one), then workers.dev. Each step can run again after a crash.
import { createHash } from 'node:crypto';
import { contentTypeFor, formatBytes } from '@/lib/site-files';
import { DEFAULT_CALL_SETTINGS, type CallSettings, type DeployContext, type DeployOutcome, type PlatformAdapter, type SiteTarget } from '../adapter';
import { checkpointOf, type Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { dnsLabel, labelWithSuffix, shortId } from '../naming';
import type { Polling } from '../polling';
import { uploadWithProgress } from '../upload-progress';
import { assetManifestLine, CloudflareAssetsClient, type AssetsConfig, type CloudflareCredentials, type VersionSettings } from './client';
import { readAll } from '../../storage/object-store';
import { cloudflareSettings } from './settings';
import { early } from '../concurrency';

/** Root files that configure routing rather than being served (_headers and _redirects travel as text). */
const CONFIG_FILES = new Set(['_headers', '_redirects', '.assetsignore']);
/** Workers Static Assets refuses larger files (docs/platforms/cloudflare.md). */
const MAX_ASSET_BYTES = 25 * 1024 * 1024;

/**
 * Cloudflare's asset key: 32 hex characters from the bytes and the extension, so equal bytes with
 * different types do not share a key. Derived from the SHA-256 we already hold (no second pass).
 */
export function cloudflareAssetHash(sha256: string, path: string): string {
  const ext = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1) : '';
  return createHash('sha256').update(`${sha256}:${ext}`).digest('hex').slice(0, 32);
}

/**
 * A redeploy's manifest shares the entries of the files it keeps with the manifest it follows (frozen,
 * held in memory, manifest-store.ts): each entry's key and its line of the upload session's manifest
 * are computed once, and go with the entry. Only within this process: a manifest read back from the
 * database has entries of its own.
 */
interface Asset {
  path: string;
  sha256: string;
  size: number;
  hash: string;
  line: string;
}
const assets = new WeakMap<object, Asset>();
function assetOf(entry: { sha256: string; size: number }, path: string): Asset {
  const known = assets.get(entry);
  if (known?.path === path && known.sha256 === entry.sha256 && known.size === entry.size) return known;
  const hash = cloudflareAssetHash(entry.sha256, path);
  const asset = { path, sha256: entry.sha256, size: entry.size, hash, line: assetManifestLine(path, hash, entry.size) };
  assets.set(entry, asset);
  return asset;
}

const client = (credentials: CloudflareCredentials, { retries }: CallSettings = DEFAULT_CALL_SETTINGS) =>
  new CloudflareAssetsClient(cloudflareSettings().apiBaseUrl, credentials, retries);

/**
 * Nothing on Cloudflare is polled: every call answers once its work is done. A deployment's settings
 * carry polling for every platform all the same; this one is never read.
 */
export const CLOUDFLARE_POLLING: Polling = { intervalMs: 1_000, maxMs: 10 * 60_000 };

/** What earlier attempts of this deployment finished; also what a later rollback reads (rollbackTo). */
interface CloudflareCheckpoint {
  script?: string;
  versionId?: string;
}

/** The compatibility date of new versions: CLOUDFLARE_COMPATIBILITY_DATE, or today's UTC date as wrangler defaults to. */
export function compatibilityDate(): string {
  return cloudflareSettings().compatibilityDate ?? new Date().toISOString().slice(0, 10);
}

export const cloudflareAdapter: PlatformAdapter<CloudflareCredentials> = {
  platform: 'cloudflare',

  platformCredentials() {
    const { apiToken, accountId } = cloudflareSettings();
    return apiToken && accountId ? { apiToken, accountId } : null;
  },

  refuseFile(path, size) {
    if (size > MAX_ASSET_BYTES)
      return `Files exceed size limit: "${path}" is ${formatBytes(size)}; Cloudflare serves files of at most 25 MiB. Make it smaller or host it elsewhere.`;
  },

  parseCredentials(raw) {
    if (!raw.apiToken || !raw.accountId) throw new PlatformError('auth', 'The Cloudflare connection is incomplete. Reconnect your account in Settings.');
    return { apiToken: raw.apiToken, accountId: raw.accountId };
  },

  async verify(credentials, settings) {
    const { accountName, subdomain } = await client(credentials, settings).verify();
    return { accountId: credentials.accountId, accountName, subdomain };
  },

  async deploy(ctx: DeployContext<CloudflareCredentials>): Promise<DeployOutcome> {
    const cf = client(ctx.credentials, ctx.settings);
    const checkpoint = checkpointOf<CloudflareCheckpoint>(ctx);
    const { done, save } = checkpoint;
    // An earlier attempt got as far as naming the Worker: what it sent may have landed.
    const resumed = done.script !== undefined;

    const script = done.script ?? ctx.target.externalId ?? (await chooseScriptName(cf, ctx));
    // Reads that depend on nothing sent are asked while the name is saved and the assets upload: a round
    // trip each saved. Whether the Worker exists, and whether its workers.dev route is on already (a
    // redeploy's is), is one read.
    const subdomain = early(cf.subdomain());
    const routes = early(cf.workersDev(script));
    if (!done.script) await save({ script });

    if (!done.versionId && !(await rollBack(cf, ctx, checkpoint, script, resumed))) {
      const completionJwt = await uploadAssets(cf, ctx, script);
      await ctx.report('activate', 85, `Publishing Worker ${script}`);
      const config = await assetsConfig(ctx);
      const exists = (await routes) !== null;
      const version: VersionSettings = { compatibilityDate: compatibilityDate(), marker: markerOf(ctx), resumed };
      const versionId = exists
        ? await cf.deployNewVersion(script, completionJwt, config, version)
        : await cf.putAssetsWorker(script, completionJwt, config, version);
      await save({ versionId });
    }

    // As read before this version: a Worker whose route is on (previews off, as we set it) keeps it, and
    // a redeploy makes one call fewer against the account's rate limit.
    const before = await routes;
    if (!before?.enabled || before.previewsEnabled) {
      await ctx.report('workers-dev', 95, 'Turning on the workers.dev URL');
      await cf.enableWorkersDev(script);
    }
    const url = cloudflareSettings()
      .siteUrl.replace('{script}', script)
      .replace('{subdomain}', await subdomain);
    return { url, target: { externalProjectId: ctx.credentials.accountId, externalId: script } };
  },

  /** The Worker is the site's in either mode (quick deploy names it by the site's id). */
  async remove(credentials, target: SiteTarget, _mode, settings) {
    if (target.externalId) await client(credentials, settings).deleteWorker(target.externalId);
  },

  /** Nothing runs on Cloudflare between calls: a given-up deployment leaves nothing to stop. */
  async abandon() {},

  async listManagedResources(credentials, settings) {
    const prefix = `${cloudflareSettings().workerName}-`;
    const workers = await client(credentials, settings).listWorkers();
    return workers.filter((w) => w.id.startsWith(prefix)).map((w) => ({ externalProjectId: credentials.accountId, externalId: w.id }));
  },
};

/** Our deployment's id on the version (`workers/tag`) and its deployment (`workers/message`), to find them after a lost answer. */
const markerOf = (ctx: DeployContext<CloudflareCredentials>) => ({ tag: ctx.deploymentId, message: `Huskit deployment ${ctx.deploymentId}` });

/**
 * A rollback to a version the Worker still holds: a new deployment sending it all traffic, as
 * `wrangler rollback` does (packages/wrangler/src/versions/rollback/index.ts), nothing uploaded.
 * Answers false to deploy the files normally instead (another Worker, or the version is gone).
 */
async function rollBack(
  cf: CloudflareAssetsClient,
  ctx: DeployContext<CloudflareCredentials>,
  { save }: Checkpointed<CloudflareCheckpoint>,
  script: string,
  resumed: boolean,
): Promise<boolean> {
  const earlier = ctx.rollbackTo as CloudflareCheckpoint | undefined;
  if (!earlier?.versionId || earlier.script !== script) return false;
  const version = await cf.getVersion(script, earlier.versionId);
  if (!version) {
    await ctx.report('upload', 5, 'Cloudflare no longer holds that version: deploying the files again');
    return false;
  }
  await ctx.report('activate', 50, `Rolling back Worker ${script} to version ${version.id}`);
  await cf.deployVersion(script, version.id, `${markerOf(ctx).message} (rollback)`, resumed);
  // This deployment now stands for that version, so rolling back to it deploys the same one.
  await save({ versionId: version.id });
  return true;
}

/** Platform-managed: `${CLOUDFLARE_WORKER_NAME}-{short id}`. User-token: the project's name, unless the
 * account already has a Worker of that name that is not this site's. */
async function chooseScriptName(cf: CloudflareAssetsClient, ctx: DeployContext<CloudflareCredentials>): Promise<string> {
  const suffix = shortId(ctx.siteId);
  if (ctx.mode === 'platform-managed') return labelWithSuffix(cloudflareSettings().workerName, suffix);
  const wanted = dnsLabel(ctx.siteName) || 'site';
  return (await cf.workerExists(wanted)) ? labelWithSuffix(wanted, suffix) : wanted;
}

/** Routing: SPA fallback unless the site has its own 404.html; the root _headers and _redirects as text. */
async function assetsConfig(ctx: DeployContext<CloudflareCredentials>): Promise<AssetsConfig> {
  const read = async (name: string) => {
    const entry = ctx.manifest[name];
    return entry ? (await readAll(await ctx.openBlob(entry.sha256))).toString('utf8') : undefined;
  };
  const [headers, redirects] = await Promise.all([read('_headers'), read('_redirects')]);
  return {
    html_handling: 'auto-trailing-slash',
    not_found_handling: ctx.manifest['404.html'] ? '404-page' : 'single-page-application',
    ...(headers !== undefined ? { _headers: headers } : {}),
    ...(redirects !== undefined ? { _redirects: redirects } : {}),
  };
}

/** Uploads what Cloudflare lacks; answers the completion token. */
async function uploadAssets(cf: CloudflareAssetsClient, ctx: DeployContext<CloudflareCredentials>, script: string): Promise<string> {
  const lines: string[] = [];
  /** Cloudflare's key of each file → its path. */
  const byHash = new Map<string, string>();
  const manifest = ctx.manifest;
  // Its own paths, without an array of 5,000 pairs made for one walk.
  for (const path of Object.keys(manifest)) {
    if (CONFIG_FILES.has(path)) continue;
    const entry = manifest[path]!;
    const asset = assetOf(entry, path);
    lines.push(asset.line);
    byHash.set(asset.hash, path);
  }
  await ctx.report('upload', 10, `Checking which of ${lines.length} files Cloudflare needs`);
  const session = await cf.createUploadSession(script, lines);
  // "Nothing to upload" is every bucket empty (`[[]]` or `[]`), as wrangler tests it
  // (`buckets.flat().length === 0`, packages/deploy-helpers/src/deploy/helpers/assets.ts).
  const buckets = session.buckets.filter((b) => b.length > 0);
  const fileOf = (hash: string) => {
    const path = byHash.get(hash);
    return path === undefined ? undefined : { path, ...manifest[path]! };
  };
  const bucketBytes = (bucket: string[]) => bucket.reduce((n, h) => n + (fileOf(h)?.size ?? 0), 0);
  let completion: string | undefined;
  await uploadWithProgress(ctx, {
    step: 'upload',
    platform: 'Cloudflare',
    items: buckets,
    bytes: bucketBytes,
    files: (bucket) => bucket.length,
    send: async (bucket) => {
      const wanted = bucket.map((hash) => {
        const file = fileOf(hash);
        if (!file) throw new PlatformError('bad_request', 'Cloudflare asked for a file that is not part of this site. Deploy again.');
        return { hash, ...file };
      });
      // Each file is read when its turn in the body comes, and again if the bucket is sent again.
      const files = wanted.map((f) => ({
        hash: f.hash,
        size: f.size,
        contentType: contentTypeFor(f.path) ?? 'application/null',
        open: () => ctx.openBlob(f.sha256),
      }));
      const jwt = await cf.uploadBucket(session.jwt, files);
      if (jwt) completion = jwt;
    },
    // Every bucket is one request, reported as it is done.
    concurrency: 3,
  });
  if (buckets.length === 0) return session.jwt;
  if (!completion) throw new PlatformError('unavailable', 'Cloudflare did not confirm the upload. Deploy again: files already sent are kept.');
  return completion;
}
