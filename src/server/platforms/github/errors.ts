// GitHub's refusals as the product's errors: an answer's `{message, errors}`, the permission a
// fine-grained token lacks (the `X-Accepted-GitHub-Permissions` header, or the permission a call is
// known to need), and rate limits, whose 403s are made retryable like a 429.
import { errorForStatus, PlatformError } from '../http';

const LABEL = 'GitHub';

export class NameTaken extends PlatformError {}

/**
 * GitHub answers an exhausted rate limit with 403 or 429, `x-ratelimit-remaining: 0` and
 * `x-ratelimit-reset` (Unix seconds), and a secondary limit with `retry-after`, or with neither, in
 * which case it asks for a wait of at least a minute
 * (https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit).
 * Such a 403 becomes a 429 here, so the shared retry waits for it like any other.
 */
export async function rateLimitAsRetryable(res: Response): Promise<Response> {
  if (res.status !== 403 && res.status !== 429) return res;
  const text = await res.text();
  const exhausted = res.headers.get('x-ratelimit-remaining') === '0';
  const retryAfter = res.headers.get('retry-after');
  const limited = exhausted || retryAfter !== null || /rate limit/i.test(text);
  const headers = new Headers(res.headers);
  if (limited && !exhausted && retryAfter === null) headers.set('retry-after', '60');
  return new Response(text, { status: limited ? 429 : res.status, statusText: res.statusText, headers });
}

/** `pages=write,administration=write; contents=write` → "Pages (write) and Administration (write), or Contents (write)". */
export function permissionWords(header: string): string {
  const named = (pair: string) => {
    const [name = '', access = ''] = pair.trim().split('=');
    const words = name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());
    return access ? `${words} (${access})` : words;
  };
  return header
    .split(';')
    .map((set) => set.split(',').filter(Boolean).map(named).join(' and '))
    .filter(Boolean)
    .join(', or ');
}

/** GitHub's answer as the product's error: `{message, errors?, documentation_url}` JSON. */
export function githubError(operation: string, status: number, headers: Headers, raw: string, permission?: string): PlatformError {
  let said = raw.slice(0, 300);
  try {
    const body = JSON.parse(raw) as { message?: string; errors?: ({ message?: string; code?: string; field?: string } | string)[] };
    const details = (body.errors ?? []).map((e) => (typeof e === 'string' ? e : (e.message ?? [e.field, e.code].filter(Boolean).join(' ')))).filter(Boolean);
    if (body.message) said = details.length ? `${body.message.replace(/\.$/, '')} (${details.join('; ')})` : body.message;
  } catch {
    // not JSON: kept as it is
  }
  if (status === 401)
    return new PlatformError(
      'auth',
      'GitHub refused the access token: it may have expired or been revoked. Create a new fine-grained personal access token on GitHub (Settings → Developer settings → Personal access tokens) and reconnect in Settings.',
      said || 'HTTP 401',
    );
  const accepted = headers.get('x-accepted-github-permissions');
  if (status === 403 && (accepted || /not accessible by (personal access token|integration)/i.test(said))) {
    const needed = accepted ? permissionWords(accepted) : (permission ?? 'more repository permissions');
    return new PlatformError(
      'auth',
      `Your GitHub token may not ${operation}: it needs the repository permissions ${needed}. Edit the token on GitHub (Settings → Developer settings → Fine-grained tokens), give it that permission for all repositories, then deploy again.`,
      said,
    );
  }
  if (status === 403) return new PlatformError('auth', `GitHub refused to ${operation}: ${said || 'forbidden'}.`, said);
  if (status === 422 && /name already exists/i.test(said)) return new NameTaken('conflict', 'That repository name is taken in your GitHub account.', said);
  if (status === 422) return new PlatformError('bad_request', `GitHub refused to ${operation}: ${said}`, said);
  if (status === 409) return new PlatformError('conflict', `GitHub could not ${operation}: ${said}`, said);
  return errorForStatus(`${LABEL} (${operation})`, status, said);
}
