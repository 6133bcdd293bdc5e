// AWS Amplify Hosting's control plane as it really behaves (the Amplify API Reference and
// @aws-sdk/client-amplify's model):
// restJson1 over SigV4 (aws4fetch, signing name "amplify", every attempt signed afresh), errors named
// by `x-amzn-ErrorType` with the text in `{message}`, and the presigned S3 URL of a manual deployment,
// which is PUT as plain HTTP — a SigV4 header there would make S3 refuse the upload.
import { AwsClient } from 'aws4fetch';
import { amplifyRegionLabel } from '@/lib/platforms/amplify/regions';
import { DEFAULT_RETRY, fetchWithBody, PlatformError, sendWithRetry, type RetryPolicy, type StreamBody } from '../http';
import { checkApp, checkAppId, checkBranch, checkCredentials, JOB_ID, pathSegment } from './checks';
import { amplifyError, AnswerLostError, errorCode, errorMessage, isThrottle, LABEL, parseJson, quotaError } from './errors';
import type { AmplifyApp, AmplifyBranch, AmplifyCredentials, AmplifyJob, CreatedDeployment, CustomRule, JobSummary } from './types';

/**
 * The slowest upload we still wait for: a zip PUT gets the usual per-attempt timeout plus its size at
 * this rate (a 50 MB zip about 2 minutes more), instead of a fixed 30 s that a large site cannot meet.
 */
const MIN_UPLOAD_BYTES_PER_SECOND = 512 * 1024;
export function uploadTimeoutMs(bytes: number, baseMs: number = DEFAULT_RETRY.timeoutMs): number {
  return baseMs + Math.ceil((bytes / MIN_UPLOAD_BYTES_PER_SECOND) * 1000);
}

const isNotFound = (err: unknown) => err instanceof PlatformError && err.kind === 'not_found';

export class AmplifyClient {
  private readonly aws: AwsClient;
  private readonly policy: Partial<RetryPolicy>;
  readonly region: string;
  readonly endpoint: string;

  constructor(
    private readonly credentials: AmplifyCredentials,
    opts: {
      /** Server configuration only (the local cloud); otherwise the regional AWS endpoint. */
      endpoint?: string;
      policy?: Partial<RetryPolicy>;
    } = {},
  ) {
    checkCredentials(credentials);
    this.region = credentials.region;
    this.endpoint = (opts.endpoint ?? `https://amplify.${credentials.region}.amazonaws.com`).replace(/\/+$/, '');
    this.policy = opts.policy ?? {};
    // Service and region explicitly: aws4fetch cannot guess them for the local cloud or `.api.aws`.
    // No retries of its own: sendWithRetry owns them, and each attempt is signed afresh.
    this.aws = new AwsClient({
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
      service: 'amplify',
      region: credentials.region,
      retries: 0,
    });
  }

  private appPath(appId: string): string {
    return `/apps/${checkAppId(appId)}`;
  }

  private branchPath(appId: string, branchName: string): string {
    if (!branchName) throw new PlatformError('bad_request', 'The Amplify branch name is empty.');
    return `${this.appPath(appId)}/branches/${pathSegment(branchName)}`;
  }

  private jobPath(appId: string, branchName: string, jobId: string): string {
    if (!JOB_ID.test(jobId)) throw new PlatformError('bad_request', `"${jobId.slice(0, 40)}" is not an Amplify job ID.`);
    return `${this.branchPath(appId, branchName)}/jobs/${jobId}`;
  }

  /**
   * One signed API call; answers the parsed JSON body of a 2xx, throws PlatformError otherwise.
   * `once`: the call creates something, so a lost answer is not resent (AnswerLostError instead).
   */
  private async call<T>(operation: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, opts: { once?: boolean } = {}): Promise<T> {
    const json = body === undefined ? undefined : JSON.stringify(body);
    const res = await sendWithRetry({
      label: `${LABEL} (${operation})`,
      policy: this.policy,
      send: async ({ signal }) => {
        const init = { method, ...(json !== undefined ? { headers: { 'content-type': 'application/json' }, body: json } : {}) };
        const signed = await this.aws.sign(`${this.endpoint}${path}`, init);
        // Sent with the string body, not as the signed Request: a Request's body is a stream once it is
        // copied (Next's patched fetch does), and goes out chunked; AWS SDKs always send Content-Length.
        let res: Response;
        try {
          res = await fetch(signed.url, { method, headers: signed.headers, signal, ...(json !== undefined ? { body: json } : {}) });
        } catch (err) {
          if (!opts.once) throw err;
          const e = err as Error & { cause?: { code?: string } };
          throw new AnswerLostError(operation, e.cause?.code ?? e.name ?? 'Error', e.name === 'TimeoutError' || e.name === 'AbortError');
        }
        if (res.status === 429) {
          // A quota will not lift by retrying: stop here (a PlatformError thrown by send is not retried).
          const text = await res.clone().text();
          const parsed = parseJson(text);
          const code = errorCode(res, parsed);
          const message = errorMessage(parsed, text);
          if (!isThrottle(code, message, res)) throw quotaError(operation, message || code);
        }
        return res;
      },
    });
    const text = await res.text();
    const parsed = parseJson(text);
    if (res.ok) {
      if (!parsed)
        throw new PlatformError('unavailable', `${LABEL} (${operation}) answered something that is not JSON. Try again in a moment.`, text.slice(0, 300));
      return parsed as T;
    }
    throw amplifyError(operation, res.status, errorCode(res, parsed), errorMessage(parsed, text));
  }

  // ---- apps ----

  async createApp(input: { name: string; description?: string; customRules?: CustomRule[] }): Promise<AmplifyApp> {
    const { app } = await this.call<{ app: AmplifyApp }>('CreateApp', 'POST', '/apps', {
      name: input.name,
      platform: 'WEB',
      enableBranchAutoBuild: false,
      ...(input.description ? { description: input.description } : {}),
      ...(input.customRules ? { customRules: input.customRules } : {}),
    });
    return checkApp(app);
  }

  /** UpdateApp with new custom rules (they replace the app's list). */
  async updateAppRules(appId: string, customRules: CustomRule[]): Promise<AmplifyApp> {
    const { app } = await this.call<{ app: AmplifyApp }>('UpdateApp', 'POST', this.appPath(appId), { customRules });
    return checkApp(app);
  }

  async getApp(appId: string): Promise<AmplifyApp> {
    const { app } = await this.call<{ app: AmplifyApp }>('GetApp', 'GET', this.appPath(appId));
    return checkApp(app);
  }

  /** Every app of the account in this region (paginated, 100 a page). */
  async listApps(maxPages = 20): Promise<AmplifyApp[]> {
    const apps: AmplifyApp[] = [];
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const query = `?maxResults=100${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
      const answer = await this.call<{ apps?: AmplifyApp[]; nextToken?: string | null }>('ListApps', 'GET', `/apps${query}`);
      apps.push(...(answer.apps ?? []));
      if (!answer.nextToken || answer.nextToken === token) break;
      token = answer.nextToken;
    }
    return apps;
  }

  // ---- branches ----

  /** Get-or-create: a branch that already exists (a retried or earlier call) is read instead. */
  async createBranch(appId: string, branchName: string, settings: { stage?: string; displayName?: string; description?: string } = {}): Promise<AmplifyBranch> {
    try {
      const { branch } = await this.call<{ branch: AmplifyBranch }>('CreateBranch', 'POST', `${this.appPath(appId)}/branches`, {
        branchName,
        enableAutoBuild: false,
        ...settings,
      });
      return checkBranch(branch, branchName);
    } catch (err) {
      if (err instanceof PlatformError && err.kind === 'bad_request' && /already exists/i.test(err.platformMessage ?? ''))
        return this.getBranch(appId, branchName);
      throw err;
    }
  }

  /** Every branch of an app (paginated, 50 a page; an app holds at most 50 of them). */
  async listBranches(appId: string, maxPages = 20): Promise<AmplifyBranch[]> {
    const branches: AmplifyBranch[] = [];
    let token: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const query = `?maxResults=50${token ? `&nextToken=${encodeURIComponent(token)}` : ''}`;
      const answer = await this.call<{ branches?: AmplifyBranch[]; nextToken?: string | null }>(
        'ListBranches',
        'GET',
        `${this.appPath(appId)}/branches${query}`,
      );
      branches.push(...(answer.branches ?? []).filter((b) => typeof b?.branchName === 'string'));
      if (!answer.nextToken || answer.nextToken === token) break;
      token = answer.nextToken;
    }
    return branches;
  }

  async getBranch(appId: string, branchName: string): Promise<AmplifyBranch> {
    const { branch } = await this.call<{ branch: AmplifyBranch }>('GetBranch', 'GET', this.branchPath(appId, branchName));
    return checkBranch(branch, branchName);
  }

  /** Deletes a branch (its jobs and its site); one already gone counts as deleted. */
  async deleteBranch(appId: string, branchName: string): Promise<void> {
    try {
      await this.call('DeleteBranch', 'DELETE', this.branchPath(appId, branchName));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  // ---- deployments and jobs ----

  /** The branch's newest jobs first (one page: an unfinished job is always among the newest). */
  async listJobs(appId: string, branchName: string, maxResults = 50): Promise<JobSummary[]> {
    const { jobSummaries } = await this.call<{ jobSummaries?: JobSummary[] }>(
      'ListJobs',
      'GET',
      `${this.branchPath(appId, branchName)}/jobs?maxResults=${maxResults}`,
    );
    return jobSummaries ?? [];
  }

  async stopJob(appId: string, branchName: string, jobId: string): Promise<JobSummary> {
    const { jobSummary } = await this.call<{ jobSummary: JobSummary }>('StopJob', 'DELETE', `${this.jobPath(appId, branchName, jobId)}/stop`);
    return jobSummary;
  }

  /** A job for a zip deployment and the presigned URL to PUT the zip to. */
  async createDeployment(appId: string, branchName: string): Promise<CreatedDeployment> {
    const answer = await this.call<{ jobId?: string; zipUploadUrl?: string }>(
      'CreateDeployment',
      'POST',
      `${this.branchPath(appId, branchName)}/deployments`,
      {},
      { once: true },
    );
    if (!answer.jobId || !JOB_ID.test(answer.jobId) || !answer.zipUploadUrl || !/^https?:\/\//i.test(answer.zipUploadUrl)) {
      throw new PlatformError(
        'unavailable',
        'Amplify answered CreateDeployment without a usable job or upload URL. Try again in a moment.',
        JSON.stringify(answer).slice(0, 300),
      );
    }
    return { jobId: answer.jobId, zipUploadUrl: answer.zipUploadUrl };
  }

  async startDeployment(appId: string, branchName: string, jobId: string): Promise<JobSummary> {
    const { jobSummary } = await this.call<{ jobSummary: JobSummary }>('StartDeployment', 'POST', `${this.branchPath(appId, branchName)}/deployments/start`, {
      jobId,
    });
    return jobSummary;
  }

  /** DeleteJob: removes a job (one created but never started, whose upload URL was lost). */
  async deleteJob(appId: string, branchName: string, jobId: string): Promise<void> {
    await this.call('DeleteJob', 'DELETE', this.jobPath(appId, branchName, jobId));
  }

  async getJob(appId: string, branchName: string, jobId: string): Promise<AmplifyJob> {
    const { job } = await this.call<{ job?: AmplifyJob }>('GetJob', 'GET', this.jobPath(appId, branchName, jobId));
    if (!job?.summary?.status) throw new PlatformError('unavailable', 'Amplify answered GetJob without a job status. Try again in a moment.');
    return { summary: job.summary, steps: job.steps ?? [] };
  }

  /**
   * PUTs the zip to CreateDeployment's presigned S3 URL: plain HTTP, never signed (the URL carries
   * its own authentication), no Content-Type (as the Amplify CLI sends it), streamed with its
   * Content-Length (S3 refuses a PUT without one) and read afresh for each attempt.
   */
  async uploadZip(url: string, zip: StreamBody): Promise<void> {
    if (!/^https?:\/\//i.test(url))
      throw new PlatformError('unavailable', 'Amplify gave an upload URL we cannot use. Try again in a moment.', url.slice(0, 200));
    const res = await sendWithRetry({
      label: `${LABEL} (upload the site's zip)`,
      // Each attempt has time for the whole zip at a slow uplink, on top of the usual timeout.
      policy: { ...this.policy, timeoutMs: uploadTimeoutMs(zip.length, this.policy.timeoutMs) },
      send: ({ signal }) => fetchWithBody(url, { method: 'PUT', signal }, zip),
    });
    const text = await res.text().catch(() => '');
    if (res.ok) return;
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${res.status}`;
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200);
    // An expired or refused upload URL is not the user's keys' fault: a new attempt gets a new URL.
    throw new PlatformError('unavailable', `Amplify's storage refused the site's zip (${code}). Try again in a moment.`, `${code}: ${message}`);
  }

  // ---- connection check ----

  /** Non-secret facts for Settings: GetApp when an app id is configured, otherwise ListApps. */
  async verify(): Promise<{ region: string; regionName: string; appId?: string; appName?: string; apps?: string }> {
    const regionName = amplifyRegionLabel(this.region);
    if (this.credentials.appId) {
      const app = await this.getApp(this.credentials.appId).catch((err: unknown) => {
        if (isNotFound(err))
          throw new PlatformError(
            'not_found',
            `There is no Amplify app ${this.credentials.appId} in ${regionName} for these access keys. Check the app ID and the region.`,
            (err as PlatformError).platformMessage,
          );
        throw err;
      });
      return { region: this.region, regionName, appId: app.appId, appName: app.name };
    }
    const apps = await this.listApps();
    return { region: this.region, regionName, apps: String(apps.length) };
  }
}
