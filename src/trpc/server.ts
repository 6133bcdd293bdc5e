// tRPC from Server Components: a caller bound to the request's cookies.
import 'server-only';
import { cache } from 'react';
import { headers } from 'next/headers';
import { createCaller } from '@/server/api/root';
import { createTRPCContext } from '@/server/api/trpc';

export const getServerCaller = cache(async () => createCaller(await createTRPCContext({ headers: new Headers(await headers()) })));
