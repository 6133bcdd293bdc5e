// Cloudflare's REST API for Workers Static Assets, as it really behaves (../shared/specs/
// cloudflare-workers-assets.md): the v4 envelope, upload sessions with server-chosen buckets,
// base64 multipart uploads authenticated by the upload JWT, assets-only script uploads, versions and
// deployments, and the workers.dev toggle.
import { errorForStatus, PlatformError, sendWithRetry, type RetryPolicy } from '../http';

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

interface Envelope<T> {
  success: boolean;
  errors?: { code: number; message: string }[];
  result: T;
}

const LABEL = 'Cloudflare';
export const ACCOUNT_ID = /^[0-9a-f]{32}$/;

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

  /** One API call; `null` for a 404 (code 10007) when `allowMissing`. */
  private async call<T>(
    operation: string,
    method: string,
    path: string,
    body?: () => BodyInit,
    opts: { token?: string; contentType?: string; allowMissing?: boolean } = {},
  ): Promise<T> {
    const res = await sendWithRetry({
      label: `${LABEL} (${operation})`,
      policy: this.policy,
      send: ({ signal }) =>
        fetch(`${this.apiBaseUrl}${path}`, {
          method,
          signal,
          headers: {
            authorization: `Bearer ${opts.token ?? this.credentials.apiToken}`,
            ...(opts.contentType ? { 'content-type': opts.contentType } : {}),
          },
          body: body?.(),
        }),
    });
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
      throw new PlatformError('bad_request', 'This Cloudflare account has no workers.dev subdomain yet. Open Workers & Pages in the Cloudflare dashboard once to create it.');
    return result.subdomain;
  }

  async workerExists(script: string): Promise<boolean> {
    return (await this.call<unknown>('look up Worker', 'GET', `${this.account}/workers/services/${encodeURIComponent(script)}`, undefined, { allowMissing: true })) !== null;
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

  /** Uploads one bucket; returns the completion token when this request completed the set. */
  async uploadBucket(uploadJwt: string, files: { hash: string; base64: string; contentType: string }[]): Promise<string | undefined> {
    const result = await this.call<{ jwt?: string }>(
      'upload assets',
      'POST',
      `${this.account}/workers/assets/upload?base64=true`,
      () => {
        const form = new FormData();
        for (const f of files) form.append(f.hash, new Blob([f.base64], { type: f.contentType }), f.hash);
        return form;
      },
      { token: uploadJwt },
    );
    return result?.jwt;
  }

  private metadataForm(completionJwt: string, config: AssetsConfig) {
    return () => {
      const form = new FormData();
      const metadata = { assets: { jwt: completionJwt, config }, compatibility_date: '2026-11-01', compatibility_flags: [] };
      form.append('metadata', new Blob([JSON.stringify(metadata)], { type: 'application/json' }), 'metadata.json');
      return form;
    };
  }

  /** Creates or replaces an assets-only Worker and deploys it; answers the new version id. */
  async putAssetsWorker(script: string, completionJwt: string, config: AssetsConfig): Promise<string> {
    const result = await this.call<{ deployment_id?: string }>(
      'upload Worker',
      'PUT',
      `${this.account}/workers/scripts/${encodeURIComponent(script)}?bindings_inherit=strict`,
      this.metadataForm(completionJwt, config),
    );
    return result.deployment_id ?? '';
  }

  /** For an existing Worker: a new version, then a deployment sending it all traffic. */
  async deployNewVersion(script: string, completionJwt: string, config: AssetsConfig): Promise<string> {
    const base = `${this.account}/workers/scripts/${encodeURIComponent(script)}`;
    const version = await this.call<{ id: string }>('create version', 'POST', `${base}/versions?bindings_inherit=strict`, this.metadataForm(completionJwt, config));
    await this.call('deploy version', 'POST', `${base}/deployments`, () => JSON.stringify({ strategy: 'percentage', versions: [{ version_id: version.id, percentage: 100 }] }), {
      contentType: 'application/json',
    });
    return version.id;
  }

  async enableWorkersDev(script: string): Promise<void> {
    await this.call('enable workers.dev', 'POST', `${this.account}/workers/scripts/${encodeURIComponent(script)}/subdomain`, () => JSON.stringify({ enabled: true }), {
      contentType: 'application/json',
    });
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
