// The site every engine test deploys: nested folders, a unicode file name, a PNG, a woff2 font, a
// 2 MB file, _headers, _redirects and a client-routed single-page app.
import { randomBytes } from 'node:crypto';
import type { InlineFiles } from '@/server/deploy/files';

export const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082',
  'hex',
);

export interface FixtureFile {
  bytes: Buffer;
  contentType: string;
}

export function fixtureSite(seed = ''): { files: InlineFiles; expected: Record<string, FixtureFile> } {
  const font = Buffer.concat([Buffer.from('wOF2'), randomBytes(2000)]);
  const big = randomBytes(2 * 1024 * 1024);
  const text: Record<string, [string, string]> = {
    'index.html': [`<!doctype html><div id="app"></div><script src="/assets/app.js"></script>${seed}`, 'text/html; charset=utf-8'],
    'assets/app.js': [`window.route = location.pathname; // ${seed}`, 'text/javascript; charset=utf-8'],
    'assets/css/site.css': ['body { font-family: Brand; }', 'text/css; charset=utf-8'],
    'docs/guide/intro/index.html': ['<h1>Intro</h1>', 'text/html; charset=utf-8'],
    'café/ménu.txt': ['crème brûlée', 'text/plain; charset=utf-8'],
    _headers: ['/assets/*\n  X-Huskit-Test: assets\n', ''],
    _redirects: ['/old-page /docs/guide/intro/ 301\n', ''],
  };
  const files: InlineFiles = {};
  const expected: Record<string, FixtureFile> = {};
  for (const [path, [content, type]] of Object.entries(text)) {
    files[path] = content;
    if (type) expected[path] = { bytes: Buffer.from(content), contentType: type };
  }
  for (const [path, bytes, type] of [
    ['img/logo.png', PNG_1PX, 'image/png'],
    ['fonts/brand.woff2', font, 'font/woff2'],
    ['media/big.bin', big, 'application/octet-stream'],
  ] as const) {
    files[path] = { base64: bytes.toString('base64') };
    expected[path] = { bytes, contentType: type };
  }
  return { files, expected };
}
