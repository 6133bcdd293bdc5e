import { getDb, pingDb } from '@/server/db/client';
import { jsonResponse, jsonRoute } from '@/server/http/json';

export const runtime = 'nodejs';

export const GET = jsonRoute(async () => jsonResponse({ ok: await pingDb(await getDb()) }));
