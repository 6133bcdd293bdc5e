// tRPC: the context (database, the caller and how they authenticated), the error format, and the
// procedure tiers. Who may call what is decided here, on the server, never by the page that shows the
// button. Tiers: `publicProcedure` (anyone), `scopedProcedure(scope)` (a session, or an API key with
// that scope), `sessionProcedure` (a signed-in session only: API keys get 403), `adminProcedure`
// (a session of a user whose database role is admin).
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { z, ZodError } from 'zod';
import type { ApiKeyScope } from '@/lib/api-key-scopes';
import type { Db } from '../db/client';
import { getDb } from '../db/client';
import type { SessionUser } from '../auth/accounts';
import { assertKeyScope, assertSession, identifyCaller, type CallerAuth } from '../auth/request';
import { clientIp } from '../auth/throttle';
import { actingIssue, AppError, type AppErrorCode } from '../errors';

export interface TRPCContext {
  db: Db;
  user: SessionUser | null;
  /** How `user` authenticated. Absent only in a caller the server builds itself (tests): a session then. */
  auth?: CallerAuth;
  /** The client's address for the sign-in throttle (src/server/auth/throttle.ts), when known. */
  clientIp?: string | null;
}

/** Builds the context from the request headers: a session cookie or an API key. */
export async function createTRPCContext(opts: { headers: Headers; method?: string }): Promise<TRPCContext> {
  const db = await getDb();
  const request = new Request('http://trpc.local/', { method: opts.method ?? 'GET', headers: opts.headers });
  const caller = await identifyCaller(db, request).catch((err: unknown) => {
    // A cross-site POST or a bad API key is refused outright, with the reason.
    if (err instanceof AppError && (err.code === 'FORBIDDEN' || err.code === 'UNAUTHORIZED'))
      throw new TRPCError({ code: err.code, message: err.message, cause: err });
    throw err;
  });
  return { db, user: caller?.user ?? null, auth: caller?.auth, clientIp: clientIp(opts.headers) };
}

const TRPC_CODE: Record<AppErrorCode, TRPCError['code']> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
  BAD_GATEWAY: 'BAD_GATEWAY',
  GATEWAY_TIMEOUT: 'GATEWAY_TIMEOUT',
};

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const fieldErrors =
      cause instanceof ZodError
        ? (z.flattenError(cause).fieldErrors as Record<string, string[]>)
        : cause instanceof AppError
          ? (cause.fieldErrors ?? null)
          : null;
    // An input refusal that says what to do (a site of too many files: fix the files) reads as the domain's own.
    const acting = cause instanceof ZodError ? actingIssue(cause) : undefined;
    // Never leak the internals of an unexpected error to the browser.
    const message =
      shape.data.code === 'INTERNAL_SERVER_ERROR' && !(cause instanceof AppError)
        ? 'Something went wrong on our side. Try again in a moment.'
        : (acting?.message ?? shape.message);
    const action = cause instanceof AppError ? (cause.action ?? null) : (acting?.action ?? null);
    const retryAfterSeconds = cause instanceof AppError ? (cause.retryAfterSeconds ?? null) : null;
    return { ...shape, message, data: { ...shape.data, stack: undefined, fieldErrors, action, retryAfterSeconds } };
  },
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Domain errors (AppError) become tRPC errors with the same code and message. */
const mapDomainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

export const publicProcedure = t.procedure.use(mapDomainErrors);

const SERVER_SIDE: CallerAuth = { kind: 'session', sessionId: null };

/** Anyone signed in, by session or by key (not exported: every procedure names what a key needs). */
const signedInProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'Sign in to continue.' });
  return next({ ctx: { ...ctx, user: ctx.user, auth: ctx.auth ?? SERVER_SIDE } });
});

/** A signed-in session only: an API key gets 403 (keys, connections, password, sessions, sites, admin). */
export const sessionProcedure = signedInProcedure.use(({ ctx, next }) => {
  assertSession(ctx.auth);
  return next();
});

/** A session, or an API key that carries `scope`. */
export const scopedProcedure = (scope: ApiKeyScope) =>
  signedInProcedure.use(({ ctx, next }) => {
    assertKeyScope(ctx.auth, scope);
    return next();
  });

export const adminProcedure = sessionProcedure.use(({ ctx, next }) => {
  if (ctx.user.role !== 'admin') throw new TRPCError({ code: 'FORBIDDEN', message: 'This page is for operators only.' });
  return next();
});
