import { SHA256_HEX, SITE_LIMITS } from '@/lib/site-files';
import { authenticateRequest } from '@/server/auth/request';
import { getDb } from '@/server/db/client';
import { PostgresBlobStore } from '@/server/deploy/blob-store';
import { AppError } from '@/server/errors';
import { readMultipartFiles } from '@/server/http/binary';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';

/**
 * Many small files in one request (≤ 4 MB in all): POST /api/blobs as multipart/form-data, one part
 * per file named by its SHA-256. Every hash is checked; one mismatch stores nothing.
 */
export const POST = jsonRoute(async (request) => {
  const db = await getDb();
  const user = await authenticateRequest(db, request, 'deploy');
  const parts = await readMultipartFiles(request, SITE_LIMITS.maxUploadRequestBytes);
  if (parts.length === 0) throw new AppError('BAD_REQUEST', 'The request holds no files. Add one part per file, named by its SHA-256.');
  const bad = parts.find((p) => !SHA256_HEX.test(p.name));
  if (bad) throw new AppError('BAD_REQUEST', `Name each part by its file's SHA-256 (64 lowercase hex characters); "${bad.name.slice(0, 80)}" is not one.`);
  await new PostgresBlobStore(db).putMany(
    user.id,
    parts.map((p) => ({ sha256: p.name, bytes: p.bytes })),
  );
  return jsonResponse({ stored: parts.map((p) => p.name) }, 201);
});
