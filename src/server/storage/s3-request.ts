// Signed requests to an S3-compatible endpoint (AWS S3, R2, MinIO). aws4fetch computes the
// SigV4 headers; node:http(s) sends them, because Next.js patches the global fetch and a patched fetch
// has sent bodies chunked, which S3 refuses (411 MissingContentLength). Every body goes with its
// Content-Length and its real SHA-256, so S3 itself refuses bytes that are not the ones we hashed.
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AwsClient } from 'aws4fetch';

export interface S3Connection {
  /** Scheme and host only: requests are path-style, `${endpoint}/${bucket}/${key}`. */
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** A body of known length and hash that can be read again for a retry. */
export interface S3Body {
  length: number;
  sha256: string;
  open(): Readable;
}

export interface S3Call {
  /** Names the call in errors, e.g. `PUT blobs/ab/…`. */
  what: string;
  method: 'GET' | 'HEAD' | 'PUT' | 'DELETE';
  /** Already URI-encoded, starting with `/${bucket}`. */
  path: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: S3Body;
  /** Statuses the caller handles; any other is an S3Error (after retries, for 5xx and 429). */
  accept: number[];
}

export interface RetryOptions {
  attempts: number;
  baseDelayMs: number;
  /** A request (or a response's headers) that takes longer than this has failed, and is retried. */
  timeoutMs: number;
}

const DEFAULT_RETRY: RetryOptions = { attempts: 4, baseDelayMs: 200, timeoutMs: 60_000 };

/** SHA-256 of no bytes: what a request without a body signs as its payload. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** A refusal or failure of the storage service: the status and S3's error Code, never a credential. */
export class S3Error extends Error {
  constructor(
    readonly what: string,
    readonly status: number | undefined,
    readonly code: string | undefined,
    detail: string,
  ) {
    super(`Object storage ${what} failed: ${status ? `HTTP ${status}` : 'no answer'}${code ? ` ${code}` : ''}${detail ? ` (${detail})` : ''}`);
    this.name = 'S3Error';
  }
}

/** A call whose answer never came (refused or cut connection, timeout): worth another try. */
class NoAnswer extends Error {}

export class S3Client {
  private readonly signer: AwsClient;
  private readonly retry: RetryOptions;

  constructor(
    private readonly connection: S3Connection,
    retry: Partial<RetryOptions> = {},
  ) {
    this.signer = new AwsClient({
      accessKeyId: connection.accessKeyId,
      secretAccessKey: connection.secretAccessKey,
      service: 's3',
      region: connection.region,
    });
    this.retry = { ...DEFAULT_RETRY, ...retry };
  }

  /**
   * The response to `call`, with a status among `call.accept`; its body is the caller's to read or
   * drain. Every call we make is idempotent (a content-addressed PUT writes the same bytes again), so
   * 5xx, 429 and lost answers are retried with backoff, each attempt signed afresh.
   */
  async send(call: S3Call): Promise<IncomingMessage> {
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.retry.attempts;
      let response: IncomingMessage;
      try {
        response = await this.attempt(call);
      } catch (err) {
        if (!(err instanceof NoAnswer)) throw err;
        if (last) throw new S3Error(call.what, undefined, undefined, err.message);
        await this.backoff(attempt);
        continue;
      }
      const status = response.statusCode ?? 0;
      if (call.accept.includes(status)) return response;
      const failure = await readS3Error(call.what, response);
      if (last || !(status >= 500 || status === 429)) throw failure;
      await this.backoff(attempt);
    }
  }

  private backoff(attempt: number): Promise<void> {
    const ms = this.retry.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random() / 2);
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private async attempt(call: S3Call): Promise<IncomingMessage> {
    let url = `${this.connection.endpoint}${call.path}`;
    // %20 rather than URLSearchParams' `+`: the bytes sent decode to exactly the values signed.
    if (call.query) url += `?${new URLSearchParams(call.query).toString().replace(/\+/g, '%20')}`;
    const signed = await this.signer.sign(url, {
      method: call.method,
      headers: { ...call.headers, 'x-amz-content-sha256': call.body?.sha256 ?? EMPTY_SHA256 },
    });
    const target = new URL(signed.url);
    const headers: Record<string, string> = { host: target.host };
    signed.headers.forEach((value, name) => (headers[name] = value));
    // A body always has its length: no chunked transfer-encoding, which S3 refuses for a PUT.
    if (call.body) headers['content-length'] = String(call.body.length);

    const transport = target.protocol === 'https:' ? https : http;
    return new Promise<IncomingMessage>((resolve, reject) => {
      let answered: IncomingMessage | undefined;
      const request = transport.request(target, { method: call.method, headers, timeout: this.retry.timeoutMs }, (response) => {
        // From here the body is the caller's to read at its own pace; the same timeout then bounds a
        // silence of the connection, so that a body that stops coming fails its reader instead of holding it forever.
        answered = response;
        resolve(response);
      });
      request.on('timeout', () => {
        const err = new NoAnswer(answered ? `the answer stopped for ${this.retry.timeoutMs} ms` : `no answer within ${this.retry.timeoutMs} ms`);
        answered?.destroy(err);
        request.destroy(err);
      });
      request.on('error', (err) => reject(err instanceof NoAnswer ? err : new NoAnswer(err.message)));
      if (!call.body) request.end();
      // A failed read of the body ends the request too (and so rejects, unless an answer came first).
      else pipeline(call.body.open(), request).catch((err: Error) => request.destroy(err));
    });
  }
}

/** The error S3 answered: its status, and the Code and Message of its XML body (read up to 64 KB). */
export async function readS3Error(what: string, response: IncomingMessage): Promise<S3Error> {
  const status = response.statusCode ?? 0;
  let text = '';
  try {
    text = await readText(response, 64 * 1024);
  } catch {
    /* the status alone still says what failed */
  }
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  return new S3Error(what, status, code && unescapeXml(code), message ? unescapeXml(message) : '');
}

/** A response body as text; past `limit` bytes the rest is drained and dropped. */
export async function readText(response: IncomingMessage, limit = Infinity): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    if (size < limit) chunks.push(chunk);
    size += chunk.length;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/** XML text content: the five named entities and numeric references (s3rver writes `'` as `&#x27;`). */
export function unescapeXml(text: string): string {
  const named: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
  return text.replace(/&(?:(amp|lt|gt|quot|apos)|#(\d+)|#x([0-9a-f]+));/gi, (whole, name?: string, dec?: string, hex?: string) => {
    if (name) return named[name.toLowerCase()] ?? whole;
    return String.fromCodePoint(dec ? Number(dec) : parseInt(hex!, 16));
  });
}

/** A path segment as S3 signs it: RFC 3986, which also encodes !'()*. */
export function encodePathSegment(segment: string): string {
  return encodeURIComponent(segment).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
