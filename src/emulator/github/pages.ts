// GitHub Pages builds of the local GitHub ("legacy" build type: publish from a branch). A build is
// queued when Pages is enabled, when the source changes, when the source branch moves (a push) and on
// POST /pages/builds; it records the branch head at that moment. Its status is computed from its
// timestamps on the cloud clock, one `buildStepMs` each: queued → building → built (or errored when
// the branch or the /docs folder is missing). A build that finishes is settled once: a successful
// one publishes the tree of the source folder at its commit, unless a newer build already did.
// Status values: docs "REST API endpoints for GitHub Pages" (page: built | building | errored | null;
// page build: queued | building | built | errored).
import type { EmulatorServices } from '../platform';
import type { GithubState, PagesBuild, PagesSite, Repo } from './state';

export type BuildStatus = 'queued' | 'building' | 'built' | 'errored';

/** GitHub keeps a site's recent builds; older ones are forgotten. */
const KEEP_BUILDS = 100;

export class PagesBuilds {
  constructor(
    private readonly state: GithubState,
    private readonly services: EmulatorServices,
  ) {}

  private get step(): number {
    return this.services.config.github.buildStepMs;
  }

  enable(repo: Repo, fields: Pick<PagesSite, 'buildType' | 'source'>, pusher: string): PagesSite {
    const site: PagesSite = { ...fields, cname: null, httpsEnforced: false, createdAt: this.state.now, builds: [] };
    repo.pages = site;
    if (site.buildType === 'legacy') this.request(repo, pusher);
    return site;
  }

  /** Queues a build of the source branch as it is now. */
  request(repo: Repo, pusher: string | null): PagesBuild {
    const site = repo.pages!;
    const build: PagesBuild = {
      id: this.state.nextBuildId++,
      commit: repo.refs[`refs/heads/${site.source.branch}`] ?? null,
      pusher,
      createdAt: this.state.now,
    };
    site.builds.push(build);
    if (site.builds.length > KEEP_BUILDS) site.builds.splice(0, site.builds.length - KEEP_BUILDS);
    return build;
  }

  /** A push to the source branch of a branch-built site builds it. */
  refMoved(repo: Repo, ref: string, pusher: string): void {
    const site = repo.pages;
    if (site?.buildType === 'legacy' && ref === `refs/heads/${site.source.branch}` && repo.refs[ref]) this.request(repo, pusher);
  }

  status(build: PagesBuild): BuildStatus {
    if (build.doneAt !== undefined) return build.error ? 'errored' : 'built';
    const now = this.state.now;
    if (now < build.createdAt + this.step) return 'queued';
    if (now < build.createdAt + 2 * this.step) return 'building';
    return 'built'; // due: settle() decides
  }

  /** The site's status is its latest build's; null before any build. */
  siteStatus(site: PagesSite): 'built' | 'building' | 'errored' | null {
    const latest = site.builds.at(-1);
    if (!latest) return null;
    const status = this.status(latest);
    return status === 'queued' ? 'building' : status;
  }

  latest(site: PagesSite): PagesBuild | undefined {
    return site.builds.at(-1);
  }

  /** Settles the builds that are due, in the order they were requested; answers the site. */
  settle(repo: Repo): PagesSite | undefined {
    const site = repo.pages;
    if (!site) return undefined;
    let changed = false;
    for (const build of site.builds) {
      if (build.doneAt !== undefined || this.state.now < build.createdAt + 2 * this.step) continue;
      build.doneAt = build.createdAt + 2 * this.step;
      changed = true;
      const tree = this.sourceTree(repo, site, build);
      if (typeof tree !== 'string') {
        build.error = tree.error;
        continue;
      }
      const current = site.published && site.builds.find((b) => b.id === site.published!.buildId);
      if (!current || current.createdAt <= build.createdAt) site.published = { buildId: build.id, commit: build.commit!, tree, at: build.doneAt };
    }
    if (changed) this.services.changed();
    return site;
  }

  private sourceTree(repo: Repo, site: PagesSite, build: PagesBuild): string | { error: string } {
    const commit = build.commit ? repo.commits[build.commit] : undefined;
    if (!commit) return { error: `The branch ${site.source.branch} does not exist.` };
    const tree = site.source.path === '/docs' ? this.state.subtree(repo, commit.tree, 'docs') : commit.tree;
    return tree ?? { error: `The folder ${site.source.path} does not exist in ${site.source.branch}.` };
  }
}
