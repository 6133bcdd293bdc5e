import { describe, expect, it } from 'vitest';
import { vercelSiteRules } from './site-rules';

describe("a site's _redirects and _headers on Vercel", () => {
  it('turns redirects, splats, placeholders and 200 rewrites into Vercel keys, in file order', () => {
    const rules = vercelSiteRules(
      [
        '# moved pages',
        '/old /new',
        '/blog/* /posts/:splat 302',
        '/users/:id /u/:id 308!',
        '/docs https://docs.example.com 301',
        '/* /index.html 200',
        '',
      ].join('\n'),
      undefined,
    );
    expect(rules.redirects).toEqual([
      { source: '/old', destination: '/new', statusCode: 301 },
      { source: '/blog/:splat*', destination: '/posts/:splat*', statusCode: 302 },
      { source: '/users/:id', destination: '/u/:id', statusCode: 308 },
      { source: '/docs', destination: 'https://docs.example.com', statusCode: 301 },
    ]);
    expect(rules.rewrites).toEqual([{ source: '/:splat*', destination: '/index.html' }]);
    expect(rules.skipped).toEqual([]);
  });

  it('turns _headers blocks into header rules', () => {
    const rules = vercelSiteRules(undefined, '/assets/*\n  Cache-Control: public, max-age=31536000\n  X-Test: a\n/index.html\n  X-Frame-Options: DENY\n');
    expect(rules.headers).toEqual([
      {
        source: '/assets/:splat*',
        headers: [
          { key: 'Cache-Control', value: 'public, max-age=31536000' },
          { key: 'X-Test', value: 'a' },
        ],
      },
      { source: '/index.html', headers: [{ key: 'X-Frame-Options', value: 'DENY' }] },
    ]);
  });

  it('leaves out, and names, what Vercel cannot do', () => {
    const rules = vercelSiteRules('/gone /x 410\nnot-a-path /x\n/a\n/ /fr 302 Country=fr\n/(old) /new 301\n', '/x\n  ! Set-Cookie\n/{a}\n  X-A: 1\n');
    expect(rules.redirects).toEqual([]);
    expect(rules.headers).toEqual([]);
    expect(rules.skipped.sort()).toEqual(['! Set-Cookie', '/ /fr 302 Country=fr', '/(old) /new 301', '/a', '/gone /x 410', '/{a}', 'not-a-path /x']);
  });

  it('keeps at most 1,000 rules in all, redirects first', () => {
    const many = Array.from({ length: 700 }, (_, i) => `/r${i} /t${i} 301`).concat(Array.from({ length: 700 }, (_, i) => `/w${i}/* /index.html 200`));
    const rules = vercelSiteRules(many.join('\n'), '/h\n  X-A: 1\n');
    expect([rules.redirects.length, rules.rewrites.length, rules.headers.length]).toEqual([700, 300, 0]);
    expect(rules.skipped).toEqual(['400 rewrites over the limit of 1000 rules', '1 headers over the limit of 1000 rules']);
  });
});
