// How every platform call behaves: a timeout on each attempt; retries with exponential backoff and
// full jitter on 429, 5xx, 524 and network failures, honouring Retry-After (seconds or an HTTP date);
// no retry on other 4xx; and every failure mapped to the product's error taxonomy, with the
// platform's own message kept for the log. Bodies that stream (file uploads) are opened afresh for
// each attempt and always carry their length.
import { Readable } from 'node:stream';
import { ReadableStream } from 'node:stream/web';

export type PlatformErrorKind = 'auth' | 'quota' | 'unavailable' | 'timeout' | 'bad_request' | 'not_found' | 'conflict';

const STATUS: Record<PlatformErrorKind, number> = {
  auth: 401,
  quota: 429,
  unavailable: 502,
  timeout: 504,
  bad_request: 400,
  not_found: 404,
  conflict: 409,
};

export class PlatformError extends Error {
  readonly status: number;
  constructor(
    readonly kind: PlatformErrorKind,
    /** Plain words for a person, with what to do. */
    message: string,
    /** What the platform itself said, for the log. */
    readonly platformMessage?: string,
    /** Seconds the platform asked us to wait, when it did. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'PlatformError';
    this.status = STATUS[kind];
  }
}

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  timeoutMs: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails with it instead. */
  maxRetryAfterMs: number;
}

/** The policy of a call given none (a deployment's calls follow its settings: deploy/settings.ts). */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, timeoutMs: 30_000, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

const RETRYABLE = (status: number) => status === 429 || status >= 500;

/** A conservative upload rate (2 Mbit/s): a slow uplink still gets its bytes through in time. */
export const UPLOAD_BYTES_PER_SECOND = 256 * 1024;
/** No single attempt waits longer than this, however large its body. */
export const MAX_ATTEMPT_TIMEOUT_MS = 30 * 60_000;

/**
 * The per-attempt timeout for a request carrying `bytes`: the usual timeout of a call (`baseMs`, the
 * policy's timeoutMs) plus the time the body takes at a conservative upload rate, capped, so a 40 MB
 * upload does not hit the fixed 30 s meant for small calls. Pass it as `policy.timeoutMs`.
 */
export function timeoutForBytes(bytes: number, baseMs: number = DEFAULT_RETRY.timeoutMs): number {
  const sendingMs = Math.ceil((Math.max(0, bytes) * 1000) / UPLOAD_BYTES_PER_SECOND);
  return Math.min(MAX_ATTEMPT_TIMEOUT_MS, baseMs + sendingMs);
}

/** Seconds from a Retry-After header (delta-seconds or HTTP date), or undefined. */
export function parseRetryAfter(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - nowMs) / 1000);
}

/** Seconds until an X-RateLimit-Reset (Unix seconds: a 429's wait on platforms that send no Retry-After), or undefined. */
export function rateLimitResetIn(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value || !/^\d+$/.test(value.trim())) return undefined;
  return Math.max(0, Number(value.trim()) - nowMs / 1000);
}

export interface SendContext {
  attempt: number;
  signal: AbortSignal;
}

export interface PlatformCall {
  /** Names the platform and operation in messages: "<platform> (upload assets)". */
  label: string;
  /** Makes and sends the request; called again for each attempt (signatures and bodies are fresh). */
  send: (ctx: SendContext) => Promise<Response>;
  /** Over DEFAULT_RETRY. */
  policy?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  /**
   * For a create that is not idempotent: called before a resend when the last attempt may have been
   * handled though its answer never came back (no answer, a timeout, a 5xx). Looks up what that
   * attempt made; a Response it answers is returned as the call's answer instead of sending again.
   */
  recover?: () => Promise<Response | undefined>;
}

/**
 * A request body read from a stream: `open` makes a fresh stream for each attempt (a stream can be
 * read once, and a retry sends every byte again) and `length` is its exact size in bytes, sent as
 * Content-Length. Never chunked: S3 refuses a PUT without a length, and the platforms' own clients
 * always send one.
 */
export interface StreamBody {
  length: number;
  open(): Readable | Promise<Readable>;
}

/** Bytes already in memory (a generated file, a test's body) as a StreamBody. */
export function bytesBody(bytes: Buffer | Uint8Array): StreamBody {
  return { length: bytes.byteLength, open: () => Readable.from([Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)]) };
}

const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * One attempt of a request with a streamed body (call it from `send`): the body opened afresh with its
 * length as Content-Length, and its stream closed once the whole answer is in. The answer is read
 * first (answers to uploads are small) because a server may answer before reading every byte, and
 * closing the stream earlier could cut that answer off.
 */
export async function fetchWithBody(
  url: string,
  init: Omit<RequestInit, 'body' | 'headers'> & { headers?: Record<string, string> },
  body: StreamBody,
): Promise<Response> {
  const stream = await body.open();
  try {
    const res = await fetch(url, {
      ...init,
      headers: { ...init.headers, 'content-length': String(body.length) },
      // A web stream of the chunks as they are: fetch copies each chunk of an async iterable it is
      // given (site-5k's Cloudflare buckets: 70 MB more to allocate and collect). Duplex is required for a streamed body.
      body: ReadableStream.from(stream) as unknown as BodyInit,
      duplex: 'half',
    } as RequestInit);
    const answer = await res.arrayBuffer();
    return new Response(NULL_BODY_STATUSES.has(res.status) ? null : answer, { status: res.status, statusText: res.statusText, headers: res.headers });
  } finally {
    stream.destroy();
  }
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Sends with retries. Answers the response of the first non-retryable attempt (a 2xx, or a 4xx the
 * caller maps itself); throws PlatformError when retries run out on 429/5xx/network/timeouts.
 */
export async function sendWithRetry(call: PlatformCall): Promise<Response> {
  const policy = { ...DEFAULT_RETRY, ...call.policy };
  const sleep = call.sleep ?? defaultSleep;
  let last: PlatformError | undefined;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    let waitMs: number | undefined;
    try {
      const res = await call.send({ attempt, signal: AbortSignal.timeout(policy.timeoutMs) });
      if (!RETRYABLE(res.status)) return res;
      const retryAfter =
        parseRetryAfter(res.headers.get('retry-after')) ?? (res.status === 429 ? rateLimitResetIn(res.headers.get('x-ratelimit-reset')) : undefined);
      const text = await res.text().catch(() => '');
      last = errorForStatus(call.label, res.status, text, retryAfter);
      if (retryAfter !== undefined) {
        // A limit that lifts in hours (a daily cap) is not waited out, nor retried by the runner.
        if (retryAfter * 1000 > policy.maxRetryAfterMs)
          throw new PlatformError('quota', `${call.label} has reached a limit of the account: try again ${inWords(retryAfter)}.`, text);
        waitMs = retryAfter * 1000;
      }
    } catch (err) {
      if (err instanceof PlatformError) throw err;
      const timedOut = (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError';
      last = timedOut
        ? new PlatformError('timeout', `${call.label} did not answer in time. Try again in a moment.`, networkCause(err))
        : new PlatformError('unavailable', `${call.label} could not be reached. Try again in a moment.`, networkCause(err));
    }
    if (attempt === policy.attempts) break;
    // Full jitter: a random wait up to the exponential bound, so retries from many callers spread out.
    await sleep(waitMs ?? Math.random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
    if (call.recover && last?.kind !== 'quota') {
      // A 429 was refused before any work; anything else may have made the thing already.
      const found = await call.recover();
      if (found) return found;
    }
  }
  throw last!;
}

/**
 * What failed on the network, for the log: the system's code (ECONNREFUSED…) or the error's name,
 * never its message, which can quote the request's headers (a malformed token in Authorization).
 */
function networkCause(err: unknown): string {
  const e = err as Error & { cause?: { code?: string } };
  return e.cause?.code ?? e.name ?? 'Error';
}

function inWords(seconds: number): string {
  if (seconds < 90 * 60) return `in ${Math.max(1, Math.round(seconds / 60))} minutes`;
  return `in ${Math.round(seconds / 3600)} hours`;
}

/** The product's error for a platform's HTTP status. */
export function errorForStatus(label: string, status: number, platformMessage: string, retryAfterSeconds?: number): PlatformError {
  if (status === 401 || status === 403)
    return new PlatformError(
      'auth',
      `${label} refused the credentials. Reconnect your account in Settings and check the token's permissions.`,
      platformMessage,
    );
  if (status === 429)
    return new PlatformError('quota', `${label} is limiting requests right now. Wait a minute and try again.`, platformMessage, retryAfterSeconds);
  if (status === 524 || status === 504) return new PlatformError('timeout', `${label} took too long to answer. Try again in a moment.`, platformMessage);
  if (status >= 500) return new PlatformError('unavailable', `${label} is having trouble right now. Try again in a few minutes.`, platformMessage);
  if (status === 404) return new PlatformError('not_found', `${label} could not find what we asked for.`, platformMessage);
  if (status === 409) return new PlatformError('conflict', `${label} reported a conflict.`, platformMessage);
  return new PlatformError('bad_request', `${label} refused the request: ${platformMessage.slice(0, 300)}`, platformMessage);
}
