// Netlify's REST API for digest deploys, as it really behaves (netlify-cli, @netlify/api): bearer
// tokens whose refusal is a plain-text 401, sites with global names (a conflict is
// `422 {errors: {subdomain}}`), deploys whose file map by SHA-1 answers `required`, one PUT per
// uploaded path, deploy states polled until ready, restore, cancel and delete.
import { errorForStatus, PlatformError, type RetryPolicy, type StreamBody } from '../http';
import { JsonApiClient, type ApiRequest } from '../json-api-client';

export interface NetlifyCredentials {
  token: string;
}

export interface NetlifySite {
  id: string;
  name: string;
  url?: string;
  ssl_url?: string;
  account_slug?: string;
  account_id?: string;
}

export interface NetlifyDeploy {
  id: string;
  site_id: string;
  state: string;
  required?: string[];
  error_message?: string | null;
  title?: string | null;
  url?: string;
  ssl_url?: string;
  deploy_ssl_url?: string;
}

/** Ids enter URLs: only the shapes Netlify hands out may (UUID sites, hex deploys). */
const ID = /^[A-Za-z0-9-]{1,64}$/;
const LABEL = 'Netlify';

export class NameTaken extends PlatformError {}

/** Netlify's own options of a call. */
interface NetlifyCall {
  /** A 404 answers `null` rather than an error. */
  allowMissing?: boolean;
}

export class NetlifyClient extends JsonApiClient<NetlifyCall> {
  constructor(
    apiUrl: string,
    private readonly credentials: NetlifyCredentials,
    policy: Partial<RetryPolicy> = {},
  ) {
    super(LABEL, apiUrl, { policy });
  }

  protected headers() {
    return { authorization: `Bearer ${this.credentials.token}`, accept: 'application/json' };
  }

  protected answer<T>(res: Response, text: string, request: ApiRequest<T> & NetlifyCall): T {
    if (res.ok) return (text ? JSON.parse(text) : null) as T;
    if (request.allowMissing && res.status === 404) return null as T;
    throw netlifyError(request.operation, res.status, text);
  }

  async currentUser(): Promise<{ id: string; email?: string; full_name?: string }> {
    return this.call({ operation: 'verify token', method: 'GET', path: '/user' });
  }

  async accounts(): Promise<{ id: string; slug: string; name: string; default?: boolean }[]> {
    return this.call({ operation: 'list teams', method: 'GET', path: '/accounts' });
  }

  async getSite(siteId: string): Promise<NetlifySite | null> {
    return this.call({ operation: 'look up site', method: 'GET', path: `/sites/${checkId(siteId)}`, allowMissing: true });
  }

  /** The site of exactly this name among those the token can see, if any. */
  async findSiteByName(name: string): Promise<NetlifySite | undefined> {
    const sites = await this.call<NetlifySite[]>({ operation: 'find site', method: 'GET', path: `/sites?name=${encodeURIComponent(name)}&filter=all` });
    return sites.find((s) => s.name === name);
  }

  /** Creates a site in a team (or the token's default team); a taken name throws NameTaken. */
  async createSite(name: string, accountSlug?: string): Promise<NetlifySite> {
    const path = accountSlug ? `/${encodeURIComponent(accountSlug)}/sites` : '/sites';
    return this.call({ operation: 'create site', method: 'POST', path, body: { json: { name } } });
  }

  /** Every site of a team (or every site the token sees), page by page. */
  async listSites(accountSlug?: string): Promise<NetlifySite[]> {
    const all: NetlifySite[] = [];
    for (let page = 1; ; page++) {
      const path = accountSlug ? `/${encodeURIComponent(accountSlug)}/sites` : '/sites';
      const batch = await this.call<NetlifySite[]>({ operation: 'list sites', method: 'GET', path: `${path}?filter=all&page=${page}&per_page=100` });
      all.push(...batch);
      if (batch.length < 100) return all;
    }
  }

  /** Deletes a site; one that is already gone counts as deleted. */
  async deleteSite(siteId: string): Promise<void> {
    await this.call({ operation: 'delete site', method: 'DELETE', path: `/sites/${checkId(siteId)}`, allowMissing: true });
  }

  /**
   * Creates a deploy titled `title` (a query parameter, as netlify-cli's createSiteDeploy sends it).
   * Not idempotent: after an attempt whose answer was lost, the site's deploys are read and a live
   * one of that title is taken as ours rather than making a second.
   */
  async createDeploy(siteId: string, body: { files: Record<string, string>; async: boolean; draft: boolean }, title: string): Promise<NetlifyDeploy> {
    return this.call({
      operation: 'create deploy',
      method: 'POST',
      path: `/sites/${checkId(siteId)}/deploys?title=${encodeURIComponent(title)}`,
      body: { json: body },
      recover: () => this.findDeployByTitle(siteId, title),
    });
  }

  /** The newest deploy of the site with exactly this title that has not failed, if any. */
  async findDeployByTitle(siteId: string, title: string): Promise<NetlifyDeploy | undefined> {
    // Newest first: a deploy made moments ago is on the first page.
    const deploys = await this.call<NetlifyDeploy[]>({
      operation: 'list deploys',
      method: 'GET',
      path: `/sites/${checkId(siteId)}/deploys?page=1&per_page=100`,
    });
    return deploys.find((d) => d.title === title && d.state !== 'error');
  }

  async getDeploy(deployId: string): Promise<NetlifyDeploy | null> {
    return this.call({ operation: 'read deploy', method: 'GET', path: `/deploys/${checkId(deployId)}`, allowMissing: true });
  }

  /** One file of the deploy, under its path as in the map (encoded like netlify/cli: encodeURI), streamed. */
  async uploadFile(deployId: string, path: string, file: StreamBody): Promise<void> {
    await this.call({
      operation: 'upload file',
      method: 'PUT',
      path: `/deploys/${checkId(deployId)}/files/${encodeURI(path)}`,
      body: { stream: file, contentType: 'application/octet-stream' },
    });
  }

  async restoreDeploy(siteId: string, deployId: string): Promise<NetlifyDeploy> {
    return this.call({ operation: 'restore deploy', method: 'POST', path: `/sites/${checkId(siteId)}/deploys/${checkId(deployId)}/restore` });
  }

  async cancelDeploy(deployId: string): Promise<void> {
    await this.call({ operation: 'cancel deploy', method: 'POST', path: `/deploys/${checkId(deployId)}/cancel` });
  }
}

function checkId(id: string): string {
  if (!ID.test(id)) throw new PlatformError('bad_request', `"${id.slice(0, 80)}" is not a Netlify id.`);
  return id;
}

/** Netlify's answer as the product's error: `{code, message}` JSON, the name conflict, or plain text. */
export function netlifyError(operation: string, status: number, raw: string): PlatformError {
  let said = raw.slice(0, 300);
  let subdomain: string[] | undefined;
  try {
    const body = JSON.parse(raw) as { message?: string; errors?: { subdomain?: string[] } };
    subdomain = body.errors?.subdomain;
    said = body.message ?? (subdomain ? `subdomain ${subdomain.join(', ')}` : said);
  } catch {
    // a plain-text answer (401/403) is kept as it is
  }
  if (status === 401 || status === 403)
    return new PlatformError(
      'auth',
      'Netlify refused the access token. Create a new personal access token in Netlify (User settings → Applications) and reconnect in Settings.',
      said || `HTTP ${status}`,
    );
  if (status === 422 && subdomain?.some((s) => /unique/i.test(s))) return new NameTaken('conflict', 'That Netlify site name is already taken.', said);
  return errorForStatus(`${LABEL} (${operation})`, status, said);
}
