// Serving the editor's live preview: a project's saved files, on the preview origin only, under an
// expiring token instead of cookies (the frame is sandboxed, and that origin has no cookies of the
// app). Root-absolute links are made relative to a <base>; unknown paths get index.html, as the
// deployed single-page apps do. Every answer is itself sandboxed by CSP.
import type { Db } from '../db/client';
import { readFile } from '../projects/service';
import { isPreviewHost, PREVIEW_COMMON_HEADERS, PREVIEW_PATH_PREFIX, previewNotFound } from './host';
import { verifyPreviewToken } from './tokens';

export async function servePreview(db: Db, request: Request, now = Date.now()): Promise<Response> {
  if (!isPreviewHost(request.headers)) return previewNotFound();
  const pathname = new URL(request.url).pathname;
  if (!pathname.startsWith(PREVIEW_PATH_PREFIX)) return previewNotFound();
  const [projectId = '', token = '', ...rest] = pathname.slice(PREVIEW_PATH_PREFIX.length).split('/');
  if (!(await verifyPreviewToken(db, projectId, token, now))) return previewNotFound();

  let path: string;
  try {
    path = rest.map(decodeURIComponent).join('/');
  } catch {
    return previewNotFound();
  }
  if (path === '' || path.endsWith('/')) path += 'index.html';
  const file = (await readFile(db, projectId, path)) ?? (await readFile(db, projectId, `${path}.html`)) ?? (await readFile(db, projectId, 'index.html'));
  if (!file) return previewNotFound('This site has no index.html yet.');
  let body: Uint8Array = file.bytes;
  if (file.contentType.startsWith('text/html')) {
    const base = `${PREVIEW_PATH_PREFIX}${projectId}/${token}/`;
    const html = file.bytes
      .toString('utf8')
      .replace(/(\s(?:href|src))=(["'])\/(?!\/)/g, '$1=$2./')
      .replace(/<head([^>]*)>/i, `<head$1>\n<base href="${base}">`);
    body = Buffer.from(html);
  }
  return new Response(new Uint8Array(body), {
    headers: { ...PREVIEW_COMMON_HEADERS, 'content-type': file.contentType, 'content-security-policy': 'sandbox allow-scripts allow-forms' },
  });
}
