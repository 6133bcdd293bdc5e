// Reading what the local cloud serves and counts, as a user (or a test) would.
import http from 'node:http';

export interface SiteResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The host name of a site URL, for fetchSite. */
export function hostOf(url: string): string {
  return new URL(url).hostname;
}

/** GET a deployed site by its host name (Node's fetch cannot set Host), e.g. `site.sub.workers.localhost`. */
export function fetchSite(cloudUrl: string, host: string, path = '/', headers: Record<string, string> = {}): Promise<SiteResponse> {
  const { port, hostname } = new URL(cloudUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path, method: 'GET', headers: { ...headers, host: `${host}:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export interface CloudStats {
  requests: Record<string, Record<string, number>>;
  bytesReceived: Record<string, number>;
  faultsFired: Record<string, number>;
  blobs: Record<string, number>;
}

export async function cloudStats(cloudUrl: string): Promise<CloudStats> {
  return (await fetch(`${cloudUrl}/_emulator/stats`)).json() as Promise<CloudStats>;
}

/** Every request the local cloud has received, in all (a refusal must not add one). */
export async function totalPlatformRequests(cloudUrl: string): Promise<number> {
  const stats = await cloudStats(cloudUrl);
  return Object.values(stats.requests).reduce((n, byStatus) => n + Object.values(byStatus).reduce((a, b) => a + b, 0), 0);
}

/** Requests of exactly one route name (requestCount matches substrings: …/versions would also count …/versions/:version). */
export function exactRequestCount(stats: CloudStats, routeName: string): number {
  return Object.values(stats.requests[routeName] ?? {}).reduce((n, c) => n + c, 0);
}

/** Requests a route received, summed over statuses (or for one status). */
export function requestCount(stats: CloudStats, routeSubstring: string, status?: number): number {
  let n = 0;
  for (const [route, byStatus] of Object.entries(stats.requests)) {
    if (!route.includes(routeSubstring)) continue;
    for (const [s, count] of Object.entries(byStatus)) if (status === undefined || Number(s) === status) n += count;
  }
  return n;
}

export async function setFaults(cloudUrl: string, settings: { seed?: number; rules: unknown[] }): Promise<void> {
  const res = await fetch(`${cloudUrl}/_emulator/faults`, { method: 'POST', body: JSON.stringify(settings) });
  if (!res.ok) throw new Error(`setting faults failed: ${res.status}`);
}

/** Moves the local cloud's clock; answers its time after the move (ms since the epoch). */
export async function moveCloudClock(cloudUrl: string, body: { advanceMs?: number; offsetMs?: number }): Promise<number> {
  const res = await fetch(`${cloudUrl}/_emulator/clock`, { method: 'POST', body: JSON.stringify(body) });
  return ((await res.json()) as { now: number }).now;
}

/** The local cloud's time (its clock may have been moved), in ms since the epoch. */
export const cloudNow = (cloudUrl: string): Promise<number> => moveCloudClock(cloudUrl, {});
