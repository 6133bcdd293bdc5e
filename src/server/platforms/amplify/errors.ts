// Amplify's refusals as the product's errors: the error code as the AWS SDK finds it
// (`x-amzn-ErrorType`, then the body), its message, quotas told apart from throttling, and the
// answer of a create that was lost.
import { errorForStatus, PlatformError } from '../http';

export const LABEL = 'Amplify';
const AUTH_ERRORS = new Set([
  'InvalidSignatureException',
  'UnrecognizedClientException',
  'AccessDeniedException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'UnauthorizedException',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
]);

/**
 * The answer of a call that must not be sent twice (CreateDeployment) was lost: a timeout or a cut
 * connection after the request may have been handled. The caller reads what happened before it asks again.
 */
export class AnswerLostError extends PlatformError {
  constructor(operation: string, cause: string, timedOut: boolean) {
    super(timedOut ? 'timeout' : 'unavailable', `${LABEL} (${operation}) did not answer; it may have been done. Try again in a moment.`, cause);
  }
}

/** The error code as @aws-sdk/client-amplify's restJson1 deserializer finds it: header first (without `:…` suffix or `ns#` prefix), then the body. */
export function errorCode(res: Response, body: Record<string, unknown> | undefined): string {
  const raw = res.headers.get('x-amzn-errortype') ?? String(body?.code ?? body?.Code ?? body?.__type ?? '');
  return raw.split(/[:,]/)[0]!.split('#').pop()!.trim();
}

export function errorMessage(body: Record<string, unknown> | undefined, text: string): string {
  const m = body?.message ?? body?.Message;
  return typeof m === 'string' ? m : text.slice(0, 500);
}

export function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** 429 is overloaded (LimitExceededException is both a throttle and an exhausted quota): a throttle is worth retrying, an exhausted quota is not. */
export function isThrottle(code: string, message: string, res: Response): boolean {
  if (res.headers.has('retry-after')) return true;
  if (code === 'ThrottlingException' || code === 'TooManyRequestsException') return true;
  if (code !== 'LimitExceededException') return true;
  return /rate exceeded|throttl|too many requests|slow down/i.test(message);
}

export function quotaError(operation: string, said: string): PlatformError {
  switch (operation) {
    case 'CreateBranch':
      return new PlatformError(
        'quota',
        'The Amplify app has reached its limit of 50 branches (AWS does not raise it). Remove sites you no longer need from Amplify, then deploy again.',
        said,
      );
    case 'CreateApp':
      return new PlatformError(
        'quota',
        'The AWS account has reached its limit of Amplify apps in this region. Delete an app you no longer need in the Amplify console (or ask AWS for a higher quota), then deploy again.',
        said,
      );
    case 'CreateDeployment':
    case 'StartDeployment':
      return new PlatformError(
        'quota',
        'The AWS account has reached its limit of concurrent Amplify jobs. Wait for other deployments to finish, then deploy again.',
        said,
      );
    default:
      return new PlatformError('quota', `Amplify refused ${operation} because a service quota was reached. Wait a minute and try again.`, said);
  }
}

/** The product's error for an Amplify error answer; AWS's own message stays in platformMessage. */
export function amplifyError(operation: string, status: number, code: string, message: string): PlatformError {
  const label = `${LABEL} (${operation})`;
  const said = message || code || `HTTP ${status}`;
  if (AUTH_ERRORS.has(code)) {
    const what =
      code === 'AccessDeniedException'
        ? `AWS refused the access keys: they are not allowed to call amplify:${operation}. Reconnect your account in Settings with keys whose IAM policy allows Amplify deployments.`
        : 'AWS refused the access keys. Reconnect your account in Settings with a valid access key ID and secret access key for this region.';
    return new PlatformError('auth', what, said);
  }
  if (code === 'LimitExceededException') return quotaError(operation, said);
  if (code === 'NotFoundException' || code === 'ResourceNotFoundException')
    return new PlatformError('not_found', `${label} could not find what we asked for: ${said.slice(0, 300)}`, said);
  if (code === 'BadRequestException') return new PlatformError('bad_request', `${label} refused the request: ${said.slice(0, 300)}`, said);
  if (status >= 500) return new PlatformError('unavailable', `${label} is having trouble right now. Try again in a few minutes.`, said);
  return errorForStatus(label, status, said);
}
