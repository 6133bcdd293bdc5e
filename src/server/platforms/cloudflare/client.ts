// Cloudflare's REST API for Workers Static Assets, as it really behaves (as wrangler calls it:
// cloudflare/workers-sdk packages/deploy-helpers): the v4 envelope, upload sessions with server-chosen buckets,
// base64 multipart uploads authenticated by the upload JWT, assets-only script uploads, versions and
// deployments, and the workers.dev toggle.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { errorForStatus, fetchWithBody, PlatformError, sendWithRetry, timeoutForBytes, type RetryPolicy, type StreamBody } from '../http';

export interface CloudflareCredentials {
  apiToken: string;
  accountId: string;
}

export interface AssetsConfig {
  html_handling: 'auto-trailing-slash';
  not_found_handling: 'single-page-application' | '404-page';
  _headers?: string;
  _redirects?: string;
}

/** What a new version carries besides its assets. */
export interface VersionSettings {
  compatibilityDate: string;
  marker: Marker;
  /** An earlier attempt of this deployment may have created it already: look before sending. */
  resumed: boolean;
}

/** One file of an upload bucket: its asset hash, size, type, and its bytes as a fresh stream each call. */
export interface BucketFile {
  hash: string;
  size: number;
  contentType: string;
  open(): Promise<Readable>;
}

/** Base64 text of `n` bytes: 4 characters for each 3 bytes begun. */
const base64Length = (n: number) => 4 * Math.ceil(n / 3);

/** Encodes a stream as base64 as it comes, carrying the 0–2 bytes that do not yet make a group of 3. */
async function* base64Of(stream: Readable): AsyncGenerator<Buffer> {
  let carry = Buffer.alloc(0);
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const bytes = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = bytes.length - (bytes.length % 3);
    if (whole > 0) yield Buffer.from(bytes.subarray(0, whole).toString('base64'), 'latin1');
    carry = Buffer.from(bytes.subarray(whole));
  }
  if (carry.length) yield Buffer.from(carry.toString('base64'), 'latin1');
}

/**
 * Files opened ahead of the one being sent, so that a store's latency per file does not add up over
 * hundreds of small files: a few, and a few MB at most (the one after the current file is always opened).
 */
const READ_AHEAD_FILES = 8;
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

/**
 * One bucket as the multipart/form-data body the assets upload takes, byte for byte what fetch makes
 * of a FormData holding one Blob per file (named and filenamed by its hash, its type, the base64 text
 * as content), as wrangler sends it. Built as it is sent, file after file, each base64-encoded on the
 * way, so no bucket is ever whole in memory; its exact length is known before the first byte.
 */
export function bucketBody(
  files: BucketFile[],
  boundary = `----formdata-huskit-${randomBytes(12).toString('hex')}`,
): { contentType: string; body: StreamBody } {
  // A Blob's type is kept lower-cased; the boundary's dashes never occur in base64 or a hex hash.
  const heads = files.map((f) =>
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${f.hash}"; filename="${f.hash}"\r\nContent-Type: ${f.contentType.toLowerCase()}\r\n\r\n`,
    ),
  );
  const lineEnd = Buffer.from('\r\n');
  const closing = Buffer.from(`--${boundary}--\r\n`);
  const length = files.reduce((n, f, i) => n + heads[i]!.length + base64Length(f.size) + lineEnd.length, closing.length);
  async function* parts(): AsyncGenerator<Buffer> {
    const ahead: Promise<Readable>[] = [];
    let aheadBytes = 0;
    let next = 0;
    const readAhead = () => {
      while (next < files.length && ahead.length < READ_AHEAD_FILES && (ahead.length === 0 || aheadBytes + files[next]!.size <= READ_AHEAD_BYTES)) {
        const opening = files[next]!.open();
        // Awaited in its turn; until then a failure must not count as unhandled.
        opening.catch(() => {});
        ahead.push(opening);
        aheadBytes += files[next++]!.size;
      }
    };
    try {
      readAhead();
      for (const [i, file] of files.entries()) {
        const stream = await ahead.shift()!;
        aheadBytes -= file.size;
        readAhead();
        yield heads[i]!;
        yield* base64Of(stream);
        yield lineEnd;
      }
      yield closing;
    } finally {
      // A body given up (a failed attempt) lets go of the files it had opened ahead.
      for (const opening of ahead)
        opening.then(
          (stream) => stream.destroy(),
          () => {},
        );
    }
  }
  return { contentType: `multipart/form-data; boundary=${boundary}`, body: { length, open: () => Readable.from(parts()) } };
}

interface Envelope<T> {
  success: boolean;
  errors?: { code: number; message: string }[];
  result: T;
}

const LABEL = 'Cloudflare';
export const ACCOUNT_ID = /^[0-9a-f]{32}$/;
/** The script API date wrangler sends with the workers.dev toggle (packages/deploy-helpers/src/triggers/deploy.ts). */
export const SCRIPT_API_DATE = '2025-08-01';

/** What marks a version and its deployment as made by one of our deployments, so a lost answer can be found. */
export interface Marker {
  /** `workers/tag` of the version (at most 100 bytes). */
  tag: string;
  /** `workers/message` of the deployment. */
  message: string;
}

interface ApiVersion {
  id: string;
  annotations?: Record<string, string>;
}

interface ApiDeployment {
  id: string;
  versions: { version_id: string; percentage: number }[];
  annotations?: Record<string, string>;
}

export class CloudflareAssetsClient {
  constructor(
    private readonly apiBaseUrl: string,
    private readonly credentials: CloudflareCredentials,
    private readonly policy: Partial<RetryPolicy> = {},
  ) {
    // The account id becomes part of every URL: only the documented format may.
    if (!ACCOUNT_ID.test(credentials.accountId))
      throw new PlatformError('bad_request', 'The Cloudflare account id must be 32 hexadecimal characters (find it on the Workers overview page).');
  }

  private get account() {
    return `/accounts/${this.credentials.accountId}`;
  }

  /**
   * One API call; `null` for a 404 (code 10007) when `allowMissing`. A create that is not idempotent
   * passes `lookup`: before each resend (after a timeout, a lost answer or a 5xx, when it may have
   * happened) it is read back, and what it finds is the answer, never a second one.
   */
  private async call<T>(
    operation: string,
    method: string,
    path: string,
    /** Made afresh for each attempt: a small body in memory, or a streamed one with its length. */
    body?: (() => BodyInit) | StreamBody,
    opts: {
      token?: string;
      contentType?: string;
      allowMissing?: boolean;
      headers?: Record<string, string>;
      timeoutMs?: number;
      lookup?: () => Promise<T | null>;
      /** Read before the first send too (an earlier attempt of the deployment may have sent it). */
      lookupFirst?: boolean;
    } = {},
  ): Promise<T> {
    const { lookup } = opts;
    if (lookup && opts.lookupFirst) {
      const earlier = await lookup();
      if (earlier !== null) return earlier;
    }
    let found: { value: T } | undefined;
    const res = await sendWithRetry({
      label: `${LABEL} (${operation})`,
      policy: { ...this.policy, ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) },
      send: ({ signal }) => {
        const url = `${this.apiBaseUrl}${path}`;
        const headers = {
          authorization: `Bearer ${opts.token ?? this.credentials.apiToken}`,
          ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
          ...opts.headers,
        };
        return body !== undefined && typeof body !== 'function'
          ? fetchWithBody(url, { method, signal, headers }, body)
          : fetch(url, { method, signal, headers, body: body?.() });
      },
      recover: lookup
        ? async () => {
            const value = await lookup();
            if (value === null) return undefined;
            found = { value };
            return new Response(null, { status: 204 });
          }
        : undefined,
    });
    if (found) return (found as { value: T }).value;
    const text = await res.text();
    let envelope: Envelope<T> | undefined;
    try {
      envelope = JSON.parse(text) as Envelope<T>;
    } catch {
      envelope = undefined;
    }
    if (res.ok && envelope?.success) return envelope.result;
    const first = envelope?.errors?.[0];
    if (opts.allowMissing && (first?.code === 10007 || first?.code === 10090 || res.status === 404)) return null as T;
    throw cloudflareError(operation, res.status, first, text);
  }

  /** Checks the token (user or account token) and reads the account's name and workers.dev subdomain. */
  async verify(): Promise<{ accountName: string; subdomain: string }> {
    const user = await this.call<{ status: string } | null>('verify token', 'GET', '/user/tokens/verify', undefined, { allowMissing: true }).catch(
      (err: unknown) => {
        // An account-owned token is refused by the user endpoint; it verifies under the account.
        if (err instanceof PlatformError && err.kind === 'auth') return null;
        throw err;
      },
    );
    const verified = user ?? (await this.call<{ status: string }>('verify token', 'GET', `${this.account}/tokens/verify`));
    if (verified.status !== 'active') throw new PlatformError('auth', `This Cloudflare token is ${verified.status}. Create a new token and reconnect.`);
    const account = await this.call<{ name: string }>('read account', 'GET', this.account);
    return { accountName: account.name, subdomain: await this.subdomain() };
  }

  async subdomain(): Promise<string> {
    const result = await this.call<{ subdomain: string } | null>('read workers.dev subdomain', 'GET', `${this.account}/workers/subdomain`, undefined, {
      allowMissing: true,
    });
    if (!result?.subdomain)
      throw new PlatformError(
        'bad_request',
        'This Cloudflare account has no workers.dev subdomain yet. Open Workers & Pages in the Cloudflare dashboard once to create it.',
      );
    return result.subdomain;
  }

  async workerExists(script: string): Promise<boolean> {
    return (
      (await this.call<unknown>('look up Worker', 'GET', `${this.account}/workers/services/${encodeURIComponent(script)}`, undefined, {
        allowMissing: true,
      })) !== null
    );
  }

  async listWorkers(): Promise<{ id: string; modified_on: string }[]> {
    return this.call('list Workers', 'GET', `${this.account}/workers/scripts`);
  }

  async createUploadSession(script: string, manifest: Record<string, { hash: string; size: number }>): Promise<{ jwt: string; buckets: string[][] }> {
    const result = await this.call<{ jwt?: string; buckets?: string[][] } | null>(
      'start asset upload',
      'POST',
      `${this.account}/workers/scripts/${encodeURIComponent(script)}/assets-upload-session`,
      () => JSON.stringify({ manifest }),
      { contentType: 'application/json' },
    );
    if (!result?.jwt) throw new PlatformError('unavailable', 'Cloudflare answered the upload session without a token. Try again in a moment.');
    return { jwt: result.jwt, buckets: result.buckets ?? [] };
  }

  /** Uploads one bucket, streamed; returns the completion token when this request completed the set. */
  async uploadBucket(uploadJwt: string, files: BucketFile[]): Promise<string | undefined> {
    const { contentType, body } = bucketBody(files);
    const result = await this.call<{ jwt?: string }>(
      'upload assets',
      'POST',
      `${this.account}/workers/assets/upload?base64=true`,
      body,
      // Uploading a bucket again is harmless (assets are addressed by hash); only the time it takes grows.
      { token: uploadJwt, contentType, timeoutMs: timeoutForBytes(body.length) },
    );
    return result?.jwt;
  }

  private metadataForm(completionJwt: string, config: AssetsConfig, version: VersionSettings) {
    return () => {
      const form = new FormData();
      const metadata = {
        assets: { jwt: completionJwt, config },
        compatibility_date: version.compatibilityDate,
        compatibility_flags: [],
        annotations: { 'workers/tag': version.marker.tag, 'workers/message': version.marker.message },
      };
      form.append('metadata', new Blob([JSON.stringify(metadata)], { type: 'application/json' }), 'metadata.json');
      return form;
    };
  }

  /**
   * Creates or replaces an assets-only Worker and deploys it; answers the new version id (the
   * answer's `deployment_id` is the version id, as wrangler reads it: packages/deploy-helpers/src/deploy/deploy.ts).
   */
  async putAssetsWorker(script: string, completionJwt: string, config: AssetsConfig, version: VersionSettings): Promise<string> {
    const result = await this.call<{ deployment_id?: string }>(
      'upload Worker',
      'PUT',
      `${this.script(script)}?bindings_inherit=strict`,
      this.metadataForm(completionJwt, config, version),
      {
        // The upload deploys at once: a version carrying our tag is the one this PUT made.
        lookup: async () => {
          const found = await this.findVersion(script, version.marker.tag);
          return found ? { deployment_id: found.id } : null;
        },
        lookupFirst: version.resumed,
      },
    );
    return result.deployment_id ?? '';
  }

  /** For an existing Worker: a new version, then a deployment sending it all traffic. */
  async deployNewVersion(script: string, completionJwt: string, config: AssetsConfig, version: VersionSettings): Promise<string> {
    const created = await this.call<{ id: string }>(
      'create version',
      'POST',
      `${this.script(script)}/versions?bindings_inherit=strict`,
      this.metadataForm(completionJwt, config, version),
      {
        lookup: () => this.findVersion(script, version.marker.tag),
        lookupFirst: version.resumed,
      },
    );
    await this.deployVersion(script, created.id, version.marker.message, version.resumed);
    return created.id;
  }

  /** A deployment sending all traffic to one version (also how wrangler rolls back: packages/wrangler/src/versions/rollback/index.ts). */
  async deployVersion(script: string, versionId: string, message: string, resumed = false): Promise<void> {
    await this.call<ApiDeployment>(
      'deploy version',
      'POST',
      `${this.script(script)}/deployments`,
      () => JSON.stringify({ strategy: 'percentage', versions: [{ version_id: versionId, percentage: 100 }], annotations: { 'workers/message': message } }),
      {
        contentType: 'application/json',
        lookup: async () =>
          (await this.listDeployments(script)).find(
            (d) => d.annotations?.['workers/message'] === message && d.versions.some((v) => v.version_id === versionId),
          ) ?? null,
        lookupFirst: resumed,
      },
    );
  }

  /** A version of the Worker, or null when it (or the Worker) is gone. */
  async getVersion(script: string, versionId: string): Promise<ApiVersion | null> {
    return this.call<ApiVersion | null>('read version', 'GET', `${this.script(script)}/versions/${encodeURIComponent(versionId)}`, undefined, {
      allowMissing: true,
    });
  }

  /** The version carrying `workers/tag` = tag, or null (`?deployable=true` lists them all, as wrangler's fetchDeployableVersions). */
  private async findVersion(script: string, tag: string): Promise<ApiVersion | null> {
    const list = await this.call<{ items: ApiVersion[] } | null>('list versions', 'GET', `${this.script(script)}/versions?deployable=true`, undefined, {
      allowMissing: true,
    });
    return list?.items.find((v) => v.annotations?.['workers/tag'] === tag) ?? null;
  }

  private async listDeployments(script: string): Promise<ApiDeployment[]> {
    return (await this.call<{ deployments: ApiDeployment[] }>('list deployments', 'GET', `${this.script(script)}/deployments`)).deployments;
  }

  /** Both fields and the API date, as wrangler sends them, so that Cloudflare's defaults cannot change what we get. */
  async enableWorkersDev(script: string): Promise<void> {
    await this.call('enable workers.dev', 'POST', `${this.script(script)}/subdomain`, () => JSON.stringify({ enabled: true, previews_enabled: false }), {
      contentType: 'application/json',
      headers: { 'Cloudflare-Workers-Script-Api-Date': SCRIPT_API_DATE },
    });
  }

  private script(name: string) {
    return `${this.account}/workers/scripts/${encodeURIComponent(name)}`;
  }

  /** Deletes a Worker; one that is already gone counts as deleted. */
  async deleteWorker(script: string): Promise<void> {
    await this.call('delete Worker', 'DELETE', `${this.account}/workers/scripts/${encodeURIComponent(script)}?force=true`, undefined, { allowMissing: true });
  }
}

function cloudflareError(operation: string, status: number, first: { code: number; message: string } | undefined, raw: string): PlatformError {
  const label = `${LABEL} (${operation})`;
  const said = first ? `${first.message} [code ${first.code}]` : raw.slice(0, 300);
  switch (first?.code) {
    case 10000:
    case 9106:
    case 9109:
    case 1000:
      return new PlatformError('auth', 'Cloudflare refused the API token. Reconnect your account with a token that has Workers Scripts: Edit.', said);
    case 10037:
      return new PlatformError('quota', 'The Cloudflare account has reached its Worker limit. Delete a Worker you no longer need, then deploy again.', said);
    case 971:
      return new PlatformError('quota', 'Cloudflare is limiting requests right now. Wait a minute and try again.', said);
    case 10304:
      return new PlatformError('bad_request', `Cloudflare refused the site's files: ${first.message}`, said);
    case 10016:
      return new PlatformError('bad_request', `Cloudflare refused the Worker name: ${first.message}`, said);
    default:
      return errorForStatus(label, status, said);
  }
}
