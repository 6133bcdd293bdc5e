// The local GitHub's resources as the REST API shows them (the schemas of github/rest-api-description,
// as @octokit/openapi-types types them: private-user, full-repository, short-blob, blob, git-tree,
// git-commit, git-ref, page, page-build). API URLs point at the local cloud (`{origin}/github/...`),
// `html_url`s of users, repositories and commits keep GitHub's form, and a Pages site's `html_url` is
// where the local cloud serves it: http://{owner}.github.{siteDomain}:{port}/{repo}/ (a repository
// named {owner}.github.io at the root; a custom domain at http://{cname}:{port}/).
import type { EmulatorServices } from '../platform';
import type { GithubUser } from './config';
import { isoSeconds, type CommitObject, type TreeEntry } from './git';
import type { PagesBuilds } from './pages';
import type { FlatEntry, GithubState, PagesBuild, Repo } from './state';

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z'));
const ACCOUNT_CREATED = '2026-01-01T00:00:00Z';

export class GithubJson {
  constructor(
    private readonly services: EmulatorServices,
    private readonly state: GithubState,
    private readonly pages: PagesBuilds,
  ) {}

  get api(): string {
    return `${this.services.origin()}/github`;
  }

  repoApi = (repo: Repo) => `${this.api}/repos/${repo.ownerLogin}/${repo.name}`;

  /** Where the local cloud serves a repository's Pages site. */
  siteUrl(repo: Repo): string {
    const { siteDomain, port } = this.services.config;
    if (repo.pages?.cname) return `http://${repo.pages.cname}:${port}/`;
    const owner = repo.ownerLogin.toLowerCase();
    const userSite = repo.name.toLowerCase() === `${owner}.github.io`;
    return `http://${owner}.github.${siteDomain}:${port}/${userSite ? '' : `${repo.name}/`}`;
  }

  simpleUser(user: Pick<GithubUser, 'login' | 'id'>) {
    return {
      login: user.login,
      id: user.id,
      node_id: `U_kgDO${Buffer.from(String(user.id)).toString('base64url')}`,
      avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
      gravatar_id: '',
      url: `${this.api}/users/${user.login}`,
      html_url: `https://github.com/${user.login}`,
      type: 'User',
      site_admin: false,
    };
  }

  privateUser(user: GithubUser) {
    const repos = this.state.reposOf(user.login);
    const priv = repos.filter((r) => r.private).length;
    return {
      ...this.simpleUser(user),
      name: user.name,
      company: null,
      blog: '',
      location: null,
      email: null,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: repos.length - priv,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: ACCOUNT_CREATED,
      updated_at: ACCOUNT_CREATED,
      private_gists: 0,
      total_private_repos: priv,
      owned_private_repos: priv,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
      plan: { name: user.plan ?? 'free', space: 976562499, collaborators: 0, private_repos: 10000 },
    };
  }

  repo(repo: Repo, viewer: string | null) {
    const owner = viewer !== null && viewer.toLowerCase() === repo.ownerLogin.toLowerCase();
    const html = `https://github.com/${repo.ownerLogin}/${repo.name}`;
    return {
      id: repo.id,
      node_id: repo.nodeId,
      name: repo.name,
      full_name: `${repo.ownerLogin}/${repo.name}`,
      private: repo.private,
      owner: this.simpleUser({ login: repo.ownerLogin, id: repo.ownerId }),
      html_url: html,
      description: repo.description,
      fork: false,
      url: this.repoApi(repo),
      git_url: `git://github.com/${repo.ownerLogin}/${repo.name}.git`,
      ssh_url: `git@github.com:${repo.ownerLogin}/${repo.name}.git`,
      clone_url: `${html}.git`,
      homepage: repo.homepage,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: true,
      has_downloads: true,
      has_wiki: true,
      has_pages: Boolean(repo.pages),
      has_discussions: false,
      forks_count: 0,
      archived: false,
      disabled: false,
      open_issues_count: 0,
      license: null,
      allow_forking: true,
      is_template: false,
      topics: [],
      visibility: repo.private ? 'private' : 'public',
      forks: 0,
      open_issues: 0,
      watchers: 0,
      default_branch: repo.defaultBranch,
      permissions: { admin: owner, maintain: owner, push: owner, triage: owner, pull: true },
      created_at: iso(repo.createdAt),
      updated_at: iso(repo.updatedAt),
      pushed_at: iso(repo.pushedAt),
      network_count: 0,
      subscribers_count: 0,
    };
  }

  shortBlob = (repo: Repo, sha: string) => ({ url: `${this.repoApi(repo)}/git/blobs/${sha}`, sha });

  /** GitHub's base64 is wrapped at 60 characters. */
  blob(repo: Repo, sha: string, bytes: Buffer) {
    const b64 = bytes.toString('base64').replace(/.{60}/g, '$&\n');
    return { sha, node_id: `B_${sha.slice(0, 16)}`, size: bytes.length, url: `${this.repoApi(repo)}/git/blobs/${sha}`, content: b64, encoding: 'base64' };
  }

  treeEntry(repo: Repo, path: string, e: TreeEntry) {
    const base = { path, mode: e.mode, type: e.type, sha: e.sha };
    if (e.type === 'blob') return { ...base, size: this.state.blobs.get(repo.id)?.get(e.sha)?.length ?? 0, url: `${this.repoApi(repo)}/git/blobs/${e.sha}` };
    if (e.type === 'tree') return { ...base, url: `${this.repoApi(repo)}/git/trees/${e.sha}` };
    return base;
  }

  tree(repo: Repo, sha: string, entries: FlatEntry[], truncated = false) {
    return { sha, url: `${this.repoApi(repo)}/git/trees/${sha}`, tree: entries.map((f) => this.treeEntry(repo, f.path, f.entry)), truncated };
  }

  commit(repo: Repo, sha: string, c: CommitObject) {
    const sig = (s: CommitObject['author']) => ({ name: s.name, email: s.email, date: isoSeconds(s.seconds) });
    const html = `https://github.com/${repo.ownerLogin}/${repo.name}/commit`;
    return {
      sha,
      node_id: `C_${sha.slice(0, 16)}`,
      url: `${this.repoApi(repo)}/git/commits/${sha}`,
      html_url: `${html}/${sha}`,
      author: sig(c.author),
      committer: sig(c.committer),
      tree: { sha: c.tree, url: `${this.repoApi(repo)}/git/trees/${c.tree}` },
      message: c.message,
      parents: c.parents.map((p) => ({ sha: p, url: `${this.repoApi(repo)}/git/commits/${p}`, html_url: `${html}/${p}` })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }

  ref(repo: Repo, ref: string) {
    const sha = repo.refs[ref]!;
    const type = this.state.typeOf(repo, sha) ?? 'commit';
    return {
      ref,
      node_id: `REF_${Buffer.from(`${repo.id}:${ref}`).toString('base64url')}`,
      url: `${this.repoApi(repo)}/git/${ref}`,
      object: { sha, type, url: `${this.repoApi(repo)}/git/${type}s/${sha}` },
    };
  }

  page(repo: Repo) {
    const site = this.pages.settle(repo)!;
    const published = site.published;
    const has404 = published ? this.state.treeEntries(repo, published.tree)?.some((e) => e.name === '404.html') : false;
    return {
      url: `${this.repoApi(repo)}/pages`,
      status: this.pages.siteStatus(site),
      cname: site.cname,
      custom_404: Boolean(has404),
      html_url: this.siteUrl(repo),
      build_type: site.buildType,
      source: site.source,
      public: !repo.private,
      protected_domain_state: null,
      pending_domain_unverified_at: null,
      https_enforced: site.httpsEnforced,
    };
  }

  build(repo: Repo, b: PagesBuild) {
    const status = this.pages.status(b);
    const done = status === 'built' || status === 'errored';
    const pusher = b.pusher ? this.services.config.github.users.find((u) => u.login === b.pusher) : undefined;
    return {
      url: `${this.repoApi(repo)}/pages/builds/${b.id}`,
      status,
      error: { message: b.error ?? null },
      pusher: pusher ? this.simpleUser(pusher) : null,
      commit: b.commit ?? '',
      duration: done ? 2 * this.services.config.github.buildStepMs : 0,
      created_at: iso(b.createdAt),
      updated_at: iso(done ? (b.doneAt ?? b.createdAt + 2 * this.services.config.github.buildStepMs) : b.createdAt),
    };
  }
}
