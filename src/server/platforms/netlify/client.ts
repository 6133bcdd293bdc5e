// Netlify's REST API for digest deploys, as it really behaves (netlify-cli, @netlify/api): bearer
// tokens whose refusal is a plain-text 401, sites with global names (a conflict is
// `422 {errors: {subdomain}}`), deploys whose file map by SHA-1 answers `required`, one PUT per
// uploaded path, deploy states polled until ready, restore, cancel and delete.
import { errorForStatus, fetchWithBody, PlatformError, sendWithRetry, timeoutForBytes, type RetryPolicy, type StreamBody } from '../http';

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

export class NetlifyClient {
  constructor(
    private readonly apiUrl: string,
    private readonly credentials: NetlifyCredentials,
    private readonly policy: Partial<RetryPolicy> = {},
  ) {}

  /** One API call; `null` for a 404 when `allowMissing`. */
  private async call<T>(
    operation: string,
    method: string,
    path: string,
    body?: { json: unknown } | { file: StreamBody },
    opts: { allowMissing?: boolean; recover?: () => Promise<Response | undefined> } = {},
  ): Promise<T> {
    const json = body && 'json' in body ? Buffer.from(JSON.stringify(body.json)) : undefined;
    const file = body && 'file' in body ? body.file : undefined;
    const bytes = json?.length ?? file?.length;
    const res = await sendWithRetry({
      label: `${LABEL} (${operation})`,
      // A large file or file map gets the time its bytes need, not the fixed timeout of small calls.
      policy: { ...(bytes !== undefined ? { timeoutMs: timeoutForBytes(bytes) } : {}), ...this.policy },
      recover: opts.recover,
      send: ({ signal }) => {
        const url = `${this.apiUrl}${path}`;
        const headers = {
          authorization: `Bearer ${this.credentials.token}`,
          accept: 'application/json',
          ...(body ? { 'content-type': json ? 'application/json' : 'application/octet-stream' } : {}),
        };
        // A file streams from the store, opened again for each attempt.
        return file
          ? fetchWithBody(url, { method, signal, headers }, file)
          : fetch(url, { method, signal, headers, body: json ? new Uint8Array(json) : undefined });
      },
    });
    const text = await res.text();
    if (res.ok) return (text ? JSON.parse(text) : null) as T;
    if (opts.allowMissing && res.status === 404) return null as T;
    throw netlifyError(operation, res.status, text);
  }

  async currentUser(): Promise<{ id: string; email?: string; full_name?: string }> {
    return this.call('verify token', 'GET', '/user');
  }

  async accounts(): Promise<{ id: string; slug: string; name: string; default?: boolean }[]> {
    return this.call('list teams', 'GET', '/accounts');
  }

  async getSite(siteId: string): Promise<NetlifySite | null> {
    return this.call('look up site', 'GET', `/sites/${checkId(siteId)}`, undefined, { allowMissing: true });
  }

  /** The site of exactly this name among those the token can see, if any. */
  async findSiteByName(name: string): Promise<NetlifySite | undefined> {
    const sites = await this.call<NetlifySite[]>('find site', 'GET', `/sites?name=${encodeURIComponent(name)}&filter=all`);
    return sites.find((s) => s.name === name);
  }

  /** Creates a site in a team (or the token's default team); a taken name throws NameTaken. */
  async createSite(name: string, accountSlug?: string): Promise<NetlifySite> {
    const path = accountSlug ? `/${encodeURIComponent(accountSlug)}/sites` : '/sites';
    return this.call('create site', 'POST', path, { json: { name } });
  }

  /** Every site of a team (or every site the token sees), page by page. */
  async listSites(accountSlug?: string): Promise<NetlifySite[]> {
    const all: NetlifySite[] = [];
    for (let page = 1; ; page++) {
      const path = accountSlug ? `/${encodeURIComponent(accountSlug)}/sites` : '/sites';
      const batch = await this.call<NetlifySite[]>('list sites', 'GET', `${path}?filter=all&page=${page}&per_page=100`);
      all.push(...batch);
      if (batch.length < 100) return all;
    }
  }

  /** Deletes a site; one that is already gone counts as deleted. */
  async deleteSite(siteId: string): Promise<void> {
    await this.call('delete site', 'DELETE', `/sites/${checkId(siteId)}`, undefined, { allowMissing: true });
  }

  /**
   * Creates a deploy titled `title` (a query parameter, as netlify-cli's createSiteDeploy sends it).
   * Not idempotent: after an attempt whose answer was lost, the site's deploys are read and a live
   * one of that title is taken as ours rather than making a second.
   */
  async createDeploy(siteId: string, body: { files: Record<string, string>; async: boolean; draft: boolean }, title: string): Promise<NetlifyDeploy> {
    const recover = async () => {
      const found = await this.findDeployByTitle(siteId, title);
      return found ? Response.json(found) : undefined;
    };
    return this.call('create deploy', 'POST', `/sites/${checkId(siteId)}/deploys?title=${encodeURIComponent(title)}`, { json: body }, { recover });
  }

  /** The newest deploy of the site with exactly this title that has not failed, if any. */
  async findDeployByTitle(siteId: string, title: string): Promise<NetlifyDeploy | undefined> {
    // Newest first: a deploy made moments ago is on the first page.
    const deploys = await this.call<NetlifyDeploy[]>('list deploys', 'GET', `/sites/${checkId(siteId)}/deploys?page=1&per_page=100`);
    return deploys.find((d) => d.title === title && d.state !== 'error');
  }

  async getDeploy(deployId: string): Promise<NetlifyDeploy | null> {
    return this.call('read deploy', 'GET', `/deploys/${checkId(deployId)}`, undefined, { allowMissing: true });
  }

  /** One file of the deploy, under its path as in the map (encoded like netlify/cli: encodeURI), streamed. */
  async uploadFile(deployId: string, path: string, file: StreamBody): Promise<void> {
    await this.call('upload file', 'PUT', `/deploys/${checkId(deployId)}/files/${encodeURI(path)}`, { file });
  }

  async restoreDeploy(siteId: string, deployId: string): Promise<NetlifyDeploy> {
    return this.call('restore deploy', 'POST', `/sites/${checkId(siteId)}/deploys/${checkId(deployId)}/restore`);
  }

  async cancelDeploy(deployId: string): Promise<void> {
    await this.call('cancel deploy', 'POST', `/deploys/${checkId(deployId)}/cancel`);
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
