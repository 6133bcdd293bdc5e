// The browser side of content-addressed uploads: hash every file (Web Crypto), ask the server which
// it lacks, and send only those, in requests of at most 4 MB and 1,000 files (larger files in chunks).
import { SITE_LIMITS } from './site-files';

export interface LocalFile {
  path: string;
  bytes: Uint8Array;
}

export interface HashedFile extends LocalFile {
  sha256: string;
}

export interface UploadProgress {
  phase: 'hashing' | 'uploading' | 'done';
  files: number;
  totalFiles: number;
  bytes: number;
  totalBytes: number;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function hashFiles(files: LocalFile[], onProgress: (p: UploadProgress) => void): Promise<HashedFile[]> {
  const totalBytes = files.reduce((n, f) => n + f.bytes.length, 0);
  const out: HashedFile[] = [];
  let bytes = 0;
  for (const f of files) {
    out.push({ ...f, sha256: await sha256Hex(f.bytes) });
    bytes += f.bytes.length;
    onProgress({ phase: 'hashing', files: out.length, totalFiles: files.length, bytes, totalBytes });
  }
  return out;
}

export interface UploadTarget {
  /** Where the API lives: '' in the browser (same origin), a full origin elsewhere (the benchmark). */
  baseUrl?: string;
  headers?: Record<string, string>;
  /** Requests in flight at once. */
  concurrency?: number;
  /** How requests are sent (the global fetch unless given; tests hand the route handlers in directly). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
}

/** What a multipart part costs beyond its bytes (boundary, headers): generous, so a batch stays under the limit. */
const PART_OVERHEAD = 512;
const BATCH_BYTES = SITE_LIMITS.maxUploadRequestBytes - 4096;

async function send(target: UploadTarget, path: string, init: RequestInit): Promise<void> {
  const res = await (target.fetch ?? fetch)(`${target.baseUrl ?? ''}${path}`, {
    ...init,
    headers: { ...target.headers, ...(init.headers as Record<string, string>) },
    // An upload is never redirected. A request that may follow redirects is cloned before it is sent, and its
    // body with it (the Fetch standard's HTTP-network-or-cache fetch): one more copy of every 4 MB body.
    redirect: 'error',
    window: null,
  });
  if (!res.ok) {
    const message = ((await res.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message;
    throw new Error(message ?? `Upload failed (${res.status}). Try again.`);
  }
  await res.arrayBuffer();
}

/** Small files travel many to a request (POST /api/blobs, multipart); large ones alone, in chunks if need be. */
function plan(todo: HashedFile[]): { batches: HashedFile[][]; large: HashedFile[] } {
  const batches: HashedFile[][] = [];
  const large: HashedFile[] = [];
  let current: HashedFile[] = [];
  let size = 0;
  for (const f of todo) {
    const cost = f.bytes.length + PART_OVERHEAD;
    if (cost > BATCH_BYTES) {
      large.push(f);
      continue;
    }
    if (size + cost > BATCH_BYTES || current.length === SITE_LIMITS.maxFilesPerUploadRequest) {
      batches.push(current);
      current = [];
      size = 0;
    }
    current.push(f);
    size += cost;
  }
  if (current.length) batches.push(current);
  return { batches, large };
}

const utf8 = new TextEncoder();

/**
 * A batch as the multipart/form-data body a FormData of one Blob per file would make (each part named
 * and filenamed by its SHA-256: hex, nothing to escape), built as one buffer. The files are in memory
 * already; FormData and Blobs cost more than the bytes' one copy (on Node, four times the CPU of the
 * whole send). Built in `scratch` when it is large enough (a sender's own buffer, reused from one
 * request to its next: a fresh 4 MB buffer a request is zeroed and faulted in each time, ~20 ms of the
 * client's CPU per request in the bench).
 */
export function batchBody(batch: HashedFile[], scratch?: Uint8Array<ArrayBuffer>): { body: Uint8Array<ArrayBuffer>; contentType: string } {
  const boundary = `----huskit-${Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')}`;
  const heads = batch.map((f) =>
    utf8.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${f.sha256}"; filename="${f.sha256}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
    ),
  );
  const closing = utf8.encode(`--${boundary}--\r\n`);
  const size = batch.reduce((n, f, i) => n + heads[i]!.length + f.bytes.length + 2, closing.length);
  const body = scratch && scratch.length >= size ? scratch.subarray(0, size) : new Uint8Array(size);
  let at = 0;
  batch.forEach((f, i) => {
    body.set(heads[i]!, at);
    body.set(f.bytes, (at += heads[i]!.length));
    at += f.bytes.length;
    body[at++] = 0x0d;
    body[at++] = 0x0a;
  });
  body.set(closing, at);
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Sends a batch built in `scratch` if it fits; answers the buffer it was built in, for the sender's next one. */
async function sendBatch(target: UploadTarget, batch: HashedFile[], scratch: Uint8Array<ArrayBuffer> | undefined): Promise<Uint8Array<ArrayBuffer>> {
  const { body, contentType } = batchBody(batch, scratch);
  await send(target, '/api/blobs', { method: 'POST', headers: { 'content-type': contentType }, body });
  return new Uint8Array(body.buffer);
}

async function sendLarge(target: UploadTarget, f: HashedFile): Promise<void> {
  const step = SITE_LIMITS.maxUploadRequestBytes;
  const put = (body: Uint8Array, query = '') =>
    send(target, `/api/blobs/${f.sha256}${query}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: body as Uint8Array<ArrayBuffer>,
    });
  if (f.bytes.length <= step) return put(f.bytes);
  for (let offset = 0; offset < f.bytes.length; offset += step) await put(f.bytes.subarray(offset, offset + step), `?offset=${offset}&total=${f.bytes.length}`);
}

/** Uploads the files the server says it lacks, a few requests at a time; reports files and bytes as they go. */
export async function uploadMissing(files: HashedFile[], missing: string[], onProgress: (p: UploadProgress) => void, target: UploadTarget = {}): Promise<void> {
  const wanted = new Set(missing);
  // In path order: the server stores each request's files together and reads a site in path order.
  const todo = [...new Map(files.filter((f) => wanted.has(f.sha256)).map((f) => [f.sha256, f])).values()].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  const totalBytes = todo.reduce((n, f) => n + f.bytes.length, 0);
  const { batches, large } = plan(todo);
  const jobs = [...batches.map((files) => ({ files, large: false })), ...large.map((f) => ({ files: [f], large: true }))];
  let bytes = 0;
  let done = 0;
  onProgress({ phase: 'uploading', files: 0, totalFiles: todo.length, bytes: 0, totalBytes });
  let next = 0;
  const worker = async () => {
    // This sender's body buffer: the next body is built in it only once the request before has been answered.
    let scratch: Uint8Array<ArrayBuffer> | undefined;
    while (next < jobs.length) {
      const job = jobs[next++]!;
      if (job.large) await sendLarge(target, job.files[0]!);
      else scratch = await sendBatch(target, job.files, scratch);
      done += job.files.length;
      bytes += job.files.reduce((n, f) => n + f.bytes.length, 0);
      onProgress({ phase: 'uploading', files: done, totalFiles: todo.length, bytes, totalBytes });
    }
  };
  await Promise.all(Array.from({ length: Math.min(target.concurrency ?? 3, jobs.length) }, worker));
  onProgress({ phase: 'done', files: done, totalFiles: todo.length, bytes, totalBytes });
}
