// The JSON answers of the REST routes carry their own safe headers: the body-heavy routes are not
// behind the proxy (src/proxy.ts), so these are all they get.
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { errorResponse, jsonResponse } from './json';

describe('JSON answers', () => {
  it('a success answer is nosniff and no-store, whatever headers the route adds', () => {
    const res = jsonResponse({ ok: true }, 202, { 'cache-control': 'public, max-age=600', location: '/x' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('location')).toBe('/x');
  });

  it('an error answer is nosniff and no-store too', () => {
    const res = errorResponse(new AppError('UNAUTHORIZED', 'Sign in first.'));
    expect(res.status).toBe(401);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});
