// The Cloudflare API of the local cloud (under /client/v4): token verification, the workers.dev
// subdomain, Workers Static Assets direct upload (session → buckets → completion JWT → script),
// versions and deployments, the per-script workers.dev toggle, listing and deletion. Strict where the
// real API is strict (as wrangler and the official `cloudflare` SDK call it; each rule cites its source).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { CloudflareToken } from './config';
import type { EmulatorPlatform, PlatformFactory } from '../platform';
import { Router, type RequestContext } from '../router';
import { authError, CloudflareError, notFoundWorker, sendCloudflareError, sendResult } from './envelope';
import { signAssetToken, verifyAssetToken } from './jwt';
import { readMultipart } from './multipart';
import { serveWorkerSite } from './serve';
import { CloudflareState, type AssetsConfig, type Script, type Version } from './state';

const SCRIPT_NAME = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const HTML_HANDLING = new Set(['auto-trailing-slash', 'force-trailing-slash', 'drop-trailing-slash', 'none']);
const NOT_FOUND_HANDLING = new Set(['none', '404-page', 'single-page-application']);
/** Buckets the server asks for: at most this many files and bytes each. */
const BUCKET_MAX_FILES = 500;
const BUCKET_MAX_BYTES = 8 * 1024 * 1024;
/** The script API date wrangler sends with the workers.dev toggle. */
const SCRIPT_API_DATE = '2025-08-01';

export const createCloudflare: PlatformFactory = (services) => {
  const state = new CloudflareState();
  const config = services.config.cloudflare;
  const rateWindows = new Map<string, { start: number; count: number }>();
  const now = () => services.clock.now();
  const iso = () => new Date(now()).toISOString();

  const account = (id: string) => config.accounts.find((a) => a.id === id);

  /** The API token of the request; it must be known, active, and (when given) hold the account. */
  function authenticate(ctx: RequestContext, accountId?: string): CloudflareToken {
    const header = ctx.req.headers.authorization;
    if (header === undefined) throw authError();
    const m = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header);
    if (!m) throw new CloudflareError(400, 6003, 'Invalid request headers', {}, [{ code: 6111, message: 'Invalid format for Authorization header' }]);
    const token = config.tokens.find((t) => t.value === m[1]);
    if (!token || token.status !== 'active') throw authError();
    rateLimit(token.value);
    if (accountId !== undefined && (!token.accountIds.includes(accountId) || !account(accountId))) throw authError();
    return token;
  }

  function rateLimit(key: string) {
    const windowMs = 5 * 60 * 1000;
    const t = now();
    let w = rateWindows.get(key);
    if (!w || t - w.start >= windowMs) rateWindows.set(key, (w = { start: t, count: 0 }));
    w.count++;
    if (w.count > config.rateLimitPer5Min) {
      const retryAfter = Math.ceil((w.start + windowMs - t) / 1000);
      throw new CloudflareError(429, 971, 'Please wait and consider throttling your request speed', { 'retry-after': String(retryAfter) });
    }
  }

  function requireScript(accountId: string, name: string): Script {
    const script = state.script(accountId, name);
    if (!script) throw notFoundWorker(name);
    return script;
  }

  function validScriptName(name: string) {
    if (!SCRIPT_NAME.test(name))
      throw new CloudflareError(
        400,
        10016,
        `Invalid Worker name "${name}": use 1 to 63 lowercase letters, digits and dashes, starting and ending with a letter or digit.`,
      );
  }

  const scriptSummary = (s: Script) => {
    const live = state.liveVersion(s);
    return {
      id: s.name,
      tag: s.tag,
      etag: live?.etag ?? '',
      handlers: [],
      named_handlers: [],
      has_assets: Boolean(live),
      has_modules: false,
      created_on: s.createdOn,
      modified_on: s.modifiedOn,
      compatibility_date: live?.compatibilityDate ?? '',
      compatibility_flags: [],
      usage_model: 'standard',
      last_deployed_from: 'api',
      logpush: false,
      placement_mode: null,
      tail_consumers: null,
      tags: [],
    };
  };

  const siteUrl = (s: Script) => {
    const sub = account(s.accountId)?.subdomain;
    return sub ? `http://${s.name}.${sub}.workers.${services.config.siteDomain}:${services.config.port}` : undefined;
  };

  /** Reads the script upload form (PUT script or POST versions) into a new version. */
  async function versionFromUpload(ctx: RequestContext, accountId: string, script: Script | undefined): Promise<Omit<Version, 'id' | 'number' | 'etag'>> {
    const parts = await readMultipart(ctx.req, ctx.countBytes, { maxBytes: 10 * 1024 * 1024 });
    const metadataPart = parts.find((p) => p.name === 'metadata');
    if (!metadataPart) throw new CloudflareError(400, 10021, 'The upload has no "metadata" part.');
    let metadata: {
      main_module?: string;
      body_part?: string;
      compatibility_date?: string;
      annotations?: Record<string, unknown>;
      keep_assets?: boolean;
      assets?: { jwt?: string; config?: AssetsConfig & Record<string, unknown> };
    };
    try {
      metadata = JSON.parse(metadataPart.data.toString('utf8'));
    } catch {
      throw new CloudflareError(400, 10021, 'The "metadata" part is not valid JSON.');
    }
    const entry = metadata.main_module ?? metadata.body_part;
    if (entry && !parts.some((p) => p.name === entry)) throw new CloudflareError(400, 10021, `No such module "${entry}": the upload has no part of that name.`);
    if (entry) throw new CloudflareError(400, 10021, 'The local cloud runs assets-only Workers: send no main_module or body_part.');

    const assetsConfig = metadata.assets?.config ?? {};
    if (assetsConfig.html_handling !== undefined && !HTML_HANDLING.has(assetsConfig.html_handling))
      throw new CloudflareError(400, 10021, `Invalid assets.config.html_handling "${String(assetsConfig.html_handling)}".`);
    if (assetsConfig.not_found_handling !== undefined && !NOT_FOUND_HANDLING.has(assetsConfig.not_found_handling))
      throw new CloudflareError(400, 10021, `Invalid assets.config.not_found_handling "${String(assetsConfig.not_found_handling)}".`);
    for (const key of ['_headers', '_redirects'] as const)
      if (assetsConfig[key] !== undefined && typeof assetsConfig[key] !== 'string')
        throw new CloudflareError(400, 10021, `assets.config.${key} must be the text of the file.`);

    // A compatibility date is a day (YYYY-MM-DD) no later than today: the runtime refuses future
    // dates (wrangler defaults to today's UTC date, packages/workers-utils/src/compatibility-date.ts).
    const date = metadata.compatibility_date;
    if (date !== undefined && (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(Date.parse(date))))
      throw new CloudflareError(400, 10021, `Invalid compatibility_date "${String(date)}": use a date such as 2026-01-31.`);
    if (date !== undefined && date > new Date(now()).toISOString().slice(0, 10))
      throw new CloudflareError(400, 10021, `The compatibility_date ${date} is in the future. Use today's date or an earlier one.`);
    // Annotations of a version (node_modules/cloudflare/resources/workers/scripts/versions.d.ts):
    // strings, workers/tag at most 100 bytes, workers/message truncated to 1000 bytes.
    const annotations: Record<string, string> = {};
    for (const [key, value] of Object.entries(metadata.annotations ?? {})) {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'string') throw new CloudflareError(400, 10021, `annotations.${key} must be a string.`);
      if (key === 'workers/tag' && Buffer.byteLength(value) > 100) throw new CloudflareError(400, 10021, 'annotations.workers/tag is at most 100 bytes.');
      annotations[key] = key === 'workers/message' ? Buffer.from(value).subarray(0, 1000).toString() : value;
    }

    let manifest: Record<string, string>;
    if (metadata.assets?.jwt) {
      const claims = await verifyAssetToken(metadata.assets.jwt, 'completion', accountId, now());
      const session = state.sessions.get(claims.sid);
      if (!session) throw new CloudflareError(400, 10021, 'The assets completion token refers to an unknown upload session.');
      const missing = Object.values(session.manifest).filter((h) => !state.assetsOf(accountId).has(h));
      if (missing.length) throw new CloudflareError(400, 10021, `Assets are missing for ${missing.length} file(s); finish the upload first.`);
      manifest = session.manifest;
    } else if (metadata.keep_assets && script && state.liveVersion(script)) {
      manifest = state.liveVersion(script)!.manifest;
    } else {
      throw new CloudflareError(400, 10021, 'Assets-only Workers need assets.jwt (a completion token) or keep_assets.');
    }
    return {
      createdOn: iso(),
      manifest,
      config: {
        html_handling: assetsConfig.html_handling,
        not_found_handling: assetsConfig.not_found_handling,
        _headers: assetsConfig._headers,
        _redirects: assetsConfig._redirects,
      },
      compatibilityDate: date,
      annotations,
    };
  }

  const router = new Router();
  const r = (method: string, pattern: string, handler: (ctx: RequestContext) => Promise<void> | void) =>
    router.add(method, pattern, async (ctx) => {
      try {
        await handler(ctx);
      } catch (err) {
        if (err instanceof CloudflareError) sendCloudflareError(ctx.res, err);
        else throw err;
      }
    });

  r('GET', '/user/tokens/verify', (ctx) => {
    const header = ctx.req.headers.authorization ?? '';
    const token = config.tokens.find((t) => header === `Bearer ${t.value}`);
    if (!token || token.kind !== 'user') throw new CloudflareError(401, 1000, 'Invalid API Token');
    sendResult(ctx.res, { id: token.id, status: token.status }, 200, {
      messages: [{ code: 10000, message: 'This API Token is valid and active', type: null }],
    });
  });

  r('GET', '/accounts/:account/tokens/verify', (ctx) => {
    const token = authenticate(ctx, ctx.params.account);
    sendResult(ctx.res, { id: token.id, status: token.status }, 200, {
      messages: [{ code: 10000, message: 'This API Token is valid and active', type: null }],
    });
  });

  r('GET', '/accounts', (ctx) => {
    const token = authenticate(ctx);
    const list = token.accountIds.map((id) => account(id)).filter((a) => a !== undefined);
    sendResult(
      ctx.res,
      list.map((a) => ({ id: a.id, name: a.name, type: 'standard', settings: {}, created_on: '2026-01-01T00:00:00Z' })),
      200,
      {
        result_info: { page: 1, per_page: 20, count: list.length, total_count: list.length },
      },
    );
  });

  r('GET', '/accounts/:account', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const a = account(ctx.params.account!)!;
    sendResult(ctx.res, { id: a.id, name: a.name, type: 'standard', settings: { enforce_twofactor: false }, created_on: '2026-01-01T00:00:00Z' });
  });

  r('GET', '/accounts/:account/workers/subdomain', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const sub = account(ctx.params.account!)!.subdomain;
    if (!sub) throw new CloudflareError(404, 10007, 'This account has no workers.dev subdomain.');
    sendResult(ctx.res, { subdomain: sub });
  });

  r('GET', '/accounts/:account/workers/services/:script', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const s = requireScript(ctx.params.account!, ctx.params.script!);
    sendResult(ctx.res, {
      id: s.name,
      default_environment: {
        environment: 'production',
        created_on: s.createdOn,
        modified_on: s.modifiedOn,
        script: { tag: s.tag, tags: [], last_deployed_from: 'api' },
      },
      created_on: s.createdOn,
      modified_on: s.modifiedOn,
    });
  });

  r('GET', '/accounts/:account/workers/scripts', (ctx) => {
    authenticate(ctx, ctx.params.account);
    sendResult(ctx.res, state.scriptsOf(ctx.params.account!).map(scriptSummary));
  });

  r('POST', '/accounts/:account/workers/scripts/:script/assets-upload-session', async (ctx) => {
    const accountId = ctx.params.account!;
    authenticate(ctx, accountId);
    validScriptName(ctx.params.script!);
    let body: { manifest?: Record<string, { hash?: unknown; size?: unknown }> };
    try {
      body = JSON.parse((await ctx.body(64 * 1024 * 1024)).toString('utf8'));
    } catch {
      throw new CloudflareError(400, 10304, 'Invalid manifest: the body is not JSON.');
    }
    const entries = body.manifest && typeof body.manifest === 'object' ? Object.entries(body.manifest) : null;
    if (!entries) throw new CloudflareError(400, 10304, 'Invalid manifest: a "manifest" object of path → {hash, size} is required.');
    if (entries.length > config.maxFilesPerVersion)
      throw new CloudflareError(
        400,
        10304,
        `Invalid manifest: manifest contains ${entries.length.toLocaleString('en-US')} files which exceeds the limit of ${config.maxFilesPerVersion.toLocaleString('en-US')}. You can upgrade to Workers Paid to increase this limit to 100,000.`,
      );
    const manifest: Record<string, string> = {};
    const sizes: Record<string, number> = {};
    for (const [path, entry] of entries) {
      if (!path.startsWith('/')) throw new CloudflareError(400, 10304, `Invalid manifest: path "${path}" must start with "/".`);
      if (typeof entry?.hash !== 'string' || !/^[0-9a-f]{32}$/.test(entry.hash))
        throw new CloudflareError(400, 10304, `Invalid manifest: the hash of "${path}" must be 32 hexadecimal characters.`);
      if (typeof entry.size !== 'number' || !Number.isInteger(entry.size) || entry.size < 0)
        throw new CloudflareError(400, 10304, `Invalid manifest: the size of "${path}" must be a whole number of bytes.`);
      if (entry.size > config.maxFileBytes)
        throw new CloudflareError(400, 10304, `Invalid manifest: "${path}" is ${entry.size} bytes; an asset may be at most 25 MiB.`);
      manifest[path] = entry.hash;
      sizes[entry.hash] = entry.size;
    }
    const session = { id: randomUUID(), accountId, script: ctx.params.script!, manifest, sizes, createdAt: now() };
    state.sessions.set(session.id, session);

    // Only what this account does not hold yet, in buckets the server chooses.
    const stored = state.assetsOf(accountId);
    const missing = [...new Set(Object.values(manifest))].filter((h) => !stored.has(h));
    const buckets: string[][] = [];
    let bucket: string[] = [];
    let bytes = 0;
    for (const hash of missing) {
      const size = sizes[hash]!;
      if (bucket.length && (bucket.length >= BUCKET_MAX_FILES || bytes + size > BUCKET_MAX_BYTES)) {
        buckets.push(bucket);
        bucket = [];
        bytes = 0;
      }
      bucket.push(hash);
      bytes += size;
    }
    // Nothing missing is answered as one empty bucket, as wrangler's own tests mock the API
    // (packages/wrangler/src/__tests__/versions/versions.upload.test.ts: `buckets: [[]]`); wrangler
    // tests `buckets.flat().length === 0` (packages/deploy-helpers/src/deploy/helpers/assets.ts).
    buckets.push(bucket);
    const purpose = missing.length ? 'upload' : 'completion';
    const jwt = await signAssetToken({ sid: session.id, acc: accountId, purpose }, now(), config.jwtTtlSeconds);
    sendResult(ctx.res, { jwt, buckets }, 201);
  });

  r('POST', '/accounts/:account/workers/assets/upload', async (ctx) => {
    const accountId = ctx.params.account!;
    if (ctx.url.searchParams.get('base64') !== 'true')
      throw new CloudflareError(400, 10001, 'The query parameter base64=true is required: send each file as base64 text.');
    const m = /^Bearer (\S+)$/.exec(ctx.req.headers.authorization ?? '');
    if (!m) throw new CloudflareError(401, 10000, 'Send the upload JWT from assets-upload-session as Authorization: Bearer.');
    const claims = await verifyAssetToken(m[1]!, 'upload', accountId, now());
    const session = state.sessions.get(claims.sid);
    if (!session) throw new CloudflareError(401, 10000, 'Invalid JWT');
    const wanted = new Set(Object.values(session.manifest));
    const parts = await readMultipart(ctx.req, ctx.countBytes, { maxBytes: 200 * 1024 * 1024 });
    const stored = state.assetsOf(accountId);
    const received = [];
    for (const part of parts) {
      if (!wanted.has(part.name))
        throw new CloudflareError(400, 10001, `A file was uploaded that is not in the manifest of this upload session (${part.name}).`);
      const bytes = Buffer.from(part.data.toString('latin1'), 'base64');
      if (bytes.length !== session.sizes[part.name])
        throw new CloudflareError(400, 10001, `The file ${part.name} is ${bytes.length} bytes; the manifest says ${session.sizes[part.name]}.`);
      received.push({ hash: part.name, bytes, contentType: part.contentType ?? 'application/null' });
    }
    if (received.length === 0) throw new CloudflareError(400, 10001, 'The upload holds no files.');
    for (const file of received) if (!stored.has(file.hash)) stored.set(file.hash, { contentType: file.contentType, bytes: file.bytes });

    const complete = [...wanted].every((h) => stored.has(h));
    if (!complete) return sendResult(ctx.res, {}, 202);
    const jwt = await signAssetToken({ sid: session.id, acc: accountId, purpose: 'completion' }, now(), config.jwtTtlSeconds);
    sendResult(ctx.res, { jwt }, 201);
  });

  r('PUT', '/accounts/:account/workers/scripts/:script', async (ctx) => {
    const accountId = ctx.params.account!;
    const name = ctx.params.script!;
    authenticate(ctx, accountId);
    validScriptName(name);
    let script = state.script(accountId, name);
    if (!script && state.scriptsOf(accountId).length >= config.workerLimit)
      throw new CloudflareError(
        403,
        10037,
        `You have exceeded the limit of ${config.workerLimit} Workers on your account. Delete a Worker or upgrade your plan.`,
      );
    if (!script && !account(accountId)!.subdomain && state.scriptsOf(accountId).length === 0)
      throw new CloudflareError(403, 10063, 'A workers.dev subdomain is required. Register one before uploading a Worker.');
    const fields = await versionFromUpload(ctx, accountId, script);
    script ??= state.createScript(accountId, name, iso());
    const version = state.addVersion(script, fields);
    state.deploy(script, [{ version_id: version.id, percentage: 100 }], iso());
    sendResult(ctx.res, { ...scriptSummary(script), deployment_id: version.id, startup_time_ms: 0, entry_point: null });
  });

  r('DELETE', '/accounts/:account/workers/scripts/:script', (ctx) => {
    authenticate(ctx, ctx.params.account);
    if (!state.deleteScript(ctx.params.account!, ctx.params.script!)) throw notFoundWorker(ctx.params.script!);
    sendResult(ctx.res, null);
  });

  const versionJson = (version: Version) => ({
    id: version.id,
    number: version.number,
    metadata: { created_on: version.createdOn, modified_on: version.createdOn, source: 'api', author_id: 'local', author_email: 'local@huskit.test' },
    annotations: { 'workers/triggered_by': 'upload', ...version.annotations },
    resources: {
      bindings: [],
      script: { etag: version.etag, handlers: [], last_deployed_from: 'api' },
      script_runtime: { compatibility_date: version.compatibilityDate ?? '', compatibility_flags: [], usage_model: 'standard' },
    },
    startup_time_ms: 0,
  });

  r('POST', '/accounts/:account/workers/scripts/:script/versions', async (ctx) => {
    const accountId = ctx.params.account!;
    authenticate(ctx, accountId);
    const script = requireScript(accountId, ctx.params.script!);
    const version = state.addVersion(script, await versionFromUpload(ctx, accountId, script));
    sendResult(ctx.res, versionJson(version));
  });

  // The versions of a Worker, newest first, as `items` (wrangler's fetchDeployableVersions reads
  // `?deployable=true`, which ignores pagination; its `versions list` shows each one's annotations:
  // packages/deploy-helpers/src/deploy/helpers/versions-api.ts, packages/wrangler/src/versions/list.ts).
  r('GET', '/accounts/:account/workers/scripts/:script/versions', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const script = requireScript(ctx.params.account!, ctx.params.script!);
    const items = [...script.versions].reverse().map(versionJson);
    const perPage = Math.min(100, Math.max(1, Number(ctx.url.searchParams.get('per_page')) || 10));
    const page = Math.max(1, Number(ctx.url.searchParams.get('page')) || 1);
    if (ctx.url.searchParams.get('deployable') === 'true') return sendResult(ctx.res, { items });
    sendResult(ctx.res, { items: items.slice((page - 1) * perPage, page * perPage) }, 200, {
      result_info: { page, per_page: perPage, count: Math.min(perPage, Math.max(0, items.length - (page - 1) * perPage)), total_count: items.length },
    });
  });

  r('GET', '/accounts/:account/workers/scripts/:script/versions/:version', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const script = requireScript(ctx.params.account!, ctx.params.script!);
    const version = script.versions.find((v) => v.id === ctx.params.version);
    if (!version) throw new CloudflareError(404, 10007, `Version ${ctx.params.version} of Worker ${script.name} was not found.`);
    sendResult(ctx.res, versionJson(version));
  });

  r('GET', '/accounts/:account/workers/scripts/:script/deployments', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const script = requireScript(ctx.params.account!, ctx.params.script!);
    sendResult(ctx.res, { deployments: script.deployments.map((d) => deploymentJson(d)) });
  });

  const deploymentJson = (d: Script['deployments'][number]) => ({
    id: d.id,
    source: 'api',
    strategy: d.strategy,
    author_email: 'local@huskit.test',
    created_on: d.createdOn,
    versions: d.versions,
    annotations: d.annotations ?? {},
  });

  r('POST', '/accounts/:account/workers/scripts/:script/deployments', async (ctx) => {
    const accountId = ctx.params.account!;
    authenticate(ctx, accountId);
    const script = requireScript(accountId, ctx.params.script!);
    let body: { strategy?: string; versions?: { version_id?: string; percentage?: number }[]; annotations?: Record<string, string> };
    try {
      body = JSON.parse((await ctx.body(1 << 20)).toString('utf8'));
    } catch {
      throw new CloudflareError(400, 10021, 'The body is not valid JSON.');
    }
    if (body.strategy !== 'percentage') throw new CloudflareError(400, 10021, 'strategy must be "percentage".');
    const versions = body.versions ?? [];
    if (!versions.length || versions.some((v) => !script.versions.some((sv) => sv.id === v.version_id) || typeof v.percentage !== 'number'))
      throw new CloudflareError(400, 10021, 'Every deployed version must be an existing version id with a percentage.');
    if (versions.reduce((sum, v) => sum + v.percentage!, 0) !== 100) throw new CloudflareError(400, 10021, 'Version percentages must add up to 100.');
    const deployment = state.deploy(
      script,
      versions.map((v) => ({ version_id: v.version_id!, percentage: v.percentage! })),
      iso(),
      body.annotations,
    );
    sendResult(ctx.res, deploymentJson(deployment));
  });

  r('PATCH', '/accounts/:account/workers/scripts/:script/script-settings', async (ctx) => {
    authenticate(ctx, ctx.params.account);
    requireScript(ctx.params.account!, ctx.params.script!);
    const body = JSON.parse((await ctx.body(1 << 20)).toString('utf8') || '{}') as Record<string, unknown>;
    sendResult(ctx.res, { logpush: false, observability: { enabled: false }, tags: [], tail_consumers: [], ...body });
  });

  const subdomainResult = (s: Script) => ({ enabled: s.subdomainEnabled, previews_enabled: s.previewsEnabled });

  r('GET', '/accounts/:account/workers/scripts/:script/subdomain', (ctx) => {
    authenticate(ctx, ctx.params.account);
    sendResult(ctx.res, subdomainResult(requireScript(ctx.params.account!, ctx.params.script!)));
  });

  r('POST', '/accounts/:account/workers/scripts/:script/subdomain', async (ctx) => {
    authenticate(ctx, ctx.params.account);
    const script = requireScript(ctx.params.account!, ctx.params.script!);
    let body: { enabled?: unknown; previews_enabled?: unknown };
    try {
      body = JSON.parse((await ctx.body(1 << 16)).toString('utf8'));
    } catch {
      throw new CloudflareError(400, 10021, 'The body is not valid JSON.');
    }
    if (typeof body.enabled !== 'boolean') throw new CloudflareError(400, 10021, '"enabled" must be true or false.');
    // Without both fields and the API date wrangler sends, the answer depends on defaults Cloudflare may
    // change (packages/deploy-helpers/src/triggers/deploy.ts: `{enabled, previews_enabled}` with
    // `Cloudflare-Workers-Script-Api-Date: 2025-08-01`); the local cloud refuses such a request.
    if (typeof body.previews_enabled !== 'boolean') throw new CloudflareError(400, 10021, '"previews_enabled" must be true or false: send it with "enabled".');
    if (ctx.req.headers['cloudflare-workers-script-api-date'] !== SCRIPT_API_DATE)
      throw new CloudflareError(
        400,
        10021,
        `Send the header Cloudflare-Workers-Script-Api-Date: ${SCRIPT_API_DATE}, so that the defaults of this endpoint cannot shift.`,
      );
    if (body.enabled && !account(script.accountId)!.subdomain)
      throw new CloudflareError(403, 10063, 'A workers.dev subdomain is required. Register one before enabling workers.dev.');
    script.subdomainEnabled = body.enabled;
    script.previewsEnabled = body.previews_enabled;
    sendResult(ctx.res, subdomainResult(script));
  });

  r('DELETE', '/accounts/:account/workers/scripts/:script/subdomain', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const script = requireScript(ctx.params.account!, ctx.params.script!);
    script.subdomainEnabled = false;
    script.previewsEnabled = false;
    sendResult(ctx.res, null);
  });

  r('GET', '/accounts/:account/workers/workers/:script', (ctx) => {
    authenticate(ctx, ctx.params.account);
    const s = requireScript(ctx.params.account!, ctx.params.script!);
    const url = siteUrl(s);
    sendResult(ctx.res, {
      id: s.tag,
      name: s.name,
      created_on: s.createdOn,
      updated_on: s.modifiedOn,
      subdomain: { enabled: s.subdomainEnabled, previews_enabled: s.previewsEnabled, ...(url ? { url } : {}) },
      tags: [],
      logpush: false,
      observability: { enabled: false },
    });
  });

  const platform: EmulatorPlatform = {
    name: 'cloudflare',
    apis: [
      {
        target: 'cloudflare',
        prefix: '/client/v4',
        router,
        sendError(res: ServerResponse, kind, message) {
          const map = {
            not_found: new CloudflareError(404, 7003, 'No route for the URI'),
            method_not_allowed: new CloudflareError(405, 7001, 'Method not allowed for this endpoint'),
            too_large: new CloudflareError(413, 10027, 'The request is too large.'),
            internal: new CloudflareError(500, 10013, 'An unknown error has occurred'),
          } as const;
          void message;
          sendCloudflareError(res, map[kind]);
        },
        sendFault(res, fault) {
          const status = fault.status ?? 500;
          const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
          if (status === 429) return sendCloudflareError(res, new CloudflareError(429, 971, 'Please wait and consider throttling your request speed', headers));
          sendCloudflareError(res, new CloudflareError(status, 10013, 'An unknown error has occurred', headers));
        },
      },
    ],
    serveSite: (hostname, req, res) => serveWorkerSite({ state, services, hostname, req, res }),
    stats: () => {
      let assets = 0;
      let assetBytes = 0;
      for (const map of state.assets.values())
        for (const a of map.values()) {
          assets++;
          assetBytes += a.bytes.length;
        }
      return { assets, assetBytes, scripts: state.scripts.size, uploadSessions: state.sessions.size };
    },
    reset: () => {
      state.reset();
      rateWindows.clear();
    },
    snapshot: () => {
      const blobs = new Map<string, Buffer>();
      const assets: Record<string, Record<string, string>> = {};
      for (const [accountId, map] of state.assets) {
        assets[accountId] = {};
        for (const [hash, asset] of map) {
          blobs.set(`cf-${accountId}-${hash}`, asset.bytes);
          assets[accountId][hash] = asset.contentType;
        }
      }
      return { state: { assets, scripts: [...state.scripts.values()] }, blobs };
    },
    restore: (saved, readBlob) => {
      const data = saved as { assets: Record<string, Record<string, string>>; scripts: Script[] };
      for (const [accountId, hashes] of Object.entries(data.assets ?? {}))
        for (const [hash, contentType] of Object.entries(hashes)) {
          const bytes = readBlob(`cf-${accountId}-${hash}`);
          if (bytes) state.assetsOf(accountId).set(hash, { contentType, bytes });
        }
      for (const s of data.scripts ?? []) state.scripts.set(`${s.accountId}/${s.name}`, s);
    },
  };
  return platform;
};
