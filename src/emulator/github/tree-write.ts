// POST /git/trees: entries with nested paths applied on top of `base_tree` (or of nothing), written
// out as git trees, subtrees first. As documented ("Create a tree"): an entry naming a subtree and
// entries below it both apply, the nested ones on top of that subtree; `sha: null` deletes, and
// deleting what does not exist is an error; a folder left empty disappears, as in git.
import { EMPTY_TREE_SHA, type ObjectType, type TreeEntry } from './git';
import { unprocessable } from './errors';
import type { GithubState, Repo } from './state';

export interface TreeChange {
  path: string;
  mode: string;
  type: ObjectType;
  /** null deletes the path. */
  sha: string | null;
}

interface Pending {
  parts: string[];
  change: TreeChange;
}

export function writeTree(state: GithubState, repo: Repo, base: string | undefined, changes: TreeChange[]): string {
  return write(
    state,
    repo,
    base,
    changes.map((change) => ({ parts: change.path.split('/'), change })),
  );
}

function write(state: GithubState, repo: Repo, base: string | undefined, pending: Pending[]): string {
  const entries = new Map<string, TreeEntry>((base ? (state.treeEntries(repo, base) ?? []) : []).map((e) => [e.name, e]));
  const below = new Map<string, Pending[]>();
  for (const { parts, change } of pending) {
    const [name, ...rest] = parts as [string, ...string[]];
    if (rest.length) {
      below.set(name, [...(below.get(name) ?? []), { parts: rest, change }]);
      continue;
    }
    if (change.sha === null) {
      if (!entries.delete(name)) throw unprocessable(`tree.path ${change.path} does not exist and cannot be deleted`);
    } else entries.set(name, { name, mode: change.mode, type: change.type, sha: change.sha });
  }
  for (const [name, sub] of below) {
    const existing = entries.get(name);
    const sha = write(state, repo, existing?.type === 'tree' ? existing.sha : undefined, sub);
    if (sha === EMPTY_TREE_SHA) entries.delete(name);
    else entries.set(name, { name, mode: '040000', type: 'tree', sha });
  }
  return state.putTree(repo, [...entries.values()]);
}
