// A tRPC client over the real /api/trpc route handler, with the headers a caller sends: a browser's
// session cookie (and its Origin) or an integrator's API key.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import { GET as trpcGet, POST as trpcPost } from '@/app/api/trpc/[trpc]/route';
import type { AppRouter } from '@/server/api/root';
import { APP_ORIGIN } from './http';

export type TrpcHttpClient = ReturnType<typeof trpcOverHttp>;

/** `sent`, when given, hears the size of every request body (what the client sends). */
export function trpcOverHttp(auth: { cookie: string } | { key: string }, sent?: (procedure: string, bytes: number) => void) {
  const headers = 'cookie' in auth ? { cookie: auth.cookie, origin: APP_ORIGIN, host: new URL(APP_ORIGIN).host } : { authorization: `Bearer ${auth.key}` };
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: `${APP_ORIGIN}/api/trpc`,
        transformer: superjson,
        headers,
        fetch: (url, init) => {
          const request = new Request(url, init as RequestInit);
          if (typeof init?.body === 'string') sent?.(new URL(request.url).pathname.replace('/api/trpc/', ''), Buffer.byteLength(init.body));
          return request.method === 'GET' ? trpcGet(request) : trpcPost(request);
        },
      }),
    ],
  });
}

/** What a call answered: 'OK', or the HTTP status and message of its error. */
export async function answerOf(call: Promise<unknown>): Promise<{ status: number; message: string } | 'OK'> {
  try {
    await call;
    return 'OK';
  } catch (err) {
    if (err instanceof TRPCClientError) return { status: (err.data as { httpStatus?: number } | undefined)?.httpStatus ?? 0, message: err.message };
    throw err;
  }
}
