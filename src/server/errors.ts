// The product's error taxonomy: every failure a person can meet has a code, an HTTP status and a
// message that says what to do. Route handlers and tRPC map these; domain code throws them.
import type { ZodError } from 'zod';
import type { FieldErrors } from '@/lib/account';

export type AppErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL'
  | 'BAD_GATEWAY'
  | 'GATEWAY_TIMEOUT';

/** The HTTP status of each code. */
export const HTTP_STATUS: Record<AppErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  BAD_GATEWAY: 502,
  GATEWAY_TIMEOUT: 504,
};

/** The one next step an error offers a person (the UI renders it as the primary button). */
export type ErrorAction = 'settings' | 'retry' | 'wait' | 'use-own-account' | 'status' | 'fix-files' | 'sign-in';

export class AppError extends Error {
  readonly status: number;
  action?: ErrorAction;
  retryAfterSeconds?: number;
  constructor(
    readonly code: AppErrorCode,
    message: string,
    readonly fieldErrors?: FieldErrors,
  ) {
    super(message);
    this.name = 'AppError';
    this.status = HTTP_STATUS[code];
  }

  withAction(action: ErrorAction, retryAfterSeconds?: number): this {
    this.action = action;
    if (retryAfterSeconds !== undefined) this.retryAfterSeconds = retryAfterSeconds;
    return this;
  }
}

export const notFound = (what: string) => new AppError('NOT_FOUND', `${what} was not found.`);

/**
 * The first issue of an input refusal that names what to do (`params.action`, as a site of too many
 * files does: fix the files), with its message: REST and tRPC answer it as the domain's own error.
 */
export function actingIssue(error: ZodError): { message: string; action: ErrorAction } | undefined {
  for (const issue of error.issues) {
    const action = (issue as { params?: { action?: ErrorAction } }).params?.action;
    if (action) return { message: issue.message, action };
  }
  return undefined;
}
