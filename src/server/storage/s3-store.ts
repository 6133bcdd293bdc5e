// Objects in an S3-compatible bucket (AWS S3, R2, MinIO). A PUT is atomic on S3's side
// (readers see the old object or the whole new one; a cut upload stores nothing), so atomicity here
// means only this: nothing is sent before the whole body is known and the caller's check has passed.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { assertObjectKey, ObjectNotFound, partsOf, type ListOptions, type LocalCopy, type ObjectBody, type ObjectStore, type PutOptions } from './object-store';
import { encodePathSegment, readS3Error, readText, S3Client, S3Error, unescapeXml, type RetryOptions, type S3Body, type S3Connection } from './s3-request';
import { LocalCopies } from './local-copies';
import { readForUpload, spoolParts, spoolToTempFile } from './spool';
import { processSpoolDir } from './spool-dir';

export interface S3StoreConfig extends S3Connection {
  bucket: string;
}

export interface S3StoreOptions {
  retry?: Partial<RetryOptions>;
  /** Where streamed bodies and local copies are spooled (default: this process's folder, spool-dir.ts). */
  spoolDir?: string;
  /** Bytes of objects kept as local files after `local()` (see local-copies.ts). Default 256 MB. */
  localCopyBytes?: number;
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly copies: LocalCopies;

  constructor(
    private readonly config: S3StoreConfig,
    private readonly options: S3StoreOptions = {},
  ) {
    this.client = new S3Client(config, options.retry);
    this.copies = new LocalCopies(async (key) => spoolToTempFile(await this.get(key), {}, await this.spoolDir()), options.localCopyBytes ?? 256 * 1024 * 1024);
  }

  /** Where files are spooled: the folder given, or this process's (removed at exit, swept once stale). */
  private spoolDir(): Promise<string> {
    return this.options.spoolDir ? Promise.resolve(this.options.spoolDir) : processSpoolDir();
  }

  private bucketPath(): string {
    return `/${encodePathSegment(this.config.bucket)}`;
  }

  private objectPath(key: string): string {
    assertObjectKey(key);
    return `${this.bucketPath()}/${key.split('/').map(encodePathSegment).join('/')}`;
  }

  /**
   * Stored, the object's bytes stay here as its local copy: what this process uploads, it reads back
   * soon (a deployment's packs, for its platform upload and its zip), and a download costs more than a
   * file write. A streamed body is spooled to a file anyway; a pack given in parts is written to one
   * while it is sent from memory.
   */
  async put(key: string, body: ObjectBody, options: PutOptions = {}): Promise<number> {
    const path = this.objectPath(key);
    const parts = partsOf(body);
    if (parts) {
      const length = parts.reduce((n, p) => n + p.length, 0);
      if (options.maxBytes !== undefined && length > options.maxBytes) throw options.tooLarge?.() ?? new Error('object too large');
      await options.beforeCommit?.(length);
      const hash = createHash('sha256');
      for (const part of parts) hash.update(part);
      const sha256 = hash.digest('hex');
      const copy = this.spoolDir().then((dir) => spoolParts(parts, sha256, dir));
      // Sent part after part: a pack is not joined into one buffer first.
      const sent = this.upload(key, path, {
        length,
        sha256,
        open: () => Readable.from(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength))),
      });
      const [upload, spooled] = await Promise.allSettled([sent, copy]);
      if (upload.status === 'rejected') {
        if (spooled.status === 'fulfilled') await spooled.value.remove();
        throw upload.reason;
      }
      // A copy that could not be written is only a download later.
      if (spooled.status === 'fulfilled') await this.copies.adopt(key, spooled.value);
      return length;
    }
    const spooled = await spoolToTempFile(body as Readable, options, await this.spoolDir());
    try {
      await options.beforeCommit?.(spooled.size);
      await this.upload(key, path, { length: spooled.size, sha256: spooled.sha256, open: () => readForUpload(spooled.file) });
    } catch (err) {
      await spooled.remove();
      throw err;
    }
    await this.copies.adopt(key, spooled);
    return spooled.size;
  }

  private async upload(key: string, path: string, body: S3Body): Promise<void> {
    const response = await this.client.send({ what: `PUT ${key}`, method: 'PUT', path, body, accept: [200] });
    response.resume();
  }

  async get(key: string, range?: { start: number; end: number }): Promise<Readable> {
    const copy = await this.copies.held(key);
    if (copy) {
      try {
        // A range past the end is S3's to refuse, with its error.
        if (!range || range.start < copy.size) {
          // A copy whose file went is let go of: the object is read from S3.
          const handle = await open(copy.path, 'r').catch(async (err: NodeJS.ErrnoException) => {
            if (err.code !== 'ENOENT') throw err;
            await this.copies.forget(key);
            return null;
          });
          if (handle) return createReadStream('', { fd: handle, ...(range ? { start: range.start, end: Math.min(range.end, copy.size - 1) } : {}) });
        }
      } finally {
        // The open handle keeps the file's bytes readable should the copy be removed meanwhile.
        await copy.release();
      }
    }
    const what = `GET ${key}`;
    const headers: Record<string, string> = range ? { range: `bytes=${range.start}-${range.end}` } : {};
    const response = await this.client.send({ what, method: 'GET', path: this.objectPath(key), headers, accept: [200, 206, 404] });
    if (response.statusCode === 404) {
      const error = await readS3Error(what, response);
      // A missing bucket is a configuration mistake, not a missing blob: say so.
      if (error.code === 'NoSuchBucket') throw error;
      throw new ObjectNotFound(key);
    }
    if (range) {
      // Wrong bytes must not pass for the asked ones (s3rver answers `bytes=0-0` with the whole object).
      const answered = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(String(response.headers['content-range'] ?? ''));
      const [start, end, total] = answered ? answered.slice(1).map(Number) : [];
      if (response.statusCode !== 206 || start !== range.start || end !== Math.min(range.end, total! - 1)) {
        response.destroy();
        const got = response.headers['content-range'] ?? 'no Content-Range';
        throw new S3Error(what, response.statusCode, undefined, `asked for bytes ${range.start}-${range.end}, got ${got}`);
      }
    }
    return response;
  }

  /** The object as a local file: downloaded once, then kept while the budget allows (local-copies.ts). */
  local(key: string): Promise<LocalCopy> {
    return this.copies.acquire(key);
  }

  async size(key: string): Promise<number | null> {
    const response = await this.client.send({ what: `HEAD ${key}`, method: 'HEAD', path: this.objectPath(key), accept: [200, 404] });
    response.resume();
    if (response.statusCode === 404) return null;
    const length = Number(response.headers['content-length']);
    if (!Number.isSafeInteger(length)) throw new S3Error(`HEAD ${key}`, response.statusCode, undefined, 'no Content-Length in the answer');
    return length;
  }

  async delete(key: string): Promise<void> {
    await this.copies.forget(key);
    // S3 answers 204 for an absent key too; some compatible stores answer 404, which is as good.
    const response = await this.client.send({ what: `DELETE ${key}`, method: 'DELETE', path: this.objectPath(key), accept: [200, 204, 404] });
    response.resume();
  }

  async *list(prefix: string, options: ListOptions = {}): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const response = await this.client.send({ what: `LIST ${prefix}`, method: 'GET', path: this.bucketPath(), query, accept: [200] });
      // ListObjectsV2 without a delimiter: every <Key> is an object's (common prefixes say <Prefix>).
      const xml = await readText(response);
      for (const [, entry] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = /<Key>([^<]*)<\/Key>/.exec(entry!)?.[1];
        if (key === undefined) continue;
        if (options.modifiedBefore !== undefined) {
          const modified = Date.parse(/<LastModified>([^<]*)<\/LastModified>/.exec(entry!)?.[1] ?? '');
          // Without a time it cannot be told old: kept out.
          if (!(modified < options.modifiedBefore)) continue;
        }
        yield unescapeXml(key);
      }
      const next = /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1];
      const previous = token;
      token = next === undefined ? undefined : unescapeXml(next);
      if (token !== undefined && token === previous) throw new S3Error(`LIST ${prefix}`, response.statusCode, undefined, 'the same continuation token twice');
    } while (token);
  }
}
