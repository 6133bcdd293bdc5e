// Reading JSON bodies and writing JSON answers for the REST route handlers, with the limits and the
// error shape every endpoint shares: { error: { code, message, fieldErrors? } }.
import { z } from 'zod';
import { actingIssue, AppError } from '../errors';
import { readBodyWithLimit } from './body';

export async function readJsonBody<T extends z.ZodType>(request: Request, schema: T, maxBytes = 16 * 1024): Promise<z.infer<T>> {
  const type = request.headers.get('content-type') ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type))
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON with the header Content-Type: application/json.');
  const text = (await readBodyWithLimit(request, maxBytes, () => tooLarge(maxBytes))).toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AppError('BAD_REQUEST', 'The body is not valid JSON.');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const flat = z.flattenError(parsed.error);
    const acting = actingIssue(parsed.error);
    const error = new AppError(
      'BAD_REQUEST',
      acting?.message ?? parsed.error.issues[0]?.message ?? 'The request is invalid.',
      flat.fieldErrors as Record<string, string[]>,
    );
    throw acting ? error.withAction(acting.action) : error;
  }
  return parsed.data;
}

const tooLarge = (maxBytes: number) => new AppError('PAYLOAD_TOO_LARGE', `The body is larger than ${Math.round(maxBytes / 1024)} KB. Send less data.`);

export function jsonResponse(body: unknown, status = 200, headers?: HeadersInit): Response {
  const h = new Headers(headers);
  h.set('content-type', 'application/json; charset=utf-8');
  h.set('cache-control', 'no-store');
  h.set('x-content-type-options', 'nosniff');
  return new Response(JSON.stringify(body), { status, headers: h });
}

/** Turns any thrown value into the JSON error answer; unexpected errors are logged, not leaked. */
export function errorResponse(err: unknown, headers?: HeadersInit): Response {
  if (err instanceof AppError) {
    const h = new Headers(headers);
    if (err.retryAfterSeconds !== undefined) h.set('retry-after', String(err.retryAfterSeconds));
    return jsonResponse(
      {
        error: {
          code: err.code,
          message: err.message,
          ...(err.action ? { action: err.action } : {}),
          ...(err.retryAfterSeconds !== undefined ? { retryAfterSeconds: err.retryAfterSeconds } : {}),
          ...(err.fieldErrors ? { fieldErrors: err.fieldErrors } : {}),
        },
      },
      err.status,
      h,
    );
  }
  console.error('[api] unexpected error:', describeError(err));
  return jsonResponse({ error: { code: 'INTERNAL', message: 'Something went wrong on our side. Try again in a moment.' } }, 500, headers);
}

/** A log line for an unexpected error without the values it carried (drizzle appends query params). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const firstLine = err.message.split('\n')[0] ?? '';
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return `${err.name}: ${firstLine}${cause?.code ? ` (${cause.code})` : ''}`;
}

/** Wraps a route handler so every thrown error becomes the shared JSON error answer. */
export function jsonRoute(handler: (request: Request) => Promise<Response>) {
  return async (request: Request): Promise<Response> => {
    try {
      return await handler(request);
    } catch (err) {
      return errorResponse(err);
    }
  };
}
