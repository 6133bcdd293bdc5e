// `source` patterns matched as Vercel compiles them (path-to-regexp 6: strict, case-sensitive, `/`
// delimited), and destinations filled from what matched.
import { describe, expect, it } from 'vitest';
import { matchSource, substitute } from './routing';

describe('matchSource', () => {
  it.each([
    ['/blog/:slug', '/blog/hello', { slug: 'hello' }],
    ['/blog/:slug?', '/blog', { slug: '' }],
    ['/docs/:path*', '/docs/a/b/c', { path: 'a/b/c' }],
    ['/docs/:path*', '/docs', { path: '' }],
    ['/docs/:path+', '/docs/a/b', { path: 'a/b' }],
    ['/(.*)', '/anything/at/all', {}],
  ])('%s matches %s', (source, path, named) => {
    expect(matchSource(source, path)?.named).toEqual(named);
  });

  it.each([
    ['/blog/:slug', '/blog/hello/'], // strict: a trailing slash is another path
    ['/Blog/:slug', '/blog/hello'], // case-sensitive
    ['/blog/:slug', '/blog/a/b'], // one segment
    ['/docs/:path+', '/docs'], // at least one segment
  ])('%s does not match %s', (source, path) => {
    expect(matchSource(source, path)).toBeNull();
  });

  it('fills a destination from named and numbered groups', () => {
    expect(substitute('/posts/:slug', matchSource('/blog/:slug', '/blog/hi')!)).toBe('/posts/hi');
    expect(substitute('/new/$1', matchSource('/old/(.*)', '/old/x/y')!)).toBe('/new/x/y');
  });
});
