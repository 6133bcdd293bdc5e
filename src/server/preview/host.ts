// Which origin a request was sent to: the app's, or the preview origin's (user HTML, no cookies).
// Read from the headers Next itself trusts (X-Forwarded-Host behind a proxy, else Host): a browser
// cannot set either, and the browser is who this split protects.
import { getEnv } from '../env';

export function requestHost(headers: Headers): string {
  const forwarded = headers.get('x-forwarded-host')?.split(',')[0]?.trim();
  return (forwarded || headers.get('host') || '').toLowerCase();
}

/** True when the request is for the preview origin (never true while previews are off). */
export function isPreviewHost(headers: Headers, previewOrigin = getEnv().previewOrigin): boolean {
  return previewOrigin !== undefined && requestHost(headers) === new URL(previewOrigin).host;
}

export const PREVIEW_PATH_PREFIX = '/preview/';

/** Sent with every preview answer. */
export const PREVIEW_COMMON_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // The token is in the URL: never hand it to a site the preview links to.
  'referrer-policy': 'no-referrer',
  // The sandboxed page has an opaque origin: its module scripts and fetches of its own files are
  // cross-origin. Nothing here is credentialed (no cookies on this origin; the token is the key).
  'access-control-allow-origin': '*',
};

export function previewNotFound(message = 'Not found'): Response {
  return new Response(message, { status: 404, headers: { ...PREVIEW_COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' } });
}
