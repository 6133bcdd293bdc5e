// GitHub's REST API (version 2022-11-28) as the Pages adapter uses it: the token's user, repositories,
// the Git Data API (blobs, trees, commits, refs) and the Pages site with its builds. Routes and status
// codes are those of GitHub's OpenAPI description (github/rest-api-description, as packaged in
// @octokit/openapi); the permissions a fine-grained token needs for each are from
// https://docs.github.com/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens.
import { PlatformError, type StreamBody } from '../http';
import { JsonApiClient, type ApiRequest, type JsonApiOptions } from '../json-api-client';
import { githubError, rateLimitAsRetryable } from './errors';

export { NameTaken } from './errors';

export interface GithubCredentials {
  /** A fine-grained personal access token (a classic one with the `repo` scope works too). */
  token: string;
}

export interface GithubRepo {
  name: string;
  full_name: string;
  owner: { login: string };
  description: string | null;
  default_branch?: string;
}

export interface GithubPages {
  html_url?: string;
  status?: string | null;
  cname?: string | null;
  build_type?: string | null;
  source?: { branch: string; path: string };
}

export interface GithubBuild {
  status: string;
  commit: string;
  error?: { message: string | null };
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: string;
  sha: string;
}

const LABEL = 'GitHub';
const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPO = /^(?!\.{1,2}$)[A-Za-z0-9._-]{1,100}$/;
const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
/** The token's permission each call needs, named as GitHub's token settings name them (for refusals). */
const CONTENTS = 'Contents (write)';
const PAGES = 'Pages (write) and Administration (write)';
const PAGES_READ = 'Pages (read)';

/** GitHub's own options of a call. */
interface GithubCall {
  /** Statuses answered as `null` rather than thrown (404 for "not there"). */
  nullOn?: number[];
  /** The permission this call needs, named in a refusal when GitHub does not say it. */
  permission?: string;
}

export class GithubClient extends JsonApiClient<GithubCall> {
  constructor(
    apiUrl: string,
    private readonly credentials: GithubCredentials,
    options: JsonApiOptions = {},
  ) {
    super(LABEL, apiUrl, options);
  }

  /** https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#headers */
  protected headers() {
    return {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      authorization: `Bearer ${this.credentials.token}`,
      'user-agent': 'Huskit-Sites',
    };
  }

  protected attempted(res: Response) {
    return rateLimitAsRetryable(res);
  }

  protected answer<T>(res: Response, text: string, request: ApiRequest<T> & GithubCall): T {
    if (res.ok) return (text ? JSON.parse(text) : null) as T;
    if (request.nullOn?.includes(res.status)) return null as T;
    throw githubError(request.operation, res.status, res.headers, text, request.permission);
  }

  async currentUser(): Promise<{ login: string; name?: string | null }> {
    return this.call({ operation: 'verify the token', method: 'GET', path: '/user' });
  }

  async getRepo(fullName: string): Promise<GithubRepo | null> {
    return this.call({ operation: 'read the repository', method: 'GET', path: `/repos/${repoPath(fullName)}`, nullOn: [404] });
  }

  /**
   * A public repository of the token's user; a taken name throws NameTaken. Not idempotent: before a
   * resend, a repository of that name with exactly our description is taken as made by the lost attempt.
   */
  async createRepo(owner: string, name: string, description: string): Promise<GithubRepo> {
    const recover = async () => {
      const found = await this.getRepo(`${owner}/${name}`);
      return found?.description === description ? found : undefined;
    };
    const settings = { name, description, private: false, auto_init: true, has_issues: false, has_projects: false, has_wiki: false, has_discussions: false };
    return this.call({
      operation: 'create the repository',
      method: 'POST',
      path: '/user/repos',
      body: { json: settings },
      permission: 'Administration (write)',
      recover,
    });
  }

  /** The commit a branch points at; null when there is no such branch (or the repository is empty: 409). */
  async branchHead(fullName: string, branch: string): Promise<string | null> {
    const ref = await this.call<{ object: { sha: string } } | null>({
      operation: 'read the branch',
      method: 'GET',
      path: `/repos/${repoPath(fullName)}/git/ref/heads/${branchPath(branch)}`,
      nullOn: [404, 409],
      permission: CONTENTS,
    });
    return ref?.object.sha ?? null;
  }

  async commitTree(fullName: string, commit: string): Promise<string> {
    const c = await this.call<{ tree: { sha: string } }>({
      operation: 'read the commit',
      method: 'GET',
      path: `/repos/${repoPath(fullName)}/git/commits/${sha(commit)}`,
      permission: CONTENTS,
    });
    return c.tree.sha;
  }

  /** Every entry under a tree; `truncated` past 100,000 entries or 7 MB. */
  async tree(fullName: string, tree: string): Promise<{ tree: TreeEntry[]; truncated: boolean }> {
    return this.call({
      operation: 'read the files of the branch',
      method: 'GET',
      path: `/repos/${repoPath(fullName)}/git/trees/${sha(tree)}?recursive=1`,
      permission: CONTENTS,
    });
  }

  /** Stores one file's bytes (content-addressed, so sending it again is harmless): its JSON body streamed. */
  async createBlob(fullName: string, body: StreamBody): Promise<string> {
    const blob = await this.call<{ sha: string }>({
      operation: 'upload a file',
      method: 'POST',
      path: `/repos/${repoPath(fullName)}/git/blobs`,
      body: { stream: body, contentType: 'application/json' },
      permission: CONTENTS,
    });
    return blob.sha;
  }

  async createTree(fullName: string, tree: TreeEntry[]): Promise<string> {
    const made = await this.call<{ sha: string }>({
      operation: 'create the tree',
      method: 'POST',
      path: `/repos/${repoPath(fullName)}/git/trees`,
      body: { json: { tree } },
      permission: CONTENTS,
    });
    return made.sha;
  }

  async createCommit(fullName: string, commit: { message: string; tree: string; parents: string[] }): Promise<string> {
    const made = await this.call<{ sha: string }>({
      operation: 'create the commit',
      method: 'POST',
      path: `/repos/${repoPath(fullName)}/git/commits`,
      body: { json: commit },
      permission: CONTENTS,
    });
    return made.sha;
  }

  /** Creates `branch` at `commit`; false when it exists already (422 "Reference already exists"). */
  async createBranch(fullName: string, branch: string, commit: string): Promise<boolean> {
    const made = await this.call<unknown>({
      operation: 'create the branch',
      method: 'POST',
      path: `/repos/${repoPath(fullName)}/git/refs`,
      body: { json: { ref: `refs/heads/${branch}`, sha: commit } },
      nullOn: [422],
      permission: CONTENTS,
    });
    return made !== null;
  }

  /** Moves `branch` to `commit`, a fast-forward only (a refused move is a 422). */
  async moveBranch(fullName: string, branch: string, commit: string): Promise<void> {
    await this.call({
      operation: 'move the branch',
      method: 'PATCH',
      path: `/repos/${repoPath(fullName)}/git/refs/heads/${branchPath(branch)}`,
      body: { json: { sha: commit, force: false } },
      permission: CONTENTS,
    });
  }

  /** Turns Pages on; null when it is on already (409). */
  async enablePages(fullName: string, branch: string): Promise<GithubPages | null> {
    const json = { build_type: 'legacy', source: { branch, path: '/' } };
    return this.call({
      operation: 'turn on Pages',
      method: 'POST',
      path: `/repos/${repoPath(fullName)}/pages`,
      body: { json },
      nullOn: [409],
      permission: PAGES,
    });
  }

  async getPages(fullName: string): Promise<GithubPages | null> {
    return this.call({ operation: 'read the Pages site', method: 'GET', path: `/repos/${repoPath(fullName)}/pages`, nullOn: [404], permission: PAGES_READ });
  }

  async setPagesSource(fullName: string, branch: string): Promise<void> {
    const json = { build_type: 'legacy', source: { branch, path: '/' } };
    await this.call({ operation: 'change the Pages source', method: 'PUT', path: `/repos/${repoPath(fullName)}/pages`, body: { json }, permission: PAGES });
  }

  /** Turns Pages off; a site that is already off (404) counts as done. */
  async disablePages(fullName: string): Promise<void> {
    await this.call({ operation: 'turn off Pages', method: 'DELETE', path: `/repos/${repoPath(fullName)}/pages`, nullOn: [404], permission: PAGES });
  }

  /** The newest Pages build; null before the first one. */
  async latestBuild(fullName: string): Promise<GithubBuild | null> {
    return this.call({
      operation: 'read the Pages build',
      method: 'GET',
      path: `/repos/${repoPath(fullName)}/pages/builds/latest`,
      nullOn: [404],
      permission: PAGES_READ,
    });
  }
}

/** `owner/repo`, checked, for a URL. */
export function repoPath(fullName: string): string {
  const [owner = '', repo = '', ...rest] = fullName.split('/');
  if (!OWNER.test(owner) || !REPO.test(repo) || rest.length)
    throw new PlatformError('bad_request', `"${fullName.slice(0, 100)}" is not a GitHub repository name.`);
  return `${owner}/${repo}`;
}

const branchPath = (branch: string) => branch.split('/').map(encodeURIComponent).join('/');

function sha(value: string): string {
  if (!SHA.test(value)) throw new PlatformError('bad_request', `"${value.slice(0, 80)}" is not a Git object id.`);
  return value;
}
