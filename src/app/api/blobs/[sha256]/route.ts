import { SHA256_HEX } from '@/lib/site-files';
import { authenticateRequest } from '@/server/auth/request';
import { getDb } from '@/server/db/client';
import { BlobStore } from '@/server/deploy/blob-store';
import { AppError } from '@/server/errors';
import { chunkBody, receiveOneBlob } from '@/server/http/blob-upload';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';

/**
 * One file's bytes (≤ 4 MB per request): PUT /api/blobs/{sha256}. A larger file goes in chunks with
 * `?offset=…&total=…`; the server checks the SHA-256 of the whole before it counts.
 */
export const PUT = jsonRoute(async (request) => {
  const db = await getDb();
  const user = await authenticateRequest(db, request, 'deploy');
  const sha256 = new URL(request.url).pathname.split('/').at(-1) ?? '';
  if (!SHA256_HEX.test(sha256)) throw new AppError('BAD_REQUEST', 'Name the file by its SHA-256: 64 lowercase hex characters.');
  const store = new BlobStore(db);
  const params = new URL(request.url).searchParams;
  if (params.has('offset') || params.has('total')) {
    const total = Number(params.get('total'));
    // The declared whole is refused before its first byte is read.
    if (!(await store.acceptsChunkedFile(user.id, sha256, total))) {
      await request.body?.cancel();
      return jsonResponse({ sha256, complete: true, received: total }, 201);
    }
    const result = await store.putChunk(user.id, sha256, Number(params.get('offset')), total, await chunkBody(store, user.id, request));
    return jsonResponse({ sha256, ...result }, result.complete ? 201 : 202);
  }
  const received = await receiveOneBlob(store, user.id, sha256, request);
  return jsonResponse({ sha256, complete: true, received }, 201);
});
