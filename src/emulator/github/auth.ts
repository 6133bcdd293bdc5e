// Who is calling the local GitHub, within which rate limit, and whether the token may do what it asks.
// - `Authorization: Bearer <token>` and `token <token>` are both accepted (Octokit sends the latter);
//   an unknown token is 401 "Bad credentials". Without the header the caller is anonymous.
// - The primary rate limit is counted per user per hour (per address when anonymous), with the
//   x-ratelimit-limit/remaining/reset/used/resource headers on every answer; past it, 403 with
//   x-ratelimit-remaining: 0 ("Rate limits for the REST API", "Troubleshooting the REST API").
// - A fine-grained token reaches its own user's repositories with its permissions; a missing one is
//   403 "Resource not accessible by personal access token" with X-Accepted-GitHub-Permissions. A
//   private repository of someone else is 404; a public one may be read by anyone, with or without a
//   token (each endpoint's docs: "can be used without authentication ... if only public resources").
import type { RequestContext } from '../router';
import type { EmulatorServices } from '../platform';
import type { Access, GithubToken, GithubUser, Permission } from './config';
import { badCredentials, GithubError, notAccessible, notFound, requiresAuthentication } from './errors';
import type { Repo } from './state';

export type Actor = { kind: 'token'; token: GithubToken; user: GithubUser } | { kind: 'anonymous'; key: string };

/** A permission a route needs, e.g. ['contents', 'write']. */
export type Need = [Permission, Access];

const HOUR = 3600_000;
const RATE_LIMIT_DOCS = 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api';

export const acceptedPermissions = (needs: Need[]) => needs.map(([p, a]) => `${p}=${a}`).join(',');

export class GithubAuth {
  private windows = new Map<string, { start: number; count: number }>();

  constructor(private readonly services: EmulatorServices) {}

  reset(): void {
    this.windows.clear();
  }

  authenticate(ctx: RequestContext): Actor {
    const config = this.services.config.github;
    const header = ctx.req.headers.authorization;
    if (header === undefined) {
      const key = ctx.req.socket.remoteAddress ?? 'local';
      this.count(ctx, `ip:${key}`, config.anonymousRequestsPerHour, `API rate limit exceeded for ${key}.`);
      return { kind: 'anonymous', key };
    }
    const m = /^(?:bearer|token)\s+(\S+)\s*$/i.exec(header);
    const token = m ? config.tokens.find((t) => t.value === m[1]) : undefined;
    const user = token && config.users.find((u) => u.login === token.login);
    if (!token || !user) {
      // A refused token still gets the anonymous window's headers.
      this.headers(ctx, this.tick(`ip:${ctx.req.socket.remoteAddress ?? 'local'}`, false), config.anonymousRequestsPerHour);
      throw badCredentials();
    }
    this.count(ctx, `user:${user.id}`, config.requestsPerHour, `API rate limit exceeded for user ID ${user.id}.`);
    return { kind: 'token', token, user };
  }

  private tick(key: string, count = true): { start: number; count: number } {
    const now = this.services.clock.now();
    const current = this.windows.get(key);
    const w = !current || now - current.start >= HOUR ? { start: now, count: 0 } : current;
    if (count) w.count++;
    this.windows.set(key, w);
    return w;
  }

  private headers(ctx: RequestContext, w: { start: number; count: number }, limit: number): Record<string, string> {
    const headers = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - w.count)),
      'x-ratelimit-reset': String(Math.ceil((w.start + HOUR) / 1000)),
      'x-ratelimit-used': String(Math.min(w.count, limit)),
      'x-ratelimit-resource': 'core',
    };
    for (const [name, value] of Object.entries(headers)) ctx.res.setHeader(name, value);
    return headers;
  }

  private count(ctx: RequestContext, key: string, limit: number, message: string): void {
    const w = this.tick(key);
    this.headers(ctx, w, limit);
    if (w.count > limit) throw new GithubError(403, message, {}, {}, RATE_LIMIT_DOCS);
  }
}

const satisfies = (granted: Access | undefined, wanted: Access) => granted === 'write' || (granted === 'read' && wanted === 'read');

/** Refuses (404, 401 or 403) what the actor may not do; `repo` is the repository the route acts on. */
export function authorize(actor: Actor, needs: Need[], repo: Repo | undefined): void {
  const readOnly = needs.every(([, access]) => access === 'read');
  if (actor.kind === 'anonymous') {
    if (repo?.private) throw notFound();
    if (repo && readOnly) return;
    throw requiresAuthentication();
  }
  if (repo && repo.ownerLogin.toLowerCase() !== actor.token.login.toLowerCase()) {
    if (repo.private) throw notFound();
    if (readOnly) return;
    throw notAccessible(acceptedPermissions(needs));
  }
  if (repo && !repo.private && readOnly) return;
  if (needs.some(([permission, access]) => !satisfies(actor.token.permissions[permission], access))) throw notAccessible(acceptedPermissions(needs));
}
