// Some APIs take the rest of the URL as one parameter (a file's path in an upload URL, a git ref with
// slashes), which the shared one-segment-per-parameter Router cannot express: this Router also accepts
// patterns ending in `/*`, whose tail is handed over still percent-encoded (the handler decodes once).
import { Router, type Handler } from './router';

interface TailRoute {
  method: string;
  pattern: string;
  handler: Handler;
  head: string[];
}

export class TailRouter extends Router {
  private tails: TailRoute[] = [];

  /** `pattern` ends in `/*`; the tail arrives as params['*'], raw. */
  addTail(method: string, pattern: string, handler: Handler): this {
    this.tails.push({ method, pattern, handler, head: pattern.slice(0, -2).split('/').slice(1) });
    return this;
  }

  override match(method: string, rawPath: string): ReturnType<Router['match']> {
    const plain = super.match(method, rawPath);
    if ('route' in plain) return plain;
    const parts = rawPath.split('/').slice(1);
    let pathMatched = plain.methodNotAllowed;
    for (const tail of this.tails) {
      if (parts.length <= tail.head.length) continue;
      const params: Record<string, string> = {};
      let ok = true;
      tail.head.forEach((seg, i) => {
        const part = parts[i]!;
        if (!seg.startsWith(':')) ok &&= seg === part;
        else if (part === '') ok = false;
        else
          try {
            params[seg.slice(1)] = decodeURIComponent(part);
          } catch {
            ok = false;
          }
      });
      if (!ok) continue;
      params['*'] = parts.slice(tail.head.length).join('/');
      if (tail.method === method)
        return { route: { method: tail.method, pattern: tail.pattern, handler: tail.handler, segments: [...tail.head, '*'] }, params };
      pathMatched = true;
    }
    return { methodNotAllowed: pathMatched };
  }
}
