// Repositories of the local GitHub and their Git databases: blobs (bytes, kept beside the JSON state
// by key), trees and commits (small, kept in the JSON), refs, and the Pages site of each repository
// (pages.ts runs its builds). Object ids are git's own (git.ts), so a real git client would agree.
import { randomBytes } from 'node:crypto';
import type { GithubUser } from './config';
import { commitBody, EMPTY_TREE_SHA, objectSha, sortEntries, treeBody, type CommitObject, type ObjectType, type TreeEntry } from './git';
import type { EmulatorServices, PersistedState } from '../platform';

/** An object's own entry: ids come from requests, and a plain object also answers `constructor` or `toString`. */
const own = <T>(record: Record<string, T>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

export interface PagesBuild {
  id: number;
  /** The head of the source branch when the build was requested (null: the branch did not exist). */
  commit: string | null;
  pusher: string | null;
  createdAt: number;
  /** Set once the build settled: when, and why it failed if it did. */
  doneAt?: number;
  error?: string;
}

export interface PagesSite {
  buildType: 'legacy' | 'workflow';
  source: { branch: string; path: '/' | '/docs' };
  cname: string | null;
  httpsEnforced: boolean;
  createdAt: number;
  builds: PagesBuild[];
  /** What the site serves: the tree of its source folder at the last build that succeeded. */
  published?: { buildId: number; commit: string; tree: string; at: number };
}

export interface Repo {
  id: number;
  nodeId: string;
  name: string;
  ownerLogin: string;
  ownerId: number;
  private: boolean;
  description: string | null;
  homepage: string | null;
  defaultBranch: string;
  createdAt: number;
  updatedAt: number;
  pushedAt: number | null;
  /** Full ref name ("refs/heads/main") → object id. */
  refs: Record<string, string>;
  trees: Record<string, TreeEntry[]>;
  commits: Record<string, CommitObject>;
  pages?: PagesSite;
}

export interface FlatEntry {
  path: string;
  entry: TreeEntry;
}

const COUNTERS = { blobsUploaded: 0, blobBytesUploaded: 0, blobsCreated: 0, blobBytesCreated: 0 };

export class GithubState {
  readonly repos = new Map<number, Repo>();
  /** repository id → blob id → bytes */
  readonly blobs = new Map<number, Map<string, Buffer>>();
  counters = { ...COUNTERS };
  nextRepoId = 800_000_001;
  nextBuildId = 500_000_001;
  /** Called when a ref moves (created, updated or deleted), so that a Pages branch builds. */
  onRefMoved: (repo: Repo, ref: string, pusher: string) => void = () => {};

  constructor(private readonly services: EmulatorServices) {}

  get now(): number {
    return this.services.clock.now();
  }

  // ---- repositories ----

  /** Owner and name are not case sensitive. */
  repoByName(owner: string, name: string): Repo | undefined {
    const o = owner.toLowerCase();
    const n = name.toLowerCase();
    return [...this.repos.values()].find((r) => r.ownerLogin.toLowerCase() === o && r.name.toLowerCase() === n);
  }

  reposOf(login: string): Repo[] {
    return [...this.repos.values()].filter((r) => r.ownerLogin.toLowerCase() === login.toLowerCase());
  }

  createRepo(owner: GithubUser, fields: { name: string; description: string | null; homepage: string | null; private: boolean }): Repo {
    const id = this.nextRepoId++;
    const repo: Repo = {
      id,
      nodeId: `R_kgDO${randomBytes(6).toString('base64url')}`,
      ...fields,
      ownerLogin: owner.login,
      ownerId: owner.id,
      defaultBranch: 'main',
      createdAt: this.now,
      updatedAt: this.now,
      pushedAt: null,
      refs: {},
      trees: {},
      commits: {},
    };
    this.repos.set(id, repo);
    return repo;
  }

  deleteRepo(repo: Repo): void {
    this.repos.delete(repo.id);
    this.blobs.delete(repo.id);
  }

  // ---- the Git database ----

  blobsOf(repo: Repo): Map<string, Buffer> {
    let map = this.blobs.get(repo.id);
    if (!map) this.blobs.set(repo.id, (map = new Map()));
    return map;
  }

  /** Stores a blob sent through the API (counted: uploads, and the blobs that were new). */
  putBlob(repo: Repo, bytes: Buffer): string {
    const sha = objectSha('blob', bytes);
    const store = this.blobsOf(repo);
    this.counters.blobsUploaded++;
    this.counters.blobBytesUploaded += bytes.length;
    if (!store.has(sha)) {
      store.set(sha, bytes);
      this.counters.blobsCreated++;
      this.counters.blobBytesCreated += bytes.length;
    }
    return sha;
  }

  typeOf(repo: Repo, sha: string): ObjectType | undefined {
    if (this.blobs.get(repo.id)?.has(sha)) return 'blob';
    if (own(repo.trees, sha) || sha === EMPTY_TREE_SHA) return 'tree';
    if (own(repo.commits, sha)) return 'commit';
    return undefined;
  }

  /** The commit under this id (one a request names: `constructor` is no commit). */
  commitOf(repo: Repo, sha: string): CommitObject | undefined {
    return own(repo.commits, sha);
  }

  treeEntries(repo: Repo, sha: string): TreeEntry[] | undefined {
    return sha === EMPTY_TREE_SHA ? [] : own(repo.trees, sha);
  }

  putTree(repo: Repo, entries: TreeEntry[]): string {
    const sha = objectSha('tree', treeBody(entries));
    repo.trees[sha] ??= sortEntries(entries).map((e) => ({ ...e }));
    return sha;
  }

  putCommit(repo: Repo, commit: CommitObject): string {
    const sha = objectSha('commit', commitBody(commit));
    repo.commits[sha] ??= commit;
    return sha;
  }

  /** GitHub's "Git Repository is empty.": nothing was ever pushed (no ref). */
  isEmpty(repo: Repo): boolean {
    return Object.keys(repo.refs).length === 0;
  }

  isAncestor(repo: Repo, ancestor: string, descendant: string): boolean {
    const seen = new Set<string>();
    const queue = [descendant];
    while (queue.length) {
      const sha = queue.pop()!;
      if (sha === ancestor) return true;
      if (seen.has(sha)) continue;
      seen.add(sha);
      queue.push(...(this.commitOf(repo, sha)?.parents ?? []));
    }
    return false;
  }

  /** A tree id, a commit id (its tree) or a branch name, as GET /git/trees/{tree_sha} takes them. */
  resolveTree(repo: Repo, treeish: string): string | undefined {
    if (this.treeEntries(repo, treeish)) return treeish;
    const commit = this.commitOf(repo, treeish) ?? this.commitOf(repo, repo.refs[`refs/heads/${treeish}`] ?? repo.refs[`refs/tags/${treeish}`] ?? '');
    return commit?.tree;
  }

  /** Every entry under a tree, depth first, subtrees before their contents. */
  flatten(repo: Repo, treeSha: string, recursive = true, prefix = ''): FlatEntry[] {
    const out: FlatEntry[] = [];
    for (const entry of this.treeEntries(repo, treeSha) ?? []) {
      const path = `${prefix}${entry.name}`;
      out.push({ path, entry });
      if (recursive && entry.type === 'tree') out.push(...this.flatten(repo, entry.sha, true, `${path}/`));
    }
    return out;
  }

  /** The tree at a folder path ("" for the root) of a tree, if there is one. */
  subtree(repo: Repo, treeSha: string, path: string): string | undefined {
    let sha: string | undefined = treeSha;
    for (const name of path.split('/').filter(Boolean)) {
      const entry: TreeEntry | undefined = this.treeEntries(repo, sha!)?.find((e) => e.name === name);
      sha = entry?.type === 'tree' ? entry.sha : undefined;
      if (!sha) return undefined;
    }
    return sha;
  }

  /** Moves (or, with undefined, deletes) a ref; a branch push is what builds a Pages site. */
  setRef(repo: Repo, ref: string, sha: string | undefined, pusher: string): void {
    if (sha === undefined) delete repo.refs[ref];
    else repo.refs[ref] = sha;
    repo.pushedAt = this.now;
    repo.updatedAt = this.now;
    this.onRefMoved(repo, ref, pusher);
  }

  // ---- stats and persistence ----

  reset(): void {
    this.repos.clear();
    this.blobs.clear();
    this.counters = { ...COUNTERS };
  }

  stats(): Record<string, number> {
    let blobs = 0;
    let blobBytes = 0;
    for (const map of this.blobs.values())
      for (const bytes of map.values()) {
        blobs++;
        blobBytes += bytes.length;
      }
    const repos = [...this.repos.values()];
    return {
      repos: repos.length,
      blobs,
      blobBytes,
      trees: repos.reduce((n, r) => n + Object.keys(r.trees).length, 0),
      commits: repos.reduce((n, r) => n + Object.keys(r.commits).length, 0),
      pagesSites: repos.filter((r) => r.pages).length,
      pagesBuilds: repos.reduce((n, r) => n + (r.pages?.builds.length ?? 0), 0),
      ...this.counters,
    };
  }

  snapshot(): PersistedState {
    const blobs = new Map<string, Buffer>();
    const blobIds: Record<number, string[]> = {};
    for (const [repoId, map] of this.blobs) {
      blobIds[repoId] = [...map.keys()];
      for (const [sha, bytes] of map) blobs.set(`gh-${repoId}-${sha}`, bytes);
    }
    const state = { repos: [...this.repos.values()], blobIds, counters: this.counters, nextRepoId: this.nextRepoId, nextBuildId: this.nextBuildId };
    return { state, blobs };
  }

  restoreFrom(saved: unknown, readBlob: (key: string) => Buffer | undefined): void {
    const data = saved as { repos?: Repo[]; blobIds?: Record<string, string[]>; counters?: typeof COUNTERS; nextRepoId?: number; nextBuildId?: number };
    for (const repo of data.repos ?? []) this.repos.set(repo.id, repo);
    for (const [repoId, shas] of Object.entries(data.blobIds ?? {}))
      for (const sha of shas) {
        const bytes = readBlob(`gh-${repoId}-${sha}`);
        if (bytes) {
          let map = this.blobs.get(Number(repoId));
          if (!map) this.blobs.set(Number(repoId), (map = new Map()));
          map.set(sha, bytes);
        }
      }
    this.counters = { ...COUNTERS, ...data.counters };
    this.nextRepoId = data.nextRepoId ?? this.nextRepoId;
    this.nextBuildId = data.nextBuildId ?? this.nextBuildId;
  }
}
