// The commit, pages and build steps: the files committed on top of `gh-pages` (or of the default
// branch's first commit) and the branch moved, Pages turned on for it, then the build of our commit
// polled until it is published.
import type { Checkpointed } from '../checkpoint';
import { PlatformError } from '../http';
import { pollUntil, type Polling } from '../polling';
import type { GithubClient, GithubRepo, TreeEntry } from './client';
import { PAGES_BRANCH, type Ctx, type GithubCheckpoint, type SiteFile } from './state';

/**
 * How builds are polled unless a deployment's settings say otherwise (`ctx.settings.polling`): a read of
 * the latest build every 2 seconds; after 10 minutes the deployment fails with a timeout (a build
 * cannot be cancelled: it finishes on GitHub's side).
 */
export const GITHUB_BUILD_POLLING: Polling = { intervalMs: 2_000, maxMs: 10 * 60_000 };

/** Commits the files on top of the branch (or of the default branch's first commit) and moves the branch; answers the commit Pages will publish. */
export async function commitFiles(
  gh: GithubClient,
  ctx: Ctx,
  repo: GithubRepo,
  files: SiteFile[],
  head: string | null,
  current: { tree: TreeEntry[]; truncated: boolean } | undefined,
  { done, save }: Checkpointed<GithubCheckpoint>,
): Promise<string> {
  const fullName = repo.full_name;
  const entries: TreeEntry[] = files.map((f) => ({ path: f.path, mode: '100644', type: 'blob', sha: f.sha }));
  if (head && current && !current.truncated && sameFiles(entries, current.tree)) {
    await save({ commitSha: head, commitParent: head });
    await ctx.report('commit', 85, `Nothing changed since the last deployment: ${PAGES_BRANCH} already holds these files`);
    return head;
  }
  await ctx.report('commit', 82, `Committing ${files.length} files to ${PAGES_BRANCH}`);
  const parent = head ?? (repo.default_branch ? await gh.branchHead(fullName, repo.default_branch) : null);
  let commit = done.commitSha;
  if (!commit || done.commitParent !== parent) {
    const tree = done.treeSha ?? (await gh.createTree(fullName, entries));
    if (!done.treeSha) await save({ treeSha: tree });
    commit = await gh.createCommit(fullName, { message: `Deploy from Huskit Sites (deployment ${ctx.deploymentId})`, tree, parents: parent ? [parent] : [] });
    await save({ commitSha: commit, commitParent: parent });
  }
  if (head) await gh.moveBranch(fullName, PAGES_BRANCH, commit);
  else if (!(await gh.createBranch(fullName, PAGES_BRANCH, commit)) && (await gh.branchHead(fullName, PAGES_BRANCH)) !== commit)
    throw new PlatformError('conflict', `The ${PAGES_BRANCH} branch appeared in ${fullName} while deploying. Deploy again.`);
  await ctx.report('commit', 85, `Committed ${commit.slice(0, 7)} to ${PAGES_BRANCH}`);
  return commit;
}

/** The branch holds exactly these files (same paths, same bytes, plain files). */
function sameFiles(entries: TreeEntry[], tree: TreeEntry[]): boolean {
  const blobs = tree.filter((e) => e.type !== 'tree');
  if (blobs.length !== entries.length) return false;
  const byPath = new Map(blobs.map((e) => [e.path, e]));
  return entries.every((e) => byPath.get(e.path)?.sha === e.sha && byPath.get(e.path)?.mode === e.mode);
}

// ---- Pages ----

/** Turns Pages on for the branch (or points it there); answers the site's address. */
export async function ensurePages(gh: GithubClient, ctx: Ctx, repo: GithubRepo, { save }: Checkpointed<GithubCheckpoint>): Promise<string> {
  const fullName = repo.full_name;
  await ctx.report('pages', 87, `Turning on GitHub Pages for ${PAGES_BRANCH}`);
  let pages = await gh.enablePages(fullName, PAGES_BRANCH);
  if (!pages) {
    // On already (409): published from elsewhere, or by a workflow, it is pointed at our branch.
    pages = await gh.getPages(fullName);
    if (pages && (pages.build_type === 'workflow' || pages.source?.branch !== PAGES_BRANCH || pages.source.path !== '/')) {
      await ctx.report(
        'pages',
        88,
        `GitHub Pages published ${pages.source ? `${pages.source.branch} ${pages.source.path}` : 'a workflow'}: now ${PAGES_BRANCH} /`,
      );
      await gh.setPagesSource(fullName, PAGES_BRANCH);
      pages = await gh.getPages(fullName);
    }
  }
  if (!pages?.html_url) pages = await gh.getPages(fullName);
  // html_url names the custom domain when the site has one.
  const url = pages?.html_url ?? `https://${repo.owner.login.toLowerCase()}.github.io/${repo.name}/`;
  await save({ pagesUrl: url });
  await ctx.report('pages', 89, `GitHub Pages is on: ${url}`);
  return url;
}

/** Polls the latest build until it is our commit's and `built`; `errored` fails with GitHub's message. */
export async function waitForBuild(gh: GithubClient, ctx: Ctx, repo: string, commit: string): Promise<void> {
  const polling = ctx.settings.polling;
  await pollUntil({
    read: async () => {
      const build = await gh.latestBuild(repo);
      return { build, state: build?.commit === commit ? build.status : 'waiting' };
    },
    done: ({ state }) => state === 'built',
    failed: ({ build, state }) => {
      if (state !== 'errored') return undefined;
      const said = build?.error?.message || 'the build failed';
      return new PlatformError('bad_request', `GitHub Pages could not publish the site: ${said}`, said);
    },
    stateOf: ({ state }) => state,
    onNewState: ({ state }) =>
      ctx.report('build', state === 'building' ? 94 : 91, `GitHub Pages build of ${commit.slice(0, 7)}: ${state === 'waiting' ? 'waiting to start' : state}`),
    intervalMs: polling.intervalMs,
    deadline: Date.now() + polling.maxMs,
    timedOut: ({ state }) =>
      new PlatformError(
        'timeout',
        `GitHub Pages did not publish the site within ${Math.round(polling.maxMs / 60_000)} minutes. Try again later.`,
        `last state: ${state}`,
      ),
  });
  await ctx.report('build', 98, `GitHub Pages published commit ${commit.slice(0, 7)}`);
}
