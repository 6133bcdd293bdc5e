// Routes by method and path pattern (`/accounts/:account/workers/scripts/:script`). Parameters are
// matched on the raw path, one segment each, then percent-decoded: `feature%2Fx` is one segment.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DeploymentPlatform } from '@/lib/deployment';

/** A platform's API, the S3-style upload URLs, or the served sites. */
export type FaultTarget = DeploymentPlatform | 's3' | 'sites';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** The raw (still percent-encoded) path, as the client sent it. */
  rawPath: string;
  params: Record<string, string>;
  /** The body, read once (counted in the stats under this route). */
  body(limit?: number): Promise<Buffer>;
  /** For handlers that stream the body themselves: count what they read in the stats. */
  countBytes(n: number): void;
}

export type Handler = (ctx: RequestContext) => Promise<void> | void;

export interface Route {
  method: string;
  pattern: string;
  handler: Handler;
}

interface CompiledRoute extends Route {
  segments: string[];
}

export class Router {
  private routes: CompiledRoute[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    this.routes.push({ method, pattern, handler, segments: pattern.split('/').slice(1) });
    return this;
  }

  /** The route for a path, or whether the path exists under another method. */
  match(method: string, rawPath: string): { route: CompiledRoute; params: Record<string, string> } | { methodNotAllowed: boolean } {
    const parts = rawPath.split('/').slice(1);
    let pathMatched = false;
    for (const route of this.routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = route.segments[i]!;
        const part = parts[i]!;
        if (seg.startsWith(':')) {
          if (part === '') ok = false;
          else {
            try {
              params[seg.slice(1)] = decodeURIComponent(part);
            } catch {
              ok = false;
            }
          }
        } else ok = seg === part;
      }
      if (!ok) continue;
      if (route.method === method) return { route, params };
      pathMatched = true;
    }
    return { methodNotAllowed: pathMatched };
  }
}
