// Vercel's error envelope: {"error": {"code", "message", …extra}} with JSON content type (spec §6).
import type { ServerResponse } from 'node:http';
import type { FiredFault } from '../faults';
import { sendJson } from '../http';
import type { ErrorKind } from '../platform';

export class VercelError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function sendVercelError(res: ServerResponse, err: VercelError): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message, ...err.extra } }, err.headers);
}

export const notFound = (message = 'The requested resource was not found') => new VercelError(404, 'not_found', message);
export const badRequest = (message: string, code = 'bad_request', extra: Record<string, unknown> = {}) => new VercelError(400, code, message, extra);
export const forbidden = (message = "You don't have permission to access this resource") => new VercelError(403, 'forbidden', message);

/** Framework errors (no route, body too large, a crash) in Vercel's shape. */
export function frameworkError(kind: ErrorKind, message: string): VercelError {
  switch (kind) {
    case 'not_found':
      return new VercelError(404, 'not_found', message);
    case 'method_not_allowed':
      return new VercelError(405, 'method_not_allowed', message);
    case 'too_large':
      return new VercelError(413, 'payload_too_large', 'The request body is too large.');
    case 'internal':
      return new VercelError(500, 'internal_server_error', 'An unexpected internal error occurred.');
  }
}

/** An injected fault as Vercel would answer it. */
export function faultError(fault: FiredFault): VercelError {
  const status = fault.status ?? 500;
  const headers: Record<string, string> = fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {};
  if (status === 429) return new VercelError(429, 'rate_limited', 'Rate limit exceeded', {}, headers);
  return new VercelError(status, 'internal_server_error', 'An unexpected internal error occurred.', {}, headers);
}
