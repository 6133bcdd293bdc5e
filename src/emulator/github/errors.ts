// GitHub's REST answers: JSON with `application/json; charset=utf-8`, errors as
// `{message, errors?, documentation_url, status}` where `status` is the code as a string (what
// api.github.com sends today, e.g. {"message":"Bad credentials","documentation_url":
// "https://docs.github.com/rest","status":"401"}), and a validation failure (422) with an `errors`
// array of `{resource, code, field, message}` (docs: "Getting started with the REST API",
// "Troubleshooting the REST API").
import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FiredFault } from '../faults';
import type { ErrorKind } from '../platform';

export const REST_DOCS = 'https://docs.github.com/rest';

export class GithubError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** Other fields of the body (`errors`), placed before documentation_url as GitHub does. */
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
    /** The page of the docs the answer names; the route's own when undefined. */
    readonly docs?: string,
  ) {
    super(message);
  }
}

/** Headers of every API answer (the request id is random, like GitHub's). */
export function githubHeaders(): Record<string, string> {
  return {
    'x-github-api-version-selected': '2022-11-28',
    'x-github-media-type': 'github.v3; format=json',
    'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
  };
}

export function sendGithubJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...githubHeaders(),
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

/** An answer without a body (204). */
export function sendNoContent(res: ServerResponse): void {
  res.writeHead(204, githubHeaders());
  res.end();
}

export function sendGithubError(res: ServerResponse, err: GithubError, routeDocs = REST_DOCS): void {
  const body = { message: err.message, ...err.extra, documentation_url: err.docs ?? routeDocs, status: String(err.status) };
  sendGithubJson(res, err.status, body, err.headers);
}

export const notFound = () => new GithubError(404, 'Not Found');
export const badCredentials = () => new GithubError(401, 'Bad credentials', {}, {}, REST_DOCS);
export const requiresAuthentication = () => new GithubError(401, 'Requires authentication');
export const conflict = (message: string) => new GithubError(409, message);
export const unprocessable = (message: string) => new GithubError(422, message);

/**
 * The fine-grained refusal: 403 with the permission sets that would do, comma-separated within a set
 * ("Troubleshooting the REST API": "Resource not accessible by personal access token").
 */
export const notAccessible = (accepted: string) =>
  new GithubError(403, 'Resource not accessible by personal access token', {}, { 'x-accepted-github-permissions': accepted });

/** The JSON-schema refusals: `Invalid request.\n\n"name" wasn't supplied.` and the like. */
export const missingField = (field: string) => new GithubError(422, `Invalid request.\n\n"${field}" wasn't supplied.`);
export const invalidField = (field: string, value: unknown, expected: string) =>
  new GithubError(422, `Invalid request.\n\nFor 'properties/${field}', ${JSON.stringify(value)} is not ${expected}.`);

/** A 422 "Validation Failed" with GitHub's `errors` array. */
export const validationFailed = (message: string, errors: { resource: string; code: string; field: string; message?: string }[]) =>
  new GithubError(422, message, { errors });

/** Errors of the server itself (no route, too large, a crash) in GitHub's shape. */
export function frameworkError(kind: ErrorKind): GithubError {
  switch (kind) {
    case 'not_found':
    case 'method_not_allowed':
      // GitHub answers an unknown path, or a known path with another method, with 404.
      return new GithubError(404, 'Not Found', {}, {}, REST_DOCS);
    case 'too_large':
      return new GithubError(413, 'Request body too large', {}, {}, REST_DOCS);
    case 'internal':
      return new GithubError(500, 'Server Error', {}, {}, REST_DOCS);
  }
}

/** An injected fault: a 429 is GitHub's secondary rate limit (with Retry-After), 5xx a server error. */
export function faultError(fault: FiredFault): GithubError {
  const status = fault.status ?? 502;
  const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
  if (status === 429)
    return new GithubError(
      429,
      'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
      {},
      headers,
      'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
    );
  return new GithubError(status, status === 502 ? 'Server Error' : 'Service Unavailable', {}, headers, REST_DOCS);
}
