import { authenticateRequest } from '@/server/auth/request';
import { getDb } from '@/server/db/client';
import { BlobStore } from '@/server/deploy/blob-store';
import { receiveBlobBatch } from '@/server/http/blob-upload';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';

/**
 * Many small files in one request (≤ 4 MB in all): POST /api/blobs as multipart/form-data, one part
 * per file named by its SHA-256. Every hash is checked as the part streams in; one mismatch stores nothing.
 */
export const POST = jsonRoute(async (request) => {
  const db = await getDb();
  const user = await authenticateRequest(db, request, 'deploy');
  const stored = await receiveBlobBatch(new BlobStore(db), user.id, request);
  return jsonResponse({ stored }, 201);
});
