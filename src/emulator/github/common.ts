// What the route modules of the local GitHub share: how a route is declared (the permissions it
// needs, the docs page its errors name), what a handler gets, and GitHub's conventions for identities
// and repository names.
import type { EmulatorServices } from '../platform';
import type { RequestContext } from '../router';
import type { Actor, Need } from './auth';
import type { GithubUser } from './config';
import type { CommitObject } from './git';
import type { GithubJson } from './json';
import type { PagesBuilds } from './pages';
import type { GithubState, Repo } from './state';

export interface Call {
  ctx: RequestContext;
  actor: Actor;
  /** The token's user; undefined for an anonymous caller (only public reads get that far). */
  user: GithubUser | undefined;
  /** The repository of a /repos/{owner}/{repo}/… route (resolved, visible to the caller). */
  repo: Repo;
  /** The JSON object of the body: 400 "Problems parsing JSON" otherwise. */
  json(limit?: number): Promise<Record<string, unknown>>;
}

export interface RouteSpec {
  /** The docs page of the operation (GitHub's documentation_url). */
  docs: string;
  needs?: Need[];
  /** A Git Data route: 409 "Git Repository is empty." on a repository without any ref. */
  git?: boolean;
}

export type Register = (method: string, pattern: string, spec: RouteSpec, handler: (call: Call) => Promise<void> | void) => void;

export interface GithubDeps {
  services: EmulatorServices;
  state: GithubState;
  pages: PagesBuilds;
  json: GithubJson;
}

export const DOCS = 'https://docs.github.com/rest';

/** The commit identity of a user, as GitHub fills it in: the user's name and no-reply address. */
export function identity(user: GithubUser, nowMs: number): CommitObject['author'] {
  return { name: user.name, email: `${user.id}+${user.login}@users.noreply.github.com`, seconds: Math.floor(nowMs / 1000), tz: '+0000' };
}

/** GitHub keeps ASCII letters, digits, ".", "-" and "_" of a repository name; anything else becomes "-". */
export const normalizeRepoName = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '-');
