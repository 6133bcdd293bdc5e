// Runs before every app route (at `next start`, so environment changes apply without a rebuild):
// the app and the preview origin answer disjoint paths, and app answers carry the security headers.
// The body-heavy routes are not matched: a proxy buffers request bodies (up to 10 MB, then cuts them).
import { NextResponse, type NextRequest } from 'next/server';
import { getEnv } from '@/server/env';
import { appSecurityHeaders } from '@/server/http/security-headers';
import { isPreviewHost, PREVIEW_PATH_PREFIX, previewNotFound } from '@/server/preview/host';

export function proxy(request: NextRequest) {
  const env = getEnv();
  const previewPath = request.nextUrl.pathname.startsWith(PREVIEW_PATH_PREFIX);
  if (isPreviewHost(request.headers, env.previewOrigin)) {
    if (!previewPath) return previewNotFound();
    // User HTML lives here: no cookie reaches the route, whatever the browser sends.
    const headers = new Headers(request.headers);
    headers.delete('cookie');
    return NextResponse.next({ request: { headers } });
  }
  const security = appSecurityHeaders({ development: env.nodeEnv === 'development', production: env.isProduction, previewOrigin: env.previewOrigin });
  const response = previewPath
    ? new NextResponse('Not found', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } })
    : NextResponse.next();
  security.forEach((value, name) => response.headers.set(name, value));
  return response;
}

export const config = {
  matcher: ['/((?!api/blobs|api/[a-z]+-deploy|api/trpc).*)'],
};
