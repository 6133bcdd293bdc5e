// Amplify's restJson1 wire format for answers and errors: clients find the error code in the
// `x-amzn-ErrorType` header and the text in the body's `message` (@aws-sdk/client-amplify's restJson1 deserializer).
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { FiredFault } from '../faults';
import type { ErrorKind } from '../platform';

export class AmplifyError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (message: string) => new AmplifyError(400, 'BadRequestException', message);
export const notFound = (message: string) => new AmplifyError(404, 'NotFoundException', message);
export const limitExceeded = (message: string) => new AmplifyError(429, 'LimitExceededException', message);

/** AWS's standard wording for a request member that fails the model's constraints. */
export const validation = (member: string, value: unknown, constraint: string) =>
  badRequest(
    `1 validation error detected: Value ${value === undefined || value === null ? 'null' : `'${String(value)}'`} at '${member}' failed to satisfy constraint: ${constraint}`,
  );

/** Headers every Amplify answer carries; Date is the emulator's clock, which the SDK uses to correct skew. */
function awsHeaders(now: number): Record<string, string> {
  return { 'x-amzn-RequestId': randomUUID(), date: new Date(now).toUTCString() };
}

export function sendAwsJson(res: ServerResponse, status: number, body: unknown, now: number, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...awsHeaders(now), ...headers });
  res.end(text);
}

export function sendAwsError(res: ServerResponse, err: AmplifyError, now: number): void {
  sendAwsJson(res, err.status, { message: err.message }, now, { 'x-amzn-ErrorType': err.type, ...err.headers });
}

/**
 * Framework errors (no route, body too large, a crash). An unknown path is not an Amplify entity,
 * so it is UnknownOperationException rather than NotFoundException, which the SDK would map to
 * "app/branch/job not found" and mislead the caller.
 */
export function frameworkError(kind: ErrorKind, message: string): AmplifyError {
  switch (kind) {
    case 'not_found':
      return new AmplifyError(404, 'UnknownOperationException', message);
    case 'method_not_allowed':
      return new AmplifyError(405, 'UnknownOperationException', message);
    case 'too_large':
      return new AmplifyError(413, 'RequestEntityTooLargeException', 'Request Entity Too Large');
    case 'internal':
      return new AmplifyError(500, 'InternalFailureException', message);
  }
}

/** An injected fault as Amplify would answer it: 429 is the (retried) LimitExceededException. */
export function faultError(fault: FiredFault): AmplifyError {
  const status = fault.status ?? 503;
  const retryAfter: Record<string, string> = fault.retryAfter !== undefined ? { 'Retry-After': String(fault.retryAfter) } : {};
  if (status === 429) return new AmplifyError(429, 'LimitExceededException', 'Rate exceeded', retryAfter);
  if (status === 500) return new AmplifyError(500, 'InternalFailureException', 'An internal error occurred. Try again later.');
  if (status >= 500) return new AmplifyError(status, 'DependentServiceFailureException', 'A dependent service failed. Try again later.', retryAfter);
  return new AmplifyError(status, 'BadRequestException', `Injected fault ${status}.`);
}
