import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter } from '@/server/api/root';
import { createTRPCContext } from '@/server/api/trpc';
import { TRPC_LIMITS } from '@/lib/trpc-limits';
import { readBodyWithLimit } from '@/server/http/body';
import { describeError, errorResponse } from '@/server/http/json';
import { AppError } from '@/server/errors';

export const runtime = 'nodejs';

const tooLarge = () =>
  new AppError('PAYLOAD_TOO_LARGE', `The request is larger than ${TRPC_LIMITS.maxBodyBytes / 1024 / 1024} MB. Send fewer or smaller items at a time.`);

const handler = async (req: Request) => {
  let request = req;
  if (req.method === 'POST') {
    // Read under a limit before tRPC parses anything: a huge body never reaches JSON.parse.
    try {
      const body = await readBodyWithLimit(req, TRPC_LIMITS.maxBodyBytes, tooLarge);
      request = new Request(req.url, { method: 'POST', headers: req.headers, body: new Uint8Array(body), signal: req.signal });
    } catch (err) {
      return errorResponse(err);
    }
  }
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: request,
    router: appRouter,
    maxBatchSize: TRPC_LIMITS.maxBatchSize,
    createContext: () => createTRPCContext({ headers: request.headers, method: request.method }),
    onError: ({ path, error }) => {
      if (error.code === 'INTERNAL_SERVER_ERROR') console.error(`[trpc] ${path ?? '?'}:`, describeError(error.cause ?? error));
    },
  });
};

export { handler as GET, handler as POST };
