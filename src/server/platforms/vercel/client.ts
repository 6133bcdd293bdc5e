// Vercel's REST API for file deployments, as it really behaves (Vercel's REST API docs, @vercel/client): bearer
// tokens scoped by ?teamId=, projects, SHA-1 addressed uploads, POST /v13/deployments answering
// 400 missing_files until every file is there, readyState + aliasAssigned, rollback and cancel.
import { errorForStatus, PlatformError, type RetryPolicy, type StreamBody } from '../http';
import { JsonApiClient, parseJsonOrUndefined, type ApiRequest } from '../json-api-client';

export interface VercelCredentials {
  token: string;
  teamId?: string;
}

export interface VercelProject {
  id: string;
  name: string;
  accountId: string;
  /** The last rollback or promote (with ?rollbackInfo=true); a `rollback` one means the project is rolled back. */
  lastAliasRequest?: { jobStatus: string; toDeploymentId: string; type?: 'rollback' | 'promote' } | null;
}

export interface VercelDeployment {
  id: string;
  /** The project's name. */
  name?: string;
  url: string;
  projectId: string;
  ownerId: string;
  readyState: string;
  /** For READY production deployments: PROMOTED (serving the production domains) or STAGED. */
  readySubstate?: string;
  aliasAssigned?: number | boolean | null;
  alias?: string[];
  aliasError?: { code: string; message: string } | null;
  errorCode?: string;
  errorMessage?: string;
}

/** One of a project's domains (GET /v9/projects/{id}/domains). */
export interface VercelProjectDomain {
  name: string;
  redirect?: string | null;
  gitBranch?: string | null;
  customEnvironmentId?: string | null;
  createdAt?: number;
}

export interface DeploymentFile {
  file: string;
  sha: string;
  size: number;
}

interface ErrorBody {
  error?: { code?: string; message?: string; invalidToken?: boolean; missingToken?: boolean; missing?: string[]; limit?: { reset?: number } };
}

const LABEL = 'Vercel';
/** What a Vercel token looks like; anything else never reaches a header. */
const TOKEN = /^[A-Za-z0-9_-]{8,200}$/;
const TEAM_ID = /^team_[A-Za-z0-9]{1,64}$/;

/** Vercel's own options of a call. */
interface VercelCall {
  /** A 404 answers `null` rather than an error. */
  allowMissing?: boolean;
  /** An error answer that is an answer after all (a 409 "exists", 400 missing_files): the call's value, else undefined. */
  onError?: (status: number, body: ErrorBody) => unknown;
}

export class VercelClient extends JsonApiClient<VercelCall> {
  constructor(
    apiUrl: string,
    private readonly credentials: VercelCredentials,
    policy: Partial<RetryPolicy> = {},
  ) {
    super(LABEL, apiUrl, { policy });
    if (!TOKEN.test(credentials.token))
      throw new PlatformError('auth', 'That does not look like a Vercel token. Create one at vercel.com/account/tokens and paste it in Settings.');
    if (credentials.teamId !== undefined && !TEAM_ID.test(credentials.teamId))
      throw new PlatformError('bad_request', 'The Vercel team ID must look like team_… (Team Settings → General → Team ID).');
  }

  /** Every call carries the team scope when there is one. */
  protected url(path: string, query: Record<string, string> = {}): string {
    const params = new URLSearchParams(query);
    if (this.credentials.teamId) params.set('teamId', this.credentials.teamId);
    const qs = params.toString();
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  protected headers() {
    return { authorization: `Bearer ${this.credentials.token}`, accept: 'application/json' };
  }

  /** A 429 whose wait is too long to retry: Vercel's own words say which limit it was. */
  protected retriesFailed(err: unknown, request: ApiRequest<unknown>): unknown {
    if (err instanceof PlatformError && err.kind === 'quota' && err.platformMessage?.includes('api-deployments-free-per-day'))
      return vercelError(request.operation, 429, parseErrorBody(err.platformMessage), err.platformMessage);
    return err;
  }

  protected answer<T>(res: Response, text: string, request: ApiRequest<T> & VercelCall): T {
    const body = text ? parseJsonOrUndefined<unknown>(text) : {};
    if (res.ok && !(body as ErrorBody | undefined)?.error) return body as T;
    if (request.allowMissing && res.status === 404) return null as T;
    const handled = request.onError?.(res.status, (body ?? {}) as ErrorBody);
    if (handled !== undefined) return handled as T;
    throw vercelError(request.operation, res.status, (body ?? {}) as ErrorBody, text, res.headers.get('retry-after'));
  }

  async user(): Promise<{ id: string; username: string; email: string; name?: string | null }> {
    return (
      await this.call<{ user: { id: string; username: string; email: string; name?: string | null } }>({
        operation: 'verify token',
        method: 'GET',
        path: '/v2/user',
      })
    ).user;
  }

  async team(teamId: string): Promise<{ id: string; slug: string; name: string }> {
    return this.call({ operation: 'read team', method: 'GET', path: `/teams/${encodeURIComponent(teamId)}` });
  }

  async getProject(idOrName: string, opts: { rollbackInfo?: boolean } = {}): Promise<VercelProject | null> {
    return this.call({
      operation: 'look up project',
      method: 'GET',
      path: `/v9/projects/${encodeURIComponent(idOrName)}`,
      allowMissing: true,
      ...(opts.rollbackInfo ? { query: { rollbackInfo: 'true' } } : {}),
    });
  }

  /** Creates a project; `null` when one of that name already exists (409). */
  async createProject(body: Record<string, unknown>): Promise<VercelProject | null> {
    return this.call<VercelProject | null>({
      operation: 'create project',
      method: 'POST',
      path: '/v11/projects',
      body: { json: body },
      onError: (status) => (status === 409 ? null : undefined),
    });
  }

  /** Projects whose name contains `search`, every page. */
  async listProjects(search: string): Promise<VercelProject[]> {
    const out: VercelProject[] = [];
    let until: string | undefined;
    for (let page = 0; page < 100; page++) {
      const res = await this.call<{ projects: VercelProject[]; pagination?: { next?: number | null } }>({
        operation: 'list projects',
        method: 'GET',
        path: '/v9/projects',
        query: { search, limit: '100', ...(until ? { until } : {}) },
      });
      out.push(...res.projects);
      if (!res.pagination?.next) break;
      until = String(res.pagination.next);
    }
    return out;
  }

  /**
   * The project's production domains that serve it (no redirects, no branch or custom-environment
   * domains): https://vercel.com/docs/rest-api/projects/retrieve-project-domains-by-project-by-id-or-name.
   */
  async productionDomains(projectId: string): Promise<VercelProjectDomain[]> {
    const res = await this.call<{ domains: VercelProjectDomain[] }>({
      operation: 'read project domains',
      method: 'GET',
      path: `/v9/projects/${encodeURIComponent(projectId)}/domains`,
      query: { production: 'true', redirects: 'false', limit: '100' },
    });
    return res.domains.filter((d) => !d.redirect && !d.gitBranch && !d.customEnvironmentId);
  }

  /** Deletes a project (and its deployments); one already gone counts as deleted. */
  async deleteProject(id: string): Promise<void> {
    await this.call({ operation: 'delete project', method: 'DELETE', path: `/v9/projects/${encodeURIComponent(id)}`, allowMissing: true });
  }

  /**
   * Creates a deployment, or answers the SHA-1s Vercel does not have yet (400 missing_files). Not
   * idempotent: before a resend (no answer, a timeout, a 5xx) `recover` looks up what the lost attempt
   * may have made, so that a retry never makes a second deployment.
   */
  async createDeployment(
    body: Record<string, unknown>,
    recover?: () => Promise<VercelDeployment | undefined>,
  ): Promise<{ deployment: VercelDeployment } | { missing: string[] }> {
    const result = await this.call<VercelDeployment | { missing: string[] }>({
      operation: 'create deployment',
      method: 'POST',
      path: '/v13/deployments',
      query: { skipAutoDetectionConfirmation: '1' },
      body: { json: body },
      onError: (status, err) => (status === 400 && err.error?.code === 'missing_files' ? { missing: err.error.missing ?? [] } : undefined),
      ...(recover ? { recover } : {}),
    });
    return 'missing' in result ? result : { deployment: result };
  }

  /**
   * A project's deployments whose metadata has every given key and value, newest first: GET
   * /v6/deployments?projectId=…&meta-{key}={value}, as `vercel list --meta` asks (vercel/vercel
   * packages/cli/src/commands/list/index.ts; https://vercel.com/docs/rest-api/deployments/list-deployments).
   * The v6 list names the id `uid` (packages/cli/src/util/deploy/get-deployments-by-project-id.ts).
   */
  async findDeployments(projectId: string, meta: Record<string, string>): Promise<{ id: string; readyState: string }[]> {
    const query: Record<string, string> = { projectId, limit: '20' };
    for (const [key, value] of Object.entries(meta)) query[`meta-${key}`] = value;
    const res = await this.call<{ deployments: { uid: string; readyState?: string; state?: string }[] }>({
      operation: 'list deployments',
      method: 'GET',
      path: '/v6/deployments',
      query,
    });
    return res.deployments.map((d) => ({ id: d.uid, readyState: d.readyState ?? d.state ?? '' }));
  }

  /**
   * One file, streamed with its Content-Length (Vercel reads the size from it). The per-attempt timeout
   * grows with the file (timeoutForBytes), so a large file on a slow link is not cut off.
   */
  async uploadFile(sha1: string, file: StreamBody): Promise<void> {
    await this.call({
      operation: 'upload file',
      method: 'POST',
      path: '/v2/files',
      body: { stream: file, contentType: 'application/octet-stream' },
      headers: { 'x-vercel-digest': sha1 },
    });
  }

  async getDeployment(id: string): Promise<VercelDeployment | null> {
    return this.call({ operation: 'read deployment', method: 'GET', path: `/v13/deployments/${encodeURIComponent(id)}`, allowMissing: true });
  }

  async cancelDeployment(id: string): Promise<void> {
    await this.call({ operation: 'cancel deployment', method: 'PATCH', path: `/v12/deployments/${encodeURIComponent(id)}/cancel` });
  }

  /**
   * Points the project's production domains at a deployment and ends a rollback (`vercel promote`:
   * vercel/vercel packages/cli/src/commands/promote/request-promote.ts; 202 when it waits for a rolling release).
   */
  async promote(projectId: string, deploymentId: string): Promise<void> {
    await this.call({
      operation: 'promote',
      method: 'POST',
      path: `/v10/projects/${encodeURIComponent(projectId)}/promote/${encodeURIComponent(deploymentId)}`,
      body: { json: {} },
    });
  }

  /** Points the production alias back at an earlier production deployment. */
  async rollback(projectId: string, deploymentId: string): Promise<void> {
    await this.call({
      operation: 'roll back',
      method: 'POST',
      path: `/v9/projects/${encodeURIComponent(projectId)}/rollback/${encodeURIComponent(deploymentId)}`,
      body: { json: {} },
    });
  }
}

export function vercelError(operation: string, status: number, body: ErrorBody, raw: string, retryAfter: string | null = null): PlatformError {
  const label = `${LABEL} (${operation})`;
  const err = body.error;
  const said = err ? `${err.message ?? ''} [${err.code ?? status}]` : raw.slice(0, 300);
  if (status === 403 && (err?.invalidToken || err?.missingToken))
    return new PlatformError(
      'auth',
      'Vercel refused the token: it is invalid, expired or revoked. Create a new token at vercel.com/account/tokens and reconnect in Settings.',
      said,
    );
  if (status === 403 && err?.code === 'forbidden')
    return new PlatformError(
      'auth',
      'The Vercel token has no access to this team. Use a token with access to the team, or check the team ID in Settings.',
      said,
    );
  if (status === 429 && err?.code === 'api-deployments-free-per-day') {
    const reset = err.limit?.reset ? ` (until ${new Date(err.limit.reset).toISOString().slice(0, 16).replace('T', ' ')} UTC)` : '';
    return new PlatformError('quota', `The Vercel account has reached its daily deployment limit${reset}. Try again later or upgrade the Vercel plan.`, said);
  }
  if (err?.code === 'invalid_project_name') return new PlatformError('bad_request', `Vercel refused the project name: ${err.message ?? ''}`, said);
  const seconds = retryAfter && /^\d+$/.test(retryAfter) ? Number(retryAfter) : undefined;
  return errorForStatus(label, status, said, seconds);
}

function parseErrorBody(text: string): ErrorBody {
  return parseJsonOrUndefined<ErrorBody>(text) ?? {};
}
