// Cloudflare's REST API for Workers Static Assets, as it really behaves (as wrangler calls it:
// cloudflare/workers-sdk packages/deploy-helpers): the v4 envelope, upload sessions with server-chosen buckets,
// base64 multipart uploads authenticated by the upload JWT, assets-only script uploads, versions and
// deployments, and the workers.dev toggle.
import { errorForStatus, PlatformError, type RetryPolicy } from '../http';
import { JsonApiClient, parseJsonOrUndefined, type ApiRequest } from '../json-api-client';
import { bucketBody, type BucketFile } from './bucket-body';

/** One file of an upload session's manifest: `"/path":{"hash":"…","size":…}` (the path from the site's root). */
export const assetManifestLine = (path: string, hash: string, size: number): string => `${JSON.stringify(`/${path}`)}:${JSON.stringify({ hash, size })}`;

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

/** Cloudflare's own options of a call. */
interface CloudflareCall {
  /** "Not found" (code 10007 or 10090, or a 404) answers `null` rather than an error. */
  allowMissing?: boolean;
}

export class CloudflareAssetsClient extends JsonApiClient<CloudflareCall> {
  constructor(
    apiBaseUrl: string,
    private readonly credentials: CloudflareCredentials,
    policy: Partial<RetryPolicy> = {},
  ) {
    super(LABEL, apiBaseUrl, { policy });
    // The account id becomes part of every URL: only the documented format may.
    if (!ACCOUNT_ID.test(credentials.accountId))
      throw new PlatformError('bad_request', 'The Cloudflare account id must be 32 hexadecimal characters (find it on the Workers overview page).');
  }

  private get account() {
    return `/accounts/${this.credentials.accountId}`;
  }

  protected headers() {
    return { authorization: `Bearer ${this.credentials.apiToken}` };
  }

  /** The v4 envelope: `{ success, errors: [{ code, message }], result }`. */
  protected answer<T>(res: Response, text: string, request: ApiRequest<T> & CloudflareCall): T {
    const envelope = parseJsonOrUndefined<Envelope<T>>(text);
    if (res.ok && envelope?.success) return envelope.result;
    const first = envelope?.errors?.[0];
    if (request.allowMissing && (first?.code === 10007 || first?.code === 10090 || res.status === 404)) return null as T;
    throw cloudflareError(request.operation, res.status, first, text);
  }

  /** Checks the token (user or account token) and reads the account's name and workers.dev subdomain. */
  async verify(): Promise<{ accountName: string; subdomain: string }> {
    const user = await this.call<{ status: string } | null>({
      operation: 'verify token',
      method: 'GET',
      path: '/user/tokens/verify',
      allowMissing: true,
    }).catch((err: unknown) => {
      // An account-owned token is refused by the user endpoint; it verifies under the account.
      if (err instanceof PlatformError && err.kind === 'auth') return null;
      throw err;
    });
    const verified = user ?? (await this.call<{ status: string }>({ operation: 'verify token', method: 'GET', path: `${this.account}/tokens/verify` }));
    if (verified.status !== 'active') throw new PlatformError('auth', `This Cloudflare token is ${verified.status}. Create a new token and reconnect.`);
    const account = await this.call<{ name: string }>({ operation: 'read account', method: 'GET', path: this.account });
    return { accountName: account.name, subdomain: await this.subdomain() };
  }

  async subdomain(): Promise<string> {
    const result = await this.call<{ subdomain: string } | null>({
      operation: 'read workers.dev subdomain',
      method: 'GET',
      path: `${this.account}/workers/subdomain`,
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
      (await this.call<unknown>({
        operation: 'look up Worker',
        method: 'GET',
        path: `${this.account}/workers/services/${encodeURIComponent(script)}`,
        allowMissing: true,
      })) !== null
    );
  }

  async listWorkers(): Promise<{ id: string; modified_on: string }[]> {
    return this.call({ operation: 'list Workers', method: 'GET', path: `${this.account}/workers/scripts` });
  }

  /**
   * Starts an upload session for the Worker's assets: `manifestLines` are the manifest's members, one
   * per file (`assetManifestLine`), joined here into `{"manifest":{…}}`: a 5,000-file site's
   * redeploy writes the few lines that changed, not a 440 KB document again.
   */
  async createUploadSession(script: string, manifestLines: readonly string[]): Promise<{ jwt: string; buckets: string[][] }> {
    const result = await this.call<{ jwt?: string; buckets?: string[][] } | null>({
      operation: 'start asset upload',
      method: 'POST',
      path: `${this.script(script)}/assets-upload-session`,
      body: { jsonText: `{"manifest":{${manifestLines.join(',')}}}` },
    });
    if (!result?.jwt) throw new PlatformError('unavailable', 'Cloudflare answered the upload session without a token. Try again in a moment.');
    return { jwt: result.jwt, buckets: result.buckets ?? [] };
  }

  /** Uploads one bucket, streamed; returns the completion token when this request completed the set. */
  async uploadBucket(uploadJwt: string, files: BucketFile[]): Promise<string | undefined> {
    const { contentType, body } = bucketBody(files);
    // Uploading a bucket again is harmless (assets are addressed by hash); only the time it takes grows.
    const result = await this.call<{ jwt?: string }>({
      operation: 'upload assets',
      method: 'POST',
      path: `${this.account}/workers/assets/upload?base64=true`,
      body: { stream: body, contentType },
      // Authenticated by the upload session's token, not the API token.
      headers: { authorization: `Bearer ${uploadJwt}` },
    });
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
    const result = await this.call<{ deployment_id?: string }>({
      operation: 'upload Worker',
      method: 'PUT',
      path: `${this.script(script)}?bindings_inherit=strict`,
      body: { form: this.metadataForm(completionJwt, config, version) },
      // The upload deploys at once: a version carrying our tag is the one this PUT made.
      recover: async () => {
        const found = await this.findVersion(script, version.marker.tag);
        return found ? { deployment_id: found.id } : undefined;
      },
      recoverFirst: version.resumed,
    });
    return result.deployment_id ?? '';
  }

  /** For an existing Worker: a new version, then a deployment sending it all traffic. */
  async deployNewVersion(script: string, completionJwt: string, config: AssetsConfig, version: VersionSettings): Promise<string> {
    const created = await this.call<{ id: string }>({
      operation: 'create version',
      method: 'POST',
      path: `${this.script(script)}/versions?bindings_inherit=strict`,
      body: { form: this.metadataForm(completionJwt, config, version) },
      recover: async () => (await this.findVersion(script, version.marker.tag)) ?? undefined,
      recoverFirst: version.resumed,
    });
    await this.deployVersion(script, created.id, version.marker.message, version.resumed);
    return created.id;
  }

  /** A deployment sending all traffic to one version (also how wrangler rolls back: packages/wrangler/src/versions/rollback/index.ts). */
  async deployVersion(script: string, versionId: string, message: string, resumed = false): Promise<void> {
    await this.call<ApiDeployment>({
      operation: 'deploy version',
      method: 'POST',
      path: `${this.script(script)}/deployments`,
      body: { json: { strategy: 'percentage', versions: [{ version_id: versionId, percentage: 100 }], annotations: { 'workers/message': message } } },
      recover: async () =>
        (await this.listDeployments(script)).find((d) => d.annotations?.['workers/message'] === message && d.versions.some((v) => v.version_id === versionId)),
      recoverFirst: resumed,
    });
  }

  /** A version of the Worker, or null when it (or the Worker) is gone. */
  async getVersion(script: string, versionId: string): Promise<ApiVersion | null> {
    return this.call<ApiVersion | null>({
      operation: 'read version',
      method: 'GET',
      path: `${this.script(script)}/versions/${encodeURIComponent(versionId)}`,
      allowMissing: true,
    });
  }

  /** The version carrying `workers/tag` = tag, or null (`?deployable=true` lists them all, as wrangler's fetchDeployableVersions). */
  private async findVersion(script: string, tag: string): Promise<ApiVersion | null> {
    const list = await this.call<{ items: ApiVersion[] } | null>({
      operation: 'list versions',
      method: 'GET',
      path: `${this.script(script)}/versions?deployable=true`,
      allowMissing: true,
    });
    return list?.items.find((v) => v.annotations?.['workers/tag'] === tag) ?? null;
  }

  private async listDeployments(script: string): Promise<ApiDeployment[]> {
    return (await this.call<{ deployments: ApiDeployment[] }>({ operation: 'list deployments', method: 'GET', path: `${this.script(script)}/deployments` }))
      .deployments;
  }

  /**
   * The Worker's workers.dev routes (`GET …/scripts/:script/subdomain`, the read wrangler makes before it
   * sets them), or null when there is no such Worker (10007): one read answers both.
   */
  async workersDev(script: string): Promise<{ enabled: boolean; previewsEnabled: boolean } | null> {
    const routes = await this.call<{ enabled: boolean; previews_enabled: boolean } | null>({
      operation: 'read workers.dev routes',
      method: 'GET',
      path: `${this.script(script)}/subdomain`,
      allowMissing: true,
    });
    return routes && { enabled: routes.enabled === true, previewsEnabled: routes.previews_enabled === true };
  }

  /** Both fields and the API date, as wrangler sends them, so that Cloudflare's defaults cannot change what we get. */
  async enableWorkersDev(script: string): Promise<void> {
    await this.call({
      operation: 'enable workers.dev',
      method: 'POST',
      path: `${this.script(script)}/subdomain`,
      body: { json: { enabled: true, previews_enabled: false } },
      headers: { 'Cloudflare-Workers-Script-Api-Date': SCRIPT_API_DATE },
    });
  }

  private script(name: string) {
    return `${this.account}/workers/scripts/${encodeURIComponent(name)}`;
  }

  /** Deletes a Worker; one that is already gone counts as deleted. */
  async deleteWorker(script: string): Promise<void> {
    await this.call({ operation: 'delete Worker', method: 'DELETE', path: `${this.script(script)}?force=true`, allowMissing: true });
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
