// GitHub's REST API (version 2022-11-28) as the Pages adapter uses it: the token's user, repositories,
// the Git Data API (blobs, trees, commits, refs) and the Pages site with its builds. Routes and status
// codes are those of GitHub's OpenAPI description (github/rest-api-description, as packaged in
// @octokit/openapi); the permissions a fine-grained token needs for each are from
// https://docs.github.com/rest/authentication/permissions-required-for-fine-grained-personal-access-tokens.
import { fetchWithBody, PlatformError, sendWithRetry, timeoutForBytes, type RetryPolicy, type StreamBody } from '../http';
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

interface CallOptions {
  /** Statuses answered as `null` rather than thrown (404 for "not there"). */
  nullOn?: number[];
  /** The permission this call needs, named in a refusal when GitHub does not say it. */
  permission?: string;
  recover?: () => Promise<Response | undefined>;
}

export class GithubClient {
  constructor(
    private readonly apiUrl: string,
    private readonly credentials: GithubCredentials,
    private readonly options: { policy?: Partial<RetryPolicy>; sleep?: (ms: number) => Promise<void> } = {},
  ) {}

  private async call<T>(
    operation: string,
    method: string,
    path: string,
    body?: { json: unknown } | { stream: StreamBody },
    opts: CallOptions = {},
  ): Promise<T> {
    const json = body && 'json' in body ? Buffer.from(JSON.stringify(body.json)) : undefined;
    const stream = body && 'stream' in body ? body.stream : undefined;
    const bytes = json?.length ?? stream?.length;
    const res = await sendWithRetry({
      label: `${LABEL} (${operation})`,
      policy: { ...(bytes !== undefined ? { timeoutMs: timeoutForBytes(bytes) } : {}), ...this.options.policy },
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      recover: opts.recover,
      send: async ({ signal }) => {
        const url = `${this.apiUrl}${path}`;
        // https://docs.github.com/rest/using-the-rest-api/getting-started-with-the-rest-api#headers
        const headers = {
          accept: 'application/vnd.github+json',
          'x-github-api-version': '2022-11-28',
          authorization: `Bearer ${this.credentials.token}`,
          'user-agent': 'Huskit-Sites',
          ...(body ? { 'content-type': 'application/json' } : {}),
        };
        const res = stream
          ? await fetchWithBody(url, { method, signal, headers }, stream)
          : await fetch(url, { method, signal, headers, body: json ? new Uint8Array(json) : undefined });
        return rateLimitAsRetryable(res);
      },
    });
    const text = await res.text();
    if (res.ok) return (text ? JSON.parse(text) : null) as T;
    if (opts.nullOn?.includes(res.status)) return null as T;
    throw githubError(operation, res.status, res.headers, text, opts.permission);
  }

  async currentUser(): Promise<{ login: string; name?: string | null }> {
    return this.call('verify the token', 'GET', '/user');
  }

  async getRepo(fullName: string): Promise<GithubRepo | null> {
    return this.call('read the repository', 'GET', `/repos/${repoPath(fullName)}`, undefined, { nullOn: [404] });
  }

  /**
   * A public repository of the token's user; a taken name throws NameTaken. Not idempotent: before a
   * resend, a repository of that name with exactly our description is taken as made by the lost attempt.
   */
  async createRepo(owner: string, name: string, description: string): Promise<GithubRepo> {
    const recover = async () => {
      const found = await this.getRepo(`${owner}/${name}`);
      return found?.description === description ? Response.json(found) : undefined;
    };
    const settings = { name, description, private: false, auto_init: true, has_issues: false, has_projects: false, has_wiki: false, has_discussions: false };
    return this.call('create the repository', 'POST', '/user/repos', { json: settings }, { permission: 'Administration (write)', recover });
  }

  /** The commit a branch points at; null when there is no such branch (or the repository is empty: 409). */
  async branchHead(fullName: string, branch: string): Promise<string | null> {
    const ref = await this.call<{ object: { sha: string } } | null>(
      'read the branch',
      'GET',
      `/repos/${repoPath(fullName)}/git/ref/heads/${branchPath(branch)}`,
      undefined,
      {
        nullOn: [404, 409],
        permission: CONTENTS,
      },
    );
    return ref?.object.sha ?? null;
  }

  async commitTree(fullName: string, commit: string): Promise<string> {
    const c = await this.call<{ tree: { sha: string } }>('read the commit', 'GET', `/repos/${repoPath(fullName)}/git/commits/${sha(commit)}`, undefined, {
      permission: CONTENTS,
    });
    return c.tree.sha;
  }

  /** Every entry under a tree; `truncated` past 100,000 entries or 7 MB. */
  async tree(fullName: string, tree: string): Promise<{ tree: TreeEntry[]; truncated: boolean }> {
    return this.call('read the files of the branch', 'GET', `/repos/${repoPath(fullName)}/git/trees/${sha(tree)}?recursive=1`, undefined, {
      permission: CONTENTS,
    });
  }

  /** Stores one file's bytes (content-addressed, so sending it again is harmless). */
  async createBlob(fullName: string, body: StreamBody): Promise<string> {
    const blob = await this.call<{ sha: string }>(
      'upload a file',
      'POST',
      `/repos/${repoPath(fullName)}/git/blobs`,
      { stream: body },
      { permission: CONTENTS },
    );
    return blob.sha;
  }

  async createTree(fullName: string, tree: TreeEntry[]): Promise<string> {
    const made = await this.call<{ sha: string }>(
      'create the tree',
      'POST',
      `/repos/${repoPath(fullName)}/git/trees`,
      { json: { tree } },
      { permission: CONTENTS },
    );
    return made.sha;
  }

  async createCommit(fullName: string, commit: { message: string; tree: string; parents: string[] }): Promise<string> {
    const made = await this.call<{ sha: string }>(
      'create the commit',
      'POST',
      `/repos/${repoPath(fullName)}/git/commits`,
      { json: commit },
      { permission: CONTENTS },
    );
    return made.sha;
  }

  /** Creates `branch` at `commit`; false when it exists already (422 "Reference already exists"). */
  async createBranch(fullName: string, branch: string, commit: string): Promise<boolean> {
    const made = await this.call<unknown>(
      'create the branch',
      'POST',
      `/repos/${repoPath(fullName)}/git/refs`,
      { json: { ref: `refs/heads/${branch}`, sha: commit } },
      {
        nullOn: [422],
        permission: CONTENTS,
      },
    );
    return made !== null;
  }

  /** Moves `branch` to `commit`, a fast-forward only (a refused move is a 422). */
  async moveBranch(fullName: string, branch: string, commit: string): Promise<void> {
    await this.call(
      'move the branch',
      'PATCH',
      `/repos/${repoPath(fullName)}/git/refs/heads/${branchPath(branch)}`,
      { json: { sha: commit, force: false } },
      { permission: CONTENTS },
    );
  }

  /** Turns Pages on; null when it is on already (409). */
  async enablePages(fullName: string, branch: string): Promise<GithubPages | null> {
    const body = { build_type: 'legacy', source: { branch, path: '/' } };
    return this.call('turn on Pages', 'POST', `/repos/${repoPath(fullName)}/pages`, { json: body }, { nullOn: [409], permission: PAGES });
  }

  async getPages(fullName: string): Promise<GithubPages | null> {
    return this.call('read the Pages site', 'GET', `/repos/${repoPath(fullName)}/pages`, undefined, { nullOn: [404], permission: PAGES_READ });
  }

  async setPagesSource(fullName: string, branch: string): Promise<void> {
    const body = { build_type: 'legacy', source: { branch, path: '/' } };
    await this.call('change the Pages source', 'PUT', `/repos/${repoPath(fullName)}/pages`, { json: body }, { permission: PAGES });
  }

  /** Turns Pages off; a site that is already off (404) counts as done. */
  async disablePages(fullName: string): Promise<void> {
    await this.call('turn off Pages', 'DELETE', `/repos/${repoPath(fullName)}/pages`, undefined, { nullOn: [404], permission: PAGES });
  }

  /** The newest Pages build; null before the first one. */
  async latestBuild(fullName: string): Promise<GithubBuild | null> {
    return this.call('read the Pages build', 'GET', `/repos/${repoPath(fullName)}/pages/builds/latest`, undefined, { nullOn: [404], permission: PAGES_READ });
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
