// The proxy function itself, called with real NextRequests as Next calls it, and its matcher read by
// Next's own matcher code: security headers on app answers, and the app / preview host split.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { NextRequest } from 'next/server';
import * as pageStaticInfo from 'next/dist/build/analysis/get-page-static-info';
import { getMiddlewareRouteMatcher } from 'next/dist/shared/lib/router/utils/middleware-route-matcher';
import { config, proxy } from './proxy';

// What `next build` turns the matcher into (internal to Next, hence untyped).
const { getMiddlewareMatchers } = pageStaticInfo as unknown as {
  getMiddlewareMatchers: (matcher: string[], nextConfig: object) => Parameters<typeof getMiddlewareRouteMatcher>[0];
};

const APP = 'http://127.0.0.1:3000';
const PREVIEW_HOST = 'preview.localhost:3000'; // the default preview origin outside production
const request = (path: string, host: string, headers: Record<string, string> = {}) => new NextRequest(`${APP}${path}`, { headers: { host, ...headers } });
/** Next continues to the route when the proxy answers with this header. */
const continues = (res: Response) => res.headers.get('x-middleware-next') === '1';

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('security headers on app answers', () => {
  it('a page gets CSP (frame-ancestors none, frames only from the preview origin), nosniff, Referrer-Policy, X-Frame-Options, Permissions-Policy', () => {
    const res = proxy(request('/dashboard', '127.0.0.1:3000'));
    expect(continues(res)).toBe(true);
    const csp = res.headers.get('content-security-policy')!;
    for (const directive of [
      "default-src 'self'",
      "script-src 'self' 'unsafe-inline'",
      "style-src 'self' 'unsafe-inline'",
      'frame-src http://preview.localhost:3000',
      "frame-ancestors 'none'",
      "base-uri 'self'",
      "form-action 'self'",
      "object-src 'none'",
    ])
      expect(csp.split('; ')).toContain(directive);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('permissions-policy')).toMatch(/camera=\(\), microphone=\(\), geolocation=\(\)/);
  });

  it('outside development there is no unsafe-eval and no ws:; outside production no HSTS', () => {
    const res = proxy(request('/', '127.0.0.1:3000'));
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).not.toContain('unsafe-eval');
    expect(csp).not.toContain('ws:');
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('in production: HSTS, and the frame-src of the configured preview origin (read at run time)', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    vi.stubEnv('SESSION_SECRET', 'a-production-session-secret-of-enough-length');
    vi.stubEnv('ENCRYPTION_KEYS', `k1:${Buffer.alloc(32, 9).toString('base64')}`);
    vi.stubEnv('CRON_SECRET', 'a-production-cron-secret');
    vi.stubEnv('PREVIEW_ORIGIN', 'https://preview.example-usercontent.com');
    const { proxy: productionProxy } = await import('./proxy');
    const res = productionProxy(request('/', 'app.example.com'));
    expect(res.headers.get('strict-transport-security')).toBe('max-age=63072000; includeSubDomains');
    expect(res.headers.get('content-security-policy')).toContain('frame-src https://preview.example-usercontent.com;');
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe-eval');
  });

  it('in production without PREVIEW_ORIGIN (previews off) the app allows no frames at all', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    vi.stubEnv('SESSION_SECRET', 'a-production-session-secret-of-enough-length');
    vi.stubEnv('ENCRYPTION_KEYS', `k1:${Buffer.alloc(32, 9).toString('base64')}`);
    vi.stubEnv('CRON_SECRET', 'a-production-cron-secret');
    vi.stubEnv('PREVIEW_ORIGIN', '');
    const { proxy: productionProxy } = await import('./proxy');
    expect(productionProxy(request('/', 'app.example.com')).headers.get('content-security-policy')).toContain("frame-src 'none'");
    expect(productionProxy(request('/preview/a/b/', 'app.example.com')).status).toBe(404);
  });

  it('in development: unsafe-eval and ws: for hot reload', async () => {
    vi.stubEnv('NODE_ENV', 'development');
    const { proxy: devProxy } = await import('./proxy');
    const csp = devProxy(request('/', 'localhost:3000')).headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self' 'unsafe-inline' 'unsafe-eval'");
    expect(csp).toContain("connect-src 'self' ws:");
  });
});

describe('the app and the preview origin answer disjoint paths', () => {
  it('a preview path on the app host is 404 (still with the app headers)', () => {
    const res = proxy(request('/preview/00000000-0000-4000-8000-000000000000/token/', '127.0.0.1:3000'));
    expect(res.status).toBe(404);
    expect(continues(res)).toBe(false);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
  });

  it('every other path on the preview host is 404 and sets no cookie: pages, auth endpoints, Next assets', () => {
    for (const path of ['/', '/dashboard', '/sign-in', '/api/auth/sign-in', '/api/me', '/_next/static/chunks/main.js']) {
      const res = proxy(request(path, PREVIEW_HOST, { cookie: 'huskit_session=x' }));
      expect(res.status, path).toBe(404);
      expect(continues(res), path).toBe(false);
      expect(res.headers.get('set-cookie'), path).toBeNull();
    }
  });

  it('the preview host is recognised by X-Forwarded-Host behind a proxy too', () => {
    expect(proxy(request('/dashboard', '10.0.0.5:3000', { 'x-forwarded-host': PREVIEW_HOST })).status).toBe(404);
  });

  it('a preview path on the preview host goes on to the route without the Cookie header', () => {
    const res = proxy(request('/preview/00000000-0000-4000-8000-000000000000/token/', PREVIEW_HOST, { cookie: 'huskit_session=x', accept: 'text/html' }));
    expect(continues(res)).toBe(true);
    const forwarded = res.headers.get('x-middleware-override-headers')!.split(',');
    expect(forwarded).toContain('accept');
    expect(forwarded).not.toContain('cookie');
    expect(res.headers.get('x-middleware-request-cookie')).toBeNull();
  });
});

describe('matcher', () => {
  const matches = getMiddlewareRouteMatcher(getMiddlewareMatchers(config.matcher, {}));
  const matched = (path: string) => matches(path, { headers: {} } as never, {});

  it('skips the body-heavy routes (a proxy would buffer and cut their bodies)', () => {
    for (const path of [
      '/api/blobs',
      '/api/blobs/abc',
      '/api/cloudflare-deploy',
      '/api/amplify-deploy',
      '/api/netlify-deploy',
      '/api/vercel-deploy',
      '/api/trpc/projects.get',
    ])
      expect(matched(path), path).toBe(false);
  });

  it('runs on pages, the preview, the other API routes and Next assets', () => {
    for (const path of [
      '/',
      '/dashboard',
      '/sites/abc',
      '/preview/a/b/index.html',
      '/api/auth/sign-in',
      '/api/me',
      '/api/health',
      '/_next/static/chunks/main.js',
    ])
      expect(matched(path), path).toBe(true);
  });
});
