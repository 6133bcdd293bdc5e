// How a platform's failure reaches a person: the one table from a failure's kind (`PlatformError.kind`,
// src/server/platforms/http.ts, which is also what a failed deployment keeps as its `error_code`, plus
// `internal` for failures of ours) to our error code, its HTTP status, the action offered, and what a
// quick deploy says in our own words. A failure means something different while deploying (the status
// JSON) than while verifying credentials (connecting an account), so the table has a column for each.
import { AppError, HTTP_STATUS, type AppErrorCode, type ErrorAction } from '../errors';
import type { PlatformError, PlatformErrorKind } from '../platforms/http';

/** What a failed deployment's `error_code` holds. */
export type FailureCode = PlatformErrorKind | 'internal';

interface Answer {
  code: AppErrorCode;
  action: ErrorAction;
}

interface Failure {
  /** A deployment that failed this way (GET /api/deploy-status: `httpStatus`, `action`). */
  deployment: Answer;
  /** Credentials the platform answered this way while being verified (Settings: connect, test). */
  connection: Answer;
  /** What the user is told when a quick deploy fails this way: the shared account's own words stay in the log. */
  ourWords: string;
}

const FAILURES: Record<FailureCode, Failure> = {
  auth: {
    deployment: { code: 'UNAUTHORIZED', action: 'settings' },
    connection: { code: 'BAD_REQUEST', action: 'settings' },
    ourWords: 'Quick deploy is unavailable right now. Try again later, or deploy to your own account.',
  },
  quota: {
    deployment: { code: 'TOO_MANY_REQUESTS', action: 'wait' },
    connection: { code: 'TOO_MANY_REQUESTS', action: 'settings' },
    ourWords: 'Quick deploy is at its limit right now. Try again later, or deploy to your own account.',
  },
  unavailable: {
    deployment: { code: 'BAD_GATEWAY', action: 'retry' },
    connection: { code: 'BAD_GATEWAY', action: 'retry' },
    ourWords: 'The hosting platform is having trouble right now. Deploy again in a few minutes.',
  },
  timeout: {
    deployment: { code: 'GATEWAY_TIMEOUT', action: 'status' },
    connection: { code: 'BAD_GATEWAY', action: 'settings' },
    ourWords: 'The hosting platform took too long to answer. Deploy again in a moment.',
  },
  bad_request: {
    deployment: { code: 'BAD_REQUEST', action: 'fix-files' },
    connection: { code: 'BAD_REQUEST', action: 'settings' },
    ourWords: "The hosting platform refused this site. Check its files, or deploy to your own account to see the platform's own message.",
  },
  not_found: {
    deployment: { code: 'INTERNAL', action: 'retry' },
    connection: { code: 'BAD_GATEWAY', action: 'settings' },
    ourWords: 'The hosting platform lost track of this site. Deploy again.',
  },
  conflict: {
    deployment: { code: 'INTERNAL', action: 'retry' },
    connection: { code: 'BAD_GATEWAY', action: 'settings' },
    ourWords: 'The hosting platform is busy with this site. Deploy again in a moment.',
  },
  internal: {
    deployment: { code: 'INTERNAL', action: 'retry' },
    connection: { code: 'INTERNAL', action: 'retry' },
    ourWords: 'Something went wrong on our side while deploying. Deploy again in a moment.',
  },
};

const failureOf = (code: string | null): Failure => FAILURES[(code ?? '') as FailureCode] ?? FAILURES.internal;

/** The HTTP status and the action of a failed deployment, from its `error_code` (an unknown one counts as ours). */
export function deploymentFailure(errorCode: string | null): { httpStatus: number; action: ErrorAction } {
  const { code, action } = failureOf(errorCode).deployment;
  return { httpStatus: HTTP_STATUS[code], action };
}

/** What a failed deployment tells the user in our words: a quick deploy's platform failure, or a failure of ours. */
export function ourWordsFor(code: FailureCode): string {
  return FAILURES[code].ourWords;
}

/** The error for credentials the platform did not accept while being verified. */
export function connectionRefused(err: PlatformError): AppError {
  const { code, action } = FAILURES[err.kind].connection;
  return new AppError(code, err.kind === 'auth' ? `These credentials were refused: ${err.message}` : err.message).withAction(action);
}
