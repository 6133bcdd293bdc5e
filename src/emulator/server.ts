// The local cloud: one HTTP server for every twin of the registry (twins.ts): each platform's API under
// its path prefix, its upload URLs and its deployed sites (by Host), plus /_emulator/ test endpoints.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, writeFileSync, existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { defaultCloudConfig, type CloudConfig } from './config';
import { Faults, type FaultSettings, type FiredFault } from './faults';
import { BodyTooLarge, readBody, sendJson } from './http';
import type { ApiSurface, EmulatorPlatform, EmulatorServices } from './platform';
import type { FaultTarget, RequestContext } from './router';
import { Stats } from './stats';
import { TWINS } from './twins';

export interface RunningCloud {
  url: string;
  port: number;
  config: CloudConfig;
  stats: Stats;
  faults: Faults;
  platforms: EmulatorPlatform[];
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 200 * 1024 * 1024;

export async function startCloud(config: CloudConfig = defaultCloudConfig()): Promise<RunningCloud> {
  const stats = new Stats();
  const faults = new Faults();
  let clockOffsetMs = 0;
  let origin = `http://${config.host}:${config.port}`;
  let saveTimer: NodeJS.Timeout | undefined;

  const services: EmulatorServices = {
    config,
    clock: { now: () => Date.now() + clockOffsetMs },
    origin: () => origin,
    changed: () => {
      if (!config.persistDir || saveTimer) return;
      saveTimer = setTimeout(() => {
        saveTimer = undefined;
        save();
      }, 200);
    },
  };
  const platforms = Object.values(TWINS).map((twin) => twin.create(services));
  // Longest prefix first, so "/client/v4" wins over the root.
  const apis = platforms.flatMap((p) => p.apis).sort((a, b) => b.prefix.length - a.prefix.length);

  function save() {
    if (!config.persistDir) return;
    const dir = config.persistDir;
    mkdirSync(path.join(dir, 'blobs'), { recursive: true });
    const state: Record<string, unknown> = {};
    for (const platform of platforms) {
      const snap = platform.snapshot();
      state[platform.name] = snap.state;
      for (const [key, bytes] of snap.blobs) {
        const file = path.join(dir, 'blobs', key);
        if (!existsSync(file)) writeFileSync(file, bytes);
      }
    }
    writeFileSync(path.join(dir, 'state.json.tmp'), JSON.stringify(state));
    renameSync(path.join(dir, 'state.json.tmp'), path.join(dir, 'state.json'));
  }

  if (config.persistDir && existsSync(path.join(config.persistDir, 'state.json'))) {
    const state = JSON.parse(readFileSync(path.join(config.persistDir, 'state.json'), 'utf8')) as Record<string, unknown>;
    const readBlob = (key: string) => {
      const file = path.join(config.persistDir!, 'blobs', key);
      return existsSync(file) ? readFileSync(file) : undefined;
    };
    for (const platform of platforms) if (state[platform.name]) platform.restore(state[platform.name], readBlob);
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const hostname = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();

    if (hostname.endsWith(`.${config.siteDomain}`) && hostname.split('.').length > 2) {
      const routeName = `sites ${req.method} ${hostname.split('.').slice(-2, -1)[0]}`;
      track(res, routeName);
      const fault = faults.pick('sites', req.method ?? 'GET', routeName);
      if (fault && (await applyFault(fault, res, (r) => sendPlain(r, fault)))) return;
      for (const platform of platforms) if (await platform.serveSite(hostname, req, res)) return;
      return sendJson(res, 404, { message: `No site answers at ${hostname}` });
    }

    if (rawPath.startsWith('/_emulator/')) return control(req, res, rawPath);

    for (const api of apis) {
      if (api.prefix && rawPath !== api.prefix && !rawPath.startsWith(`${api.prefix}/`)) continue;
      const subPath = rawPath.slice(api.prefix.length) || '/';
      const method = req.method ?? 'GET';
      const matched = api.router.match(method, subPath);
      const routeName = 'route' in matched ? `${api.target} ${method} ${api.prefix}${matched.route.pattern}` : `${api.target} ${method} (unknown)`;
      track(res, routeName);
      const fault = faults.pick(api.target, method, routeName);
      if (fault && (await applyFault(fault, res, (r) => api.sendFault(r, fault)))) return;
      if (!('route' in matched)) {
        // Drain the body so the client sees the answer rather than a reset.
        req.resume();
        return api.sendError(res, matched.methodNotAllowed ? 'method_not_allowed' : 'not_found', `No route for ${method} ${rawPath}`);
      }
      let bodyRead = false;
      const ctx: RequestContext = {
        req,
        res,
        url,
        rawPath: subPath,
        params: matched.params,
        body: async (limit = DEFAULT_BODY_LIMIT) => {
          if (bodyRead) throw new Error('body already read');
          bodyRead = true;
          const body = await readBody(req, limit);
          stats.recordBytes(routeName, body.length);
          return body;
        },
        countBytes: (n) => {
          bodyRead = true;
          stats.recordBytes(routeName, n);
        },
      };
      try {
        await matched.route.handler(ctx);
      } catch (err) {
        if (res.headersSent) return void res.destroy();
        if (err instanceof BodyTooLarge) return api.sendError(res, 'too_large', 'The request body is too large.');
        console.error(`[cloud] ${routeName}:`, err);
        api.sendError(res, 'internal', 'Internal error in the local cloud.');
      }
      if (!bodyRead) req.resume();
      if (method !== 'GET' && method !== 'HEAD') services.changed();
      return;
    }
    sendJson(res, 404, { message: `Nothing here: ${req.method} ${rawPath}` });
  }

  function track(res: ServerResponse, routeName: string) {
    res.once('finish', () => stats.recordRequest(routeName, res.statusCode));
    res.once('close', () => {
      if (!res.writableFinished) stats.recordRequest(routeName, 0); // dropped
    });
  }

  /** True when the fault answered (or dropped) the request; false when it only delayed it. */
  async function applyFault(fault: FiredFault, res: ServerResponse, answer: (res: ServerResponse) => void): Promise<boolean> {
    if (fault.kind === 'delay') {
      await new Promise((r) => setTimeout(r, fault.delayMs ?? 1000));
      return false;
    }
    if (fault.kind === 'drop') {
      res.socket?.destroy();
      return true;
    }
    if (fault.kind === 'drop-after') {
      // The request is handled (its effects happen), then the answer is lost on the way back: the
      // client cannot tell whether its create went through, as after a real timeout or reset.
      const lose = () => {
        res.socket?.destroy();
        return res;
      };
      res.writeHead = lose as typeof res.writeHead;
      res.write = (() => true) as typeof res.write;
      res.end = lose as typeof res.end;
      return false;
    }
    answer(res);
    return true;
  }

  function sendPlain(res: ServerResponse, fault: FiredFault) {
    const status = fault.status ?? 503;
    res.writeHead(status, { 'content-type': 'text/plain', ...(fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {}) });
    res.end(`${status}`);
  }

  async function control(req: IncomingMessage, res: ServerResponse, rawPath: string) {
    const what = `${req.method} ${rawPath}`;
    if (fromWebPage(req)) {
      req.resume();
      return sendJson(res, 403, { message: 'The control endpoints refuse requests from web pages (a foreign Origin). Call them from a script or a test.' });
    }
    if (what === 'GET /_emulator/stats') {
      const blobs: Record<string, number> = {};
      for (const p of platforms) for (const [k, v] of Object.entries(p.stats())) blobs[`${p.name}.${k}`] = v;
      return sendJson(res, 200, {
        requests: stats.requests,
        bytesReceived: stats.bytesReceived,
        faultsFired: Object.fromEntries(faults.fired),
        blobs,
        memory: process.memoryUsage(),
      });
    }
    if (what === 'POST /_emulator/gc') {
      // Only when started with --expose-gc: lets a memory measurement see what is really held.
      (globalThis as { gc?: () => void }).gc?.();
      return sendJson(res, 200, { memory: process.memoryUsage() });
    }
    if (what === 'GET /_emulator/faults') return sendJson(res, 200, { rules: faults.list() });
    if (what === 'POST /_emulator/faults' || what === 'PUT /_emulator/faults') {
      const settings = JSON.parse((await readBody(req, 1 << 20)).toString('utf8') || '{"rules":[]}') as FaultSettings;
      faults.set({ seed: settings.seed, rules: settings.rules ?? [] });
      return sendJson(res, 200, { rules: faults.list() });
    }
    if (what === 'DELETE /_emulator/faults') {
      faults.clear();
      return sendJson(res, 200, { rules: [] });
    }
    if (what === 'POST /_emulator/clock') {
      const body = JSON.parse((await readBody(req, 1 << 16)).toString('utf8') || '{}') as { offsetMs?: number; advanceMs?: number };
      if (typeof body.offsetMs === 'number') clockOffsetMs = body.offsetMs;
      if (typeof body.advanceMs === 'number') clockOffsetMs += body.advanceMs;
      return sendJson(res, 200, { offsetMs: clockOffsetMs, now: Date.now() + clockOffsetMs });
    }
    if (what === 'POST /_emulator/reset') {
      const body = JSON.parse((await readBody(req, 1 << 16)).toString('utf8') || '{}') as { statsOnly?: boolean };
      stats.reset();
      faults.clear();
      if (!body.statsOnly) {
        clockOffsetMs = 0;
        for (const p of platforms) p.reset();
        services.changed();
      }
      return sendJson(res, 200, { ok: true });
    }
    sendJson(res, 404, { message: `Unknown emulator endpoint: ${what}` });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      console.error('[cloud] unhandled:', err);
      if (!res.headersSent) sendJson(res, 500, { message: 'Internal error in the local cloud.' });
      else res.destroy();
    });
  });
  // Clients close an idle connection a second before the server's announced timeout; on a loaded
  // machine a client busy for longer than that second reused a socket the server had just closed
  // (ECONNRESET on a POST, which is never retried). A minute leaves the race to idle minutes.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${config.host}:${port}`;
  config.port = port;

  return {
    url: origin,
    port,
    config,
    stats,
    faults,
    platforms,
    close: async () => {
      if (saveTimer) {
        clearTimeout(saveTimer);
        saveTimer = undefined;
        save();
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * True for a request a web page made: browsers send Origin (and Sec-Fetch-Site) on cross-site
 * requests, scripts and tests (Node's fetch) send neither. A page of the cloud's own loopback origin
 * may call in; a deployed site (another host) or a rebound DNS name may not.
 */
function fromWebPage(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  try {
    const url = new URL(origin);
    return !(LOOPBACK.has(url.hostname) && url.host === req.headers.host);
  } catch {
    return true; // "null" and other opaque origins
  }
}

export type { ApiSurface, FaultTarget };
