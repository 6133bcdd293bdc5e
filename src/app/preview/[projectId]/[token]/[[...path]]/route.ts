import { timingSafeEqual } from 'node:crypto';
import { getDb } from '@/server/db/client';
import { previewToken, readFile } from '@/server/projects/service';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * The editor's live preview: a project's saved files, under a token instead of cookies (the frame is
 * sandboxed, so it sends none). Root-absolute links are made relative to a <base>; unknown paths get
 * index.html, as the deployed single-page apps do. Every answer is itself sandboxed by CSP.
 */
export async function GET(request: Request) {
  const parts = new URL(request.url).pathname.split('/').slice(2);
  const [projectId = '', token = '', ...rest] = parts;
  const expected = Buffer.from(/^[0-9a-f-]{36}$/.test(projectId) ? previewToken(projectId) : '');
  const given = Buffer.from(token);
  if (!expected.length || given.length !== expected.length || !timingSafeEqual(given, expected)) return new Response('Not found', { status: 404 });
  const db = await getDb();
  let path = rest.map(decodeURIComponent).join('/');
  if (path === '' || path.endsWith('/')) path += 'index.html';
  const file = (await readFile(db, projectId, path)) ?? (await readFile(db, projectId, `${path}.html`)) ?? (await readFile(db, projectId, 'index.html'));
  if (!file) return new Response('This site has no index.html yet.', { status: 404 });
  let body: Uint8Array = file.bytes;
  if (file.contentType.startsWith('text/html')) {
    const base = `/preview/${projectId}/${token}/`;
    const html = file.bytes
      .toString('utf8')
      .replace(/(\s(?:href|src))=(["'])\/(?!\/)/g, '$1=$2./')
      .replace(/<head([^>]*)>/i, `<head$1>\n<base href="${base}">`);
    body = Buffer.from(html);
  }
  return new Response(new Uint8Array(body), {
    headers: {
      'content-type': file.contentType,
      'cache-control': 'no-store',
      'content-security-policy': 'sandbox allow-scripts allow-forms',
      'x-content-type-options': 'nosniff',
    },
  });
}
