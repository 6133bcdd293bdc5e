// What the platforms' JSON REST clients share: one call is a request
// to the platform's base URL with its auth headers and a JSON, streamed or form body, sent through the
// shared retry layer (http.ts) with a timeout that grows with the body, a lost create looked up before
// it is sent again, and the answer read by the platform's own rules (its success and error body
// shapes, mapped to PlatformError). Each client says only what is its platform's own.
import { DEFAULT_RETRY, fetchWithBody, sendWithRetry, timeoutForBytes, type RetryPolicy, type StreamBody } from './http';

/**
 * A request body: JSON (a value, or its text written already), a stream with its length (read afresh
 * for each attempt), or a form made afresh for each attempt.
 */
export type ApiBody = { json: unknown } | { jsonText: string } | { stream: StreamBody; contentType: string } | { form: () => BodyInit };

export interface ApiRequest<T> {
  /** Names the call in messages: "<platform> (<operation>)". */
  operation: string;
  method: string;
  /** Below the client's base URL. */
  path: string;
  query?: Record<string, string>;
  body?: ApiBody;
  /** Beside (or instead of) the client's own headers. */
  headers?: Record<string, string>;
  /**
   * For a create that is not idempotent: what an attempt whose answer was lost made, looked up before
   * a resend (http.ts `recover`); what it finds is the call's answer, never a second one.
   */
  recover?: () => Promise<T | undefined>;
  /** Looked up before the first send too (an earlier attempt of the deployment may have sent it). */
  recoverFirst?: boolean;
}

export interface JsonApiOptions {
  /** This client's retry policy over DEFAULT_RETRY (an adapter passes its context's `settings.retries`). */
  policy?: Partial<RetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
}

export abstract class JsonApiClient<Options extends object = object> {
  protected constructor(
    /** The platform's name in messages. */
    protected readonly label: string,
    protected readonly baseUrl: string,
    protected readonly options: JsonApiOptions = {},
  ) {}

  /** The platform's auth scheme and the headers every call carries. */
  protected abstract headers(): Record<string, string>;

  /** The value of an answer, by the platform's rules (its success envelope, "not there" as null), or its error as a PlatformError. */
  protected abstract answer<T>(res: Response, text: string, request: ApiRequest<T> & Options): T;

  /** The URL of a call. */
  protected url(path: string, query?: Record<string, string>): string {
    const qs = query ? new URLSearchParams(query).toString() : '';
    return `${this.baseUrl}${path}${qs ? `?${qs}` : ''}`;
  }

  /** Each attempt's response before the retry layer judges it (a platform that signals limits its own way). */
  protected attempted(res: Response): Response | Promise<Response> {
    return res;
  }

  /** The error a call throws when the retry layer gave up (a platform that words a limit its own way). */
  protected retriesFailed(err: unknown, _request: ApiRequest<unknown> & Options): unknown {
    return err;
  }

  protected async call<T>(request: ApiRequest<T> & Options): Promise<T> {
    const { recover, body } = request;
    if (recover && request.recoverFirst) {
      const earlier = await recover();
      if (earlier !== undefined) return earlier;
    }
    const json = body && 'json' in body ? Buffer.from(JSON.stringify(body.json)) : body && 'jsonText' in body ? Buffer.from(body.jsonText) : undefined;
    const stream = body && 'stream' in body ? body.stream : undefined;
    const bytes = json?.length ?? stream?.length;
    // A form sets its own (multipart, with its boundary).
    const contentType = json ? 'application/json' : body && 'stream' in body ? body.contentType : undefined;
    let found: { value: T } | undefined;
    const policy = { ...DEFAULT_RETRY, ...this.options.policy };
    const res = await sendWithRetry({
      label: `${this.label} (${request.operation})`,
      // A large body gets the time its bytes need, not the fixed timeout of small calls.
      policy: { ...policy, ...(bytes !== undefined ? { timeoutMs: timeoutForBytes(bytes, policy.timeoutMs) } : {}) },
      ...(this.options.sleep ? { sleep: this.options.sleep } : {}),
      recover: recover
        ? async () => {
            const value = await recover();
            if (value === undefined) return undefined;
            found = { value };
            return new Response(null, { status: 204 });
          }
        : undefined,
      send: async ({ signal }) => {
        const url = this.url(request.path, request.query);
        const headers = {
          ...this.headers(),
          ...(contentType ? { 'content-type': contentType } : {}),
          ...request.headers,
        };
        const res = stream
          ? await fetchWithBody(url, { method: request.method, signal, headers }, stream)
          : await fetch(url, {
              method: request.method,
              signal,
              headers,
              body: json ? new Uint8Array(json) : body && 'form' in body ? body.form() : undefined,
            });
        return this.attempted(res);
      },
    }).catch((err: unknown) => {
      throw this.retriesFailed(err, request);
    });
    if (found) return found.value;
    return this.answer(res, await res.text(), request);
  }
}

/** An answer's JSON, or undefined when it is not JSON. */
export function parseJsonOrUndefined<T>(text: string): T | undefined {
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
