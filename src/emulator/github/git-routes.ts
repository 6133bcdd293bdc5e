// The Git Data API (https://docs.github.com/rest/git): blobs, trees, commits and refs, on a
// repository that has at least one ref (an empty one answers 409 "Git Repository is empty." to
// every call here, blobs and trees included: github/rest-api-description#637). Refusals as GitHub
// words them where its answers are known: "tree.sha … is not a valid blob", "base_tree is not a
// valid tree oid", "Tree SHA does not exist", "Object does not exist", "Reference already exists",
// "Reference does not exist", "Update is not a fast forward".
import { DOCS, identity, type GithubDeps, type Register } from './common';
import type { Need } from './auth';
import { GithubError, invalidField, missingField, notFound, sendGithubJson, sendNoContent, unprocessable } from './errors';
import { MODES, SHA1, signatureTime, validEntryName, type CommitObject, type ObjectType } from './git';
import type { Repo } from './state';
import { writeTree, type TreeChange } from './tree-write';

const D = `${DOCS}/git`;
const R = '/repos/:owner/:repo/git';
/** "The limit for the tree array is 100,000 entries with a maximum size of 7 MB" (Get a tree). */
const TREE_LIMIT = 100_000;

/** A ref from the rest of the URL: Octokit sends `heads%2Fmain`, curl `heads/main`; both mean refs/heads/main. */
function refFrom(raw: string | undefined): string {
  try {
    return `refs/${decodeURIComponent(raw ?? '')}`;
  } catch {
    throw notFound();
  }
}

const text = (v: unknown, field: string, required = true): string | undefined => {
  if (v === undefined || v === null) {
    if (required) throw missingField(field);
    return undefined;
  }
  if (typeof v !== 'string') throw invalidField(field, v, 'a string');
  return v;
};

export function registerGitRoutes(route: Register, { services, state, json }: GithubDeps): void {
  const WRITE = { needs: [['contents', 'write']] as Need[], git: true };
  const READ = { needs: [['contents', 'read']] as Need[], git: true };

  // ---- blobs ----
  route('POST', `${R}/blobs`, { docs: `${D}/blobs#create-a-blob`, ...WRITE }, async ({ ctx, repo, json: body }) => {
    const max = services.config.github.maxBlobBytes;
    const b = await body(Math.ceil((max * 4) / 3) + (1 << 20));
    const content = text(b.content, 'content')!;
    const encoding = b.encoding ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'utf8' && encoding !== 'base64') throw invalidField('encoding', encoding, 'one of ["utf-8", "base64"]');
    let bytes: Buffer;
    if (encoding === 'base64') {
      const clean = content.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw unprocessable('content is not valid Base64');
      bytes = Buffer.from(clean, 'base64');
    } else bytes = Buffer.from(content, 'utf8');
    if (bytes.length > max) throw new GithubError(422, `content is too large: blobs are limited to ${max} bytes`);
    const sha = state.putBlob(repo, bytes);
    sendGithubJson(ctx.res, 201, json.shortBlob(repo, sha), { location: json.shortBlob(repo, sha).url });
  });

  route('GET', `${R}/blobs/:sha`, { docs: `${D}/blobs#get-a-blob`, ...READ }, ({ ctx, repo }) => {
    const sha = ctx.params.sha!.toLowerCase();
    const bytes = state.blobs.get(repo.id)?.get(sha);
    if (!bytes) throw notFound();
    if (/\.raw/.test(ctx.req.headers.accept ?? '')) {
      ctx.res.writeHead(200, { 'content-type': 'application/vnd.github.raw', 'content-length': String(bytes.length) });
      return void ctx.res.end(bytes);
    }
    sendGithubJson(ctx.res, 200, json.blob(repo, sha, bytes));
  });

  // ---- trees ----
  route('GET', `${R}/trees/:sha`, { docs: `${D}/trees#get-a-tree`, ...READ }, ({ ctx, repo }) => {
    const sha = state.resolveTree(repo, ctx.params.sha!);
    if (!sha) throw notFound();
    // "Setting this parameter to any value returns the objects or subtrees referenced by the tree".
    const entries = state.flatten(repo, sha, ctx.url.searchParams.has('recursive'));
    const truncated = entries.length > TREE_LIMIT;
    sendGithubJson(ctx.res, 200, json.tree(repo, sha, truncated ? entries.slice(0, TREE_LIMIT) : entries, truncated));
  });

  route('POST', `${R}/trees`, { docs: `${D}/trees#create-a-tree`, ...WRITE }, async ({ ctx, repo, json: body }) => {
    const b = await body(64 * 1024 * 1024);
    if (b.tree === undefined) throw missingField('tree');
    if (!Array.isArray(b.tree)) throw invalidField('tree', b.tree, 'an array');
    const base = text(b.base_tree, 'base_tree', false);
    if (base !== undefined && state.typeOf(repo, base) !== 'tree') throw unprocessable('base_tree is not a valid tree oid');
    const changes = (b.tree as unknown[]).map((raw) => treeChange(repo, raw));
    const sha = writeTree(state, repo, base, changes);
    sendGithubJson(ctx.res, 201, json.tree(repo, sha, state.flatten(repo, sha, false)), { location: `${json.repoApi(repo)}/git/trees/${sha}` });
  });

  /** One entry of POST /git/trees, checked as GitHub checks it; `content` is written out as a blob. */
  function treeChange(repo: Repo, raw: unknown): TreeChange {
    if (!raw || typeof raw !== 'object') throw invalidField('tree', raw, 'an object');
    const e = raw as Record<string, unknown>;
    const path = text(e.path, 'path')!;
    if (path.startsWith('/') || path.endsWith('/') || !path.split('/').every(validEntryName))
      throw unprocessable('tree.path contains a malformed path component');
    const mode = text(e.mode, 'mode')!;
    const modeType: ObjectType | undefined = MODES[mode];
    if (!modeType) throw invalidField('mode', mode, 'one of ["100644", "100755", "040000", "160000", "120000"]');
    const type = text(e.type, 'type')!;
    if (type !== modeType) throw unprocessable(`tree.type ${type} does not match tree.mode ${mode}`);
    const hasSha = Object.prototype.hasOwnProperty.call(e, 'sha');
    if (hasSha && e.content !== undefined) throw unprocessable('Must supply either tree.sha or tree.content, not both');
    if (e.content !== undefined) {
      if (type !== 'blob') throw unprocessable('tree.content can only be given for a blob');
      return { path, mode, type, sha: state.putBlob(repo, Buffer.from(text(e.content, 'content')!, 'utf8')) };
    }
    if (!hasSha) throw unprocessable('Must supply either tree.sha or tree.content');
    if (e.sha === null) return { path, mode, type, sha: null };
    const sha = text(e.sha, 'sha')!.toLowerCase();
    // A submodule names a commit of another repository: any well-formed id.
    if (type === 'commit' ? !SHA1.test(sha) : state.typeOf(repo, sha) !== type) throw unprocessable(`tree.sha ${e.sha as string} is not a valid ${type}`);
    return { path, mode, type, sha };
  }

  // ---- commits ----
  route('POST', `${R}/commits`, { docs: `${D}/commits#create-a-commit`, ...WRITE }, async ({ ctx, repo, user, json: body }) => {
    const b = await body();
    const message = text(b.message, 'message')!;
    const tree = text(b.tree, 'tree')!;
    const parents = b.parents ?? [];
    if (!Array.isArray(parents) || parents.some((p) => typeof p !== 'string')) throw invalidField('parents', parents, 'an array of strings');
    if (state.typeOf(repo, tree) !== 'tree') throw unprocessable('Tree SHA does not exist');
    for (const p of parents as string[]) if (!state.commitOf(repo, p)) throw unprocessable('Parent SHA does not exist or is not a commit object');
    const who = identity(user!, state.now);
    const author = signature(b.author, who, 'author');
    const committer = b.committer === undefined ? author : signature(b.committer, who, 'committer');
    const commit: CommitObject = { tree, parents: parents as string[], author, committer, message };
    const sha = state.putCommit(repo, commit);
    sendGithubJson(ctx.res, 201, json.commit(repo, sha, commit), { location: `${json.repoApi(repo)}/git/commits/${sha}` });
  });

  route('GET', `${R}/commits/:sha`, { docs: `${D}/commits#get-a-commit-object`, ...READ }, ({ ctx, repo }) => {
    const sha = ctx.params.sha!.toLowerCase();
    const commit = state.commitOf(repo, sha);
    if (!commit) throw notFound();
    sendGithubJson(ctx.res, 200, json.commit(repo, sha, commit));
  });

  // ---- refs (GET is `git/ref/{ref}`, singular; the others `git/refs/{ref}`) ----
  route('GET', `${R}/ref/*`, { docs: `${D}/refs#get-a-reference`, ...READ }, ({ ctx, repo }) => {
    const ref = refFrom(ctx.params['*']);
    if (!repo.refs[ref]) throw notFound();
    sendGithubJson(ctx.res, 200, json.ref(repo, ref));
  });

  route('POST', `${R}/refs`, { docs: `${D}/refs#create-a-reference`, ...WRITE }, async ({ ctx, repo, user, json: body }) => {
    const b = await body();
    const ref = text(b.ref, 'ref')!;
    const sha = text(b.sha, 'sha')!.toLowerCase();
    // "If it doesn't start with 'refs' and have at least two slashes, it will be rejected."
    if (!/^refs\/[^/]+\/.+/.test(ref)) throw unprocessable("Reference name must start with 'refs/' and have at least two slashes");
    if (repo.refs[ref]) throw unprocessable('Reference already exists');
    checkTarget(repo, ref, sha);
    state.setRef(repo, ref, sha, user!.login);
    sendGithubJson(ctx.res, 201, json.ref(repo, ref), { location: json.ref(repo, ref).url });
  });

  route('PATCH', `${R}/refs/*`, { docs: `${D}/refs#update-a-reference`, ...WRITE }, async ({ ctx, repo, user, json: body }) => {
    const ref = refFrom(ctx.params['*']);
    const b = await body();
    const sha = text(b.sha, 'sha')!.toLowerCase();
    const current = repo.refs[ref];
    if (!current) throw unprocessable('Reference does not exist');
    checkTarget(repo, ref, sha);
    const fastForward = current === sha || (Boolean(state.commitOf(repo, current)) && state.isAncestor(repo, current, sha));
    if (b.force !== true && !fastForward) throw unprocessable('Update is not a fast forward');
    state.setRef(repo, ref, sha, user!.login);
    sendGithubJson(ctx.res, 200, json.ref(repo, ref));
  });

  route('DELETE', `${R}/refs/*`, { docs: `${D}/refs#delete-a-reference`, ...WRITE }, ({ ctx, repo, user }) => {
    const ref = refFrom(ctx.params['*']);
    if (!repo.refs[ref]) throw unprocessable('Reference does not exist');
    state.setRef(repo, ref, undefined, user!.login);
    sendNoContent(ctx.res);
  });

  /** A branch points at a commit; other refs at any object of the repository. */
  function checkTarget(repo: Repo, ref: string, sha: string): void {
    const type = state.typeOf(repo, sha);
    if (!type) throw unprocessable('Object does not exist');
    if (ref.startsWith('refs/heads/') && type !== 'commit') throw unprocessable('Object is not a commit');
  }

  function signature(v: unknown, who: CommitObject['author'], field: string): CommitObject['author'] {
    if (v === undefined || v === null) return who;
    if (typeof v !== 'object') throw invalidField(field, v, 'an object');
    const s = v as Record<string, unknown>;
    const name = text(s.name, `${field}/name`)!;
    const email = text(s.email, `${field}/email`)!;
    const date = text(s.date, `${field}/date`, false);
    const time = date === undefined ? who : signatureTime(date);
    if (!time) throw invalidField(`${field}/date`, date, 'a date in ISO 8601 format');
    return { name, email, seconds: time.seconds, tz: time.tz };
  }
}
