// Deploying a site to GitHub Pages in the user's own account: a public repository named after the
// project, the site's files committed to its `gh-pages` branch through the Git Data API (only the
// blobs the repository lacks are uploaded), Pages turned on for that branch, then the Pages build of
// our commit waited for. Steps, in order: repo, upload, commit, pages, build. Each is checkpointed
// (repository, uploaded blobs, tree, commit, site URL), so a resumed attempt goes on from where the
// last one stopped. Quick deploy is never offered: there is no shared GitHub account.
import { randomBytes } from 'node:crypto';
import { DEFAULT_CALL_SETTINGS, type CallSettings, type DeployOutcome, type PlatformAdapter } from '../adapter';
import { checkpointOf, type Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { dnsLabel, labelWithSuffix, shortId } from '../naming';
import { readAll } from '../../storage/object-store';
import { GithubClient, NameTaken, type GithubCredentials, type GithubRepo } from './client';
import { readFiles, uploadMissing } from './files';
import { commitFiles, ensurePages, waitForBuild } from './publish';
import { githubSettings } from './settings';
import { PAGES_BRANCH, type Ctx, type GithubCheckpoint } from './state';
import { absoluteLinksNote, notFoundNote, redirectsNote } from './static-files';

export type { GithubCredentials } from './client';
export { PAGES_BRANCH } from './state';

/** "GitHub blocks files larger than 100 MiB" (https://docs.github.com/repositories/working-with-files/managing-large-files/about-large-files-on-github). */
const MAX_FILE_BYTES = 100 * 1024 * 1024;
const client = (credentials: GithubCredentials, { retries }: CallSettings = DEFAULT_CALL_SETTINGS) =>
  new GithubClient(githubSettings().apiUrl, credentials, { policy: retries });

export const githubAdapter: PlatformAdapter<GithubCredentials> = {
  platform: 'github',

  // GitHub Pages is offered in the user's own account only.
  platformCredentials: () => null,

  refuseFile(path, size) {
    if (size > MAX_FILE_BYTES)
      return `GitHub refuses files over 100 MB, and "${path}" has ${Math.ceil(size / 1024 / 1024)} MB. Make it smaller or host it elsewhere.`;
    if (path.split('/').some((part) => part.toLowerCase() === '.git')) return `Git cannot store "${path}": no folder may be named .git. Rename it.`;
  },

  parseCredentials(raw) {
    const token = raw.token?.trim();
    if (!token || !/^[\x21-\x7e]+$/.test(token)) throw new PlatformError('auth', 'The GitHub connection is incomplete. Reconnect your account in Settings.');
    return { token };
  },

  async verify(credentials, settings) {
    const user = await client(credentials, settings).currentUser();
    return { login: user.login, ...(user.name ? { name: user.name } : {}) };
  },

  async deploy(ctx: Ctx): Promise<DeployOutcome> {
    const gh = client(ctx.credentials, ctx.settings);
    const checkpoint = checkpointOf<GithubCheckpoint>(ctx);
    const { done } = checkpoint;
    const { login } = await gh.currentUser();
    const repo = await ensureRepo(gh, ctx, login, checkpoint);
    const fullName = repo.full_name;

    if (ctx.manifest._redirects)
      await ctx.report('upload', 9, redirectsNote((await readAll(await ctx.openBlob(ctx.manifest._redirects.sha256))).toString('utf8')));
    await ctx.report('upload', 9, notFoundNote(ctx.manifest));
    const { files, linkingPages } = await readFiles(ctx);
    const head = await gh.branchHead(fullName, PAGES_BRANCH);
    let commit: string;
    if (done.commitSha && head === done.commitSha) {
      commit = head;
      await ctx.report('commit', 85, `The ${PAGES_BRANCH} branch already holds this deployment (commit ${commit.slice(0, 7)})`);
    } else {
      const current = head ? await gh.tree(fullName, await gh.commitTree(fullName, head)) : undefined;
      await uploadMissing(gh, ctx, fullName, files, current?.tree ?? [], checkpoint);
      commit = await commitFiles(gh, ctx, repo, files, head, current, checkpoint);
    }

    const url = done.pagesUrl ?? (await ensurePages(gh, ctx, repo, checkpoint));
    const warning = absoluteLinksNote(linkingPages, url);
    if (warning) await ctx.report('pages', 89, warning);
    await waitForBuild(gh, ctx, fullName, commit);
    return { url, target: { externalProjectId: fullName, externalId: PAGES_BRANCH } };
  },

  /** Turns Pages off. The repository stays: it holds the user's history (and is theirs to delete). */
  async remove(credentials, target, _mode, settings) {
    if (!target.externalProjectId) return;
    await client(credentials, settings).disablePages(target.externalProjectId);
  },

  // A Pages build from a branch cannot be cancelled: nothing to stop.
  async abandon() {},

  // No shared account: nothing of ours lives in a platform account to clean up.
  async listManagedResources() {
    return [];
  },
};

// ---- the repository ----

/** Says the repository is this site's; a repository of the wanted name without it belongs to someone else. */
const marker = (ctx: Ctx) => `Website published with Huskit Sites (site ${shortId(ctx.siteId)})`;

/** The project's name as a repository name, with a short suffix from the site's id. */
const wantedName = (ctx: Ctx) => labelWithSuffix(dnsLabel(ctx.siteName) || 'site', shortId(ctx.siteId).slice(0, 6));

async function ensureRepo(gh: GithubClient, ctx: Ctx, login: string, { done, save }: Checkpointed<GithubCheckpoint>): Promise<GithubRepo> {
  const known = done.repo ?? ctx.target.externalProjectId;
  // A repository of another account (the token changed hands) is not reused.
  if (known && known.split('/')[0]!.toLowerCase() === login.toLowerCase()) {
    const repo = await gh.getRepo(known);
    if (repo) {
      if (!done.repo) await save({ repo: repo.full_name, createdRepo: false });
      await ctx.report('repo', 8, `Using repository ${repo.full_name}`);
      return repo;
    }
    // Deleted on GitHub since: a new one is made below.
  }
  await ctx.report('repo', 5, 'Creating the GitHub repository');
  const description = marker(ctx);
  const base = wantedName(ctx);
  for (let round = 0; round < 4; round++) {
    const name = round === 0 ? base : labelWithSuffix(base, randomBytes(3).toString('hex'));
    // Ours already when an earlier attempt made it and died before saying so.
    let repo = await gh.getRepo(`${login}/${name}`);
    if (!repo) {
      try {
        repo = await gh.createRepo(login, name, description);
      } catch (err) {
        if (!(err instanceof NameTaken)) throw err;
        repo = await gh.getRepo(`${login}/${name}`);
      }
    }
    if (repo?.description?.includes(description)) {
      await save({ repo: repo.full_name, createdRepo: true });
      await ctx.report('repo', 8, `Created repository ${repo.full_name}`);
      return repo;
    }
    // The name is taken by a repository that is not this site's: another suffix.
  }
  throw new PlatformError('conflict', 'Every repository name we tried is taken in your GitHub account. Rename the project and deploy again.');
}
