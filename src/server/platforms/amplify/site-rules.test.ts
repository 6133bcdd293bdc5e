import { describe, expect, it } from 'vitest';
import { amplifyRedirectRules } from './site-rules';

describe("a site's _redirects as Amplify custom rules", () => {
  it('keeps file order; splats and placeholders become <*> and <name>; a rewrite yields to files unless forced', () => {
    const { rules, skipped } = amplifyRedirectRules(
      [
        '/old /new',
        '/blog/* /posts/:splat 302',
        '/u/:id /people/:id 301',
        '/docs/* https://docs.example.com/:splat 301',
        '/app/* /app/index.html 200',
        '/api/* /proxy.html 200!',
        '/* /404.html 404',
      ].join('\n'),
    );
    expect(rules).toEqual([
      { source: '/old', target: '/new', status: '301' },
      { source: '/blog/<*>', target: '/posts/<*>', status: '302' },
      { source: '/u/<id>', target: '/people/<id>', status: '301' },
      { source: '/docs/<*>', target: 'https://docs.example.com/<*>', status: '301' },
      { source: '/app/<*>', target: '/app/index.html', status: '404-200' },
      { source: '/api/<*>', target: '/proxy.html', status: '200' },
      { source: '/<*>', target: '/404.html', status: '404' },
    ]);
    expect(skipped).toEqual([]);
  });

  it('names what Amplify cannot do', () => {
    const { rules, skipped } = amplifyRedirectRules('/a /b 307\n/c /d 410\nnope\n');
    expect(rules).toEqual([]);
    expect(skipped.sort()).toEqual(['/a /b 307', '/c /d 410', 'nope']);
  });
});
