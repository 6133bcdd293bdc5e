// The local GitHub's users, fine-grained personal access tokens and limits. A fine-grained token
// belongs to one user, covers all of that user's repositories here, and carries a permission set;
// only the three permissions a Pages deploy meets are modelled (the docs' table "Permissions required
// for fine-grained personal access tokens", data file github/docs
// src/github-apps/data/fpt-2022-11-28/fine-grained-pat-permissions.json). Metadata read, which every
// fine-grained token has, is implied.
import { LOCAL_GITHUB } from '@/lib/platforms/github/local';

export type Access = 'read' | 'write';
export type Permission = 'contents' | 'pages' | 'administration';

export interface GithubUser {
  login: string;
  id: number;
  name: string;
  /** GitHub Free cannot publish Pages from a private repository (Pro, Team and Enterprise can). */
  plan?: 'free' | 'pro';
}

export interface GithubToken {
  /** `github_pat_` + 82 characters of [A-Za-z0-9_], as GitHub issues them. */
  value: string;
  name: string;
  /** The resource owner: the user whose repositories the token reaches. */
  login: string;
  /** A permission left out is "No access". Write includes read. */
  permissions: Partial<Record<Permission, Access>>;
}

export interface GithubConfig {
  users: GithubUser[];
  tokens: GithubToken[];
  /** The primary rate limit per user and hour (GitHub: 5,000 for a personal access token). */
  requestsPerHour: number;
  /** The same for requests without a token, per client address (GitHub: 60). */
  anonymousRequestsPerHour: number;
  /** How long a Pages build stays `queued`, then `building`, before `built` (on the cloud clock). */
  buildStepMs: number;
  /** The largest blob the Git database takes (GitHub: 100 MB). */
  maxBlobBytes: number;
}

export function defaultGithubConfig(): GithubConfig {
  const all = { contents: 'write', pages: 'write', administration: 'write' } as const;
  return {
    users: [
      { login: LOCAL_GITHUB.login, id: LOCAL_GITHUB.userId, name: LOCAL_GITHUB.name, plan: 'free' },
      { login: LOCAL_GITHUB.otherLogin, id: 90_000_002, name: 'Local Octo', plan: 'free' },
    ],
    tokens: [
      { value: LOCAL_GITHUB.adminToken, name: 'huskit admin', login: LOCAL_GITHUB.login, permissions: all },
      { value: LOCAL_GITHUB.deployToken, name: 'huskit deploy', login: LOCAL_GITHUB.login, permissions: { contents: 'write', pages: 'write' } },
      { value: LOCAL_GITHUB.readOnlyToken, name: 'huskit read', login: LOCAL_GITHUB.login, permissions: { contents: 'read', pages: 'read' } },
      { value: LOCAL_GITHUB.otherToken, name: 'octo admin', login: LOCAL_GITHUB.otherLogin, permissions: all },
    ],
    requestsPerHour: 1_000_000,
    anonymousRequestsPerHour: 1_000_000,
    buildStepMs: 1000,
    maxBlobBytes: 100 * 1024 * 1024,
  };
}
