// Blob uploads as they arrive: the body is parsed as a stream (multipart parts one after another), each
// file hashed as it streams in, and no request body past one upload request's limit is ever read.
// Nothing is stored until every part matched its name and the whole fits the user's storage.
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Busboy, type BusboyInstance } from '@fastify/busboy';
import { SHA256_HEX, SITE_LIMITS } from '@/lib/site-files';
import type { BlobStore } from '../deploy/blob-store';
import { scanOnArrival } from '../deploy/scan/on-arrival';
import { readAll } from '../storage/object-store';
import { AppError } from '../errors';
import { boundedBody } from './body';

const requestTooLarge = () =>
  new AppError(
    'PAYLOAD_TOO_LARGE',
    `Send at most ${SITE_LIMITS.maxUploadRequestBytes / 1024 / 1024} MB per request; split larger files with ?offset=…&total=….`,
  );

/** The request body, refused as soon as it passes one upload request's limit (declared or sent). */
const boundedUpload = (request: Request) => boundedBody(request, SITE_LIMITS.maxUploadRequestBytes, requestTooLarge);

/** PUT /api/blobs/{sha256}: one file (≤ 4 MB), checked against its name and the quota before it is stored. */
export async function receiveOneBlob(store: BlobStore, userId: string, sha256: string, request: Request): Promise<number> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/octet-stream\s*(;|$)/i.test(type))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file bytes with Content-Type: application/octet-stream.');
  // Whole in memory: the body is bounded to one upload request (≤ 4 MB).
  const bytes = await readAll(boundedUpload(request));
  await store.put(userId, sha256, bytes);
  scanOnArrival(userId, [{ sha256, bytes }], store.scanMarks(userId));
  return bytes.length;
}

/** The bytes of one part of a chunked upload, bounded like any upload body. */
export async function chunkBody(store: BlobStore, userId: string, request: Request): Promise<Readable> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/octet-stream\s*(;|$)/i.test(type))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the file bytes with Content-Type: application/octet-stream.');
  return boundedUpload(request);
}

/**
 * POST /api/blobs: many small files in one multipart/form-data request (≤ 4 MB in all), one part
 * per file named by its SHA-256. One part that does not match its name stores nothing for the user.
 */
export async function receiveBlobBatch(store: BlobStore, userId: string, request: Request): Promise<string[]> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^multipart\/form-data\s*;/i.test(type))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the files as multipart/form-data, one part per file named by its SHA-256.');
  const body = boundedUpload(request);
  // Parts are read one after another as they arrive, each hashed as it streams in; the request is
  // bounded (4 MB), so its files are checked together before any is stored.
  const parts: Promise<{ sha256: string; bytes: Buffer; digest: string }>[] = [];
  let refusal: Error | undefined;
  let parser: BusboyInstance;
  try {
    // Parts past the limit are not read: each costs memory beyond its bytes (a hash, a promise, its chunks).
    parser = new Busboy({
      headers: { 'content-type': type },
      limits: { fieldSize: 0, files: SITE_LIMITS.maxFilesPerUploadRequest, parts: SITE_LIMITS.maxFilesPerUploadRequest },
    });
  } catch {
    throw new AppError('BAD_REQUEST', 'The multipart body could not be read. Send one part per file, named by its SHA-256.');
  }
  parser.on('file', (name, stream) => {
    if (refusal) return stream.resume();
    if (!SHA256_HEX.test(name)) {
      refusal = new AppError('BAD_REQUEST', `Name each part by its file's SHA-256 (64 lowercase hex characters); "${name.slice(0, 80)}" is not one.`);
      return stream.resume();
    }
    const hash = createHash('sha256');
    // Events rather than an async iterator: a request carries thousands of small parts, and an
    // iterator's promises and listeners per part cost more than the part's hashing.
    const part = new Promise<{ sha256: string; bytes: Buffer; digest: string }>((resolve, reject) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        chunks.push(chunk);
      });
      stream.once('error', reject);
      // Most small files arrive in one piece: kept as they are until the pack joins them.
      stream.once('end', () => resolve({ sha256: name, bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks), digest: hash.digest('hex') }));
    });
    part.catch(() => {});
    parts.push(part);
  });
  const tooManyParts = () =>
    (refusal ??= new AppError(
      'PAYLOAD_TOO_LARGE',
      `Send at most ${SITE_LIMITS.maxFilesPerUploadRequest.toLocaleString('en-US')} files per request; send the others in more requests.`,
    ));
  parser.on('filesLimit', tooManyParts);
  parser.on('partsLimit', tooManyParts);
  parser.on('field', (name: string) => {
    refusal ??= new AppError('BAD_REQUEST', `The part "${name.slice(0, 80)}" is not a file. Send each file as a file part.`);
  });
  try {
    await pipeline(body, parser);
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('BAD_REQUEST', 'The multipart body could not be read. Send one part per file, named by its SHA-256.');
  }
  if (refusal) throw refusal;
  const files = await Promise.all(parts);
  if (files.length === 0) throw new AppError('BAD_REQUEST', 'The request holds no files. Add one part per file, named by its SHA-256.');
  await store.putMany(userId, files);
  scanOnArrival(userId, files, store.scanMarks(userId));
  return files.map((f) => f.sha256);
}
