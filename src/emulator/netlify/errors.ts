// Netlify's error answers (spec §6): `{code, message}` JSON for most, `{errors: {subdomain: [...]}}`
// for a site name conflict, and a plain-text body for a bad token, which the JS client reads as a
// TextHTTPError. Every answer carries the X-RateLimit-* headers of the caller's window.
import type { ServerResponse } from 'node:http';
import type { FiredFault } from '../faults';
import { sendJson, sendText } from '../http';
import type { ErrorKind } from '../platform';

export class NetlifyError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
    /** A body other than {code, message} (the name conflict). */
    readonly body?: unknown,
  ) {
    super(message);
  }
}

export const notFound = () => new NetlifyError(404, 'Not Found');
export const unprocessable = (message: string) => new NetlifyError(422, message);
export const badRequest = (message: string) => new NetlifyError(400, message);
export const unauthorized = () => new NetlifyError(401, 'Unauthorized');
export const nameTaken = () => new NetlifyError(422, 'subdomain must be unique', {}, { errors: { subdomain: ['must be unique'] } });
export const nameInvalid = () => new NetlifyError(422, 'subdomain is invalid', {}, { errors: { subdomain: ['is invalid'] } });

export function sendNetlifyError(res: ServerResponse, err: NetlifyError): void {
  if (err.status === 401) return sendText(res, 401, 'Unauthorized', err.headers);
  sendJson(res, err.status, err.body ?? { code: err.status, message: err.message }, err.headers);
}

export function frameworkError(kind: ErrorKind): NetlifyError {
  switch (kind) {
    case 'not_found':
      return notFound();
    case 'method_not_allowed':
      return new NetlifyError(405, 'Method Not Allowed');
    case 'too_large':
      return new NetlifyError(413, 'Request Entity Too Large');
    case 'internal':
      return new NetlifyError(500, 'Internal Server Error');
  }
}

/** An injected fault; a 429 names its wait the way Netlify does, as X-RateLimit-Reset in Unix seconds. */
export function faultError(fault: FiredFault, nowMs: number): NetlifyError {
  const status = fault.status ?? 503;
  if (status === 429) {
    const reset = Math.floor(nowMs / 1000) + (fault.retryAfter ?? 1);
    return new NetlifyError(429, 'API rate limit exceeded', { 'x-ratelimit-limit': '500', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) });
  }
  return new NetlifyError(status, status >= 500 ? 'Internal Server Error' : `Injected fault ${status}`);
}
