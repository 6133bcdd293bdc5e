// The product's server for the benchmark, in its own process so its RSS is its own: the real route
// handlers (tRPC, blob PUT, SSE events, deploy-status) behind a tiny node:http adapter on a loopback
// port. Started by bench/run.ts with CLOUD_PORT and DATABASE_URL set; prints `PORT <n>` when ready.
// Bench-only endpoints (/_bench/...): peak RSS, bytes received per route, status-hub reads, a user
// with an API key, and the timestamped events of a deployment (for phase timings and delivery delay).
import { readFileSync, writeFileSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { asc, eq, sql } from 'drizzle-orm';
import { signUp } from '@/server/auth/accounts';
import { createApiKey } from '@/server/auth/api-keys';
import { getDb, getDbHandle } from '@/server/db/client';
import { deploymentEvents } from '@/server/db/schema';
import { getStatusHub } from '@/server/deploy/background';
import { deploySettings, replaceProcessDeploySettings } from '@/server/deploy/settings';
import * as blobRoute from '@/app/api/blobs/[sha256]/route';
import * as blobsRoute from '@/app/api/blobs/route';
import * as eventsRoute from '@/app/api/deployments/[id]/events/route';
import * as statusRoute from '@/app/api/deploy-status/route';
import * as trpcRoute from '@/app/api/trpc/[trpc]/route';
import { startProfile, stopProfile } from './profile';

// This process's deploy settings (its routes and their runners take them): rate limits and quotas
// lifted for the bench user; Amplify jobs polled every 100 ms (product: 2.5 s).
export const AMPLIFY_POLL_MS = 100;
replaceProcessDeploySettings(
  deploySettings({
    limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, userTokenPerHour: 1e6, platformQuota: {} },
    retries: { baseDelayMs: 50 },
    polling: { amplify: { intervalMs: AMPLIFY_POLL_MS } },
  }),
);

// ---- peak RSS: the kernel's high-water mark of this process (VmHWM), reset at each phase ----
// Exact, and it costs the server nothing while it works. Where Linux cannot reset it (clear_refs), RSS
// is sampled every 20 ms instead.
const bytesOf = (status: string, field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
const kb = (field: string) => bytesOf(readFileSync('/proc/self/status', 'utf8'), field);
let kernelPeak = false;
try {
  writeFileSync('/proc/self/clear_refs', '5');
  // Reset means the mark is now the RSS: a kernel that takes the write and ignores it is sampled instead.
  const status = readFileSync('/proc/self/status', 'utf8');
  kernelPeak = bytesOf(status, 'VmHWM') - bytesOf(status, 'VmRSS') < 1024 * 1024;
} catch {
  // Not Linux, or not allowed: sampled below.
}
let sampledPeak = process.memoryUsage.rss();
const peakRss = () => (kernelPeak ? kb('VmHWM') : sampledPeak);
/** What the main thread's memory was made of at its largest sample, every 250 ms (the worker threads' heaps are in the RSS only). */
let atPeak: NodeJS.MemoryUsage = process.memoryUsage();
setInterval(
  () => {
    const rss = process.memoryUsage.rss();
    if (rss > atPeak.rss) atPeak = process.memoryUsage();
    sampledPeak = Math.max(sampledPeak, rss);
  },
  kernelPeak ? 250 : 20,
).unref();
const resetPeak = () => {
  if (kernelPeak) writeFileSync('/proc/self/clear_refs', '5');
  atPeak = process.memoryUsage();
  sampledPeak = atPeak.rss;
};

// ---- bytes received per route (request bodies as they arrive on the socket) ----
const bytesIn: Record<string, number> = {};
const requests: Record<string, number> = {};
const routeOf = (path: string) =>
  path.startsWith('/api/trpc/')
    ? `trpc ${path.slice('/api/trpc/'.length)}`
    : path.startsWith('/api/blobs')
      ? 'blobs upload'
      : path.startsWith('/api/deployments/')
        ? 'events SSE'
        : path;

type Handler = (req: Request) => Promise<Response> | Response;
function handlerFor(method: string, path: string): Handler | undefined {
  if (path.startsWith('/api/trpc/')) return (method === 'GET' ? trpcRoute.GET : trpcRoute.POST) as Handler;
  if (method === 'PUT' && /^\/api\/blobs\/[^/]+$/.test(path)) return blobRoute.PUT as unknown as Handler;
  if (method === 'POST' && path === '/api/blobs') return blobsRoute.POST as unknown as Handler;
  if (method === 'GET' && /^\/api\/deployments\/[^/]+\/events$/.test(path)) return eventsRoute.GET as unknown as Handler;
  if (method === 'GET' && path === '/api/deploy-status') return statusRoute.GET as unknown as Handler;
  return undefined;
}

/** IncomingMessage → Web Request, the route's Response → ServerResponse (streamed, for SSE). */
async function serveRoute(handler: Handler, req: IncomingMessage, res: ServerResponse, route: string) {
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  // The body streams into the route, as Next hands it over (counted as it arrives).
  if (hasBody) req.on('data', (c: Buffer) => (bytesIn[route] = (bytesIn[route] ?? 0) + c.length));
  const request = new Request(`http://${req.headers.host ?? '127.0.0.1'}${req.url}`, {
    method: req.method,
    headers,
    body: hasBody ? (Readable.toWeb(req) as unknown as BodyInit) : undefined,
    duplex: 'half',
    signal: abort.signal,
  } as RequestInit);
  const response = await handler(request);
  const out: Record<string, string | string[]> = {};
  response.headers.forEach((v, k) => (out[k] = v));
  const cookies = response.headers.getSetCookie();
  if (cookies.length) out['set-cookie'] = cookies;
  res.writeHead(response.status, out);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  abort.signal.addEventListener('abort', () => void reader.cancel().catch(() => {}));
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await new Promise((r) => res.once('drain', r));
    }
  } catch {
    /* the client went away */
  }
  res.end();
}

async function bench(req: IncomingMessage, res: ServerResponse, url: URL) {
  const json = (v: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(v));
  };
  switch (url.pathname) {
    case '/_bench/profile-start':
      await startProfile();
      return json({ ok: true });
    case '/_bench/profile-stop':
      return json(await stopProfile());
    case '/_bench/stats':
      return json({
        peakRss: peakRss(),
        peakFrom: kernelPeak ? 'VmHWM' : 'sampled every 20 ms',
        atPeak,
        rss: process.memoryUsage().rss,
        // Every thread of the process (the worker threads too).
        cpuMs: (process.cpuUsage().user + process.cpuUsage().system) / 1000,
        bytesIn,
        requests,
        statusReads: getStatusHub().reads,
        driver: (await getDbHandle()).driver,
      });
    case '/_bench/reset':
      (globalThis as { gc?: () => void }).gc?.();
      resetPeak();
      for (const k of Object.keys(bytesIn)) delete bytesIn[k];
      for (const k of Object.keys(requests)) delete requests[k];
      return json({ rss: atPeak.rss });
    case '/_bench/user': {
      const db = await getDb();
      const user = await signUp(db, {
        email: `bench-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@huskit.test`,
        password: 'a long enough bench password',
      });
      const { key } = await createApiKey(db, user.id, 'bench');
      return json({ userId: user.id, key });
    }
    case '/_bench/db-size': {
      // Every table with its indexes and TOAST: how much PostgreSQL holds, in all and per table. After a
      // VACUUM, as autovacuum leaves it: a GIN index's pending list is merged into the index (it grows).
      await (await getDb()).execute(sql`vacuum`);
      const result = (await (
        await getDb()
      ).execute(
        sql`select c.relname as name, pg_total_relation_size(c.oid)::bigint as bytes from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind = 'r' and n.nspname = 'public'`,
      )) as unknown as { rows: { name: string; bytes: string | number }[] };
      const tables = Object.fromEntries(result.rows.map((r) => [r.name, Number(r.bytes)]));
      return json({ bytes: Object.values(tables).reduce((a, b) => a + b, 0), tables });
    }
    case '/_bench/events': {
      const db = await getDb();
      const rows = await db
        .select({
          id: deploymentEvents.id,
          status: deploymentEvents.status,
          step: deploymentEvents.step,
          message: deploymentEvents.message,
          createdAt: deploymentEvents.createdAt,
        })
        .from(deploymentEvents)
        .where(eq(deploymentEvents.deploymentId, url.searchParams.get('id') ?? ''))
        .orderBy(asc(deploymentEvents.id));
      return json(rows.map((r) => ({ ...r, at: r.createdAt.getTime() })));
    }
  }
  res.writeHead(404).end();
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://bench.local');
  const run = async () => {
    if (url.pathname.startsWith('/_bench/')) return bench(req, res, url);
    const handler = handlerFor(req.method ?? 'GET', url.pathname);
    if (!handler) return void res.writeHead(404).end();
    const route = routeOf(url.pathname);
    requests[route] = (requests[route] ?? 0) + 1;
    await serveRoute(handler, req, res, route);
  };
  run().catch((err) => {
    console.error('[bench server]', err);
    if (!res.headersSent) res.writeHead(500).end(String(err));
    else res.destroy();
  });
});
server.keepAliveTimeout = 30_000;
server.maxConnections = 10_000;

await getDb(); // opens the database (and migrates) before the first request
server.listen(0, '127.0.0.1', () => console.log(`PORT ${(server.address() as AddressInfo).port}`));
// Stopped by the bench with SIGTERM: exit as a process does, so that its exit hooks run (its spool folder goes).
process.once('SIGTERM', () => process.exit(0));
