// The browser side of content-addressed uploads: hash every file (Web Crypto), ask the server which
// it lacks, and send only those, in requests of at most 4 MB (larger files in chunks).
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

async function put(sha256: string, body: Uint8Array, query = ''): Promise<void> {
  const res = await fetch(`/api/blobs/${sha256}${query}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: body as Uint8Array<ArrayBuffer> });
  if (!res.ok) {
    const message = ((await res.json().catch(() => null)) as { error?: { message?: string } } | null)?.error?.message;
    throw new Error(message ?? `Upload failed (${res.status}). Try again.`);
  }
}

/** Uploads the files the server says it lacks; reports files and bytes as they go. */
export async function uploadMissing(files: HashedFile[], missing: string[], onProgress: (p: UploadProgress) => void): Promise<void> {
  const wanted = new Set(missing);
  const todo = [...new Map(files.filter((f) => wanted.has(f.sha256)).map((f) => [f.sha256, f])).values()];
  const totalBytes = todo.reduce((n, f) => n + f.bytes.length, 0);
  let bytes = 0;
  let done = 0;
  onProgress({ phase: 'uploading', files: 0, totalFiles: todo.length, bytes: 0, totalBytes });
  for (const f of todo) {
    const step = SITE_LIMITS.maxUploadRequestBytes;
    if (f.bytes.length <= step) await put(f.sha256, f.bytes);
    else for (let offset = 0; offset < f.bytes.length; offset += step) await put(f.sha256, f.bytes.subarray(offset, offset + step), `?offset=${offset}&total=${f.bytes.length}`);
    bytes += f.bytes.length;
    done++;
    onProgress({ phase: 'uploading', files: done, totalFiles: todo.length, bytes, totalBytes });
  }
  onProgress({ phase: 'done', files: done, totalFiles: todo.length, bytes, totalBytes });
}
