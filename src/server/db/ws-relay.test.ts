// The development WebSocket relay: only a client that knows its per-process path token gets through,
// only to the allowed address; in production it is never started.
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startWsRelay } from './ws-relay';

/** A real TCP server that answers every chunk with "echo:" + the chunk. */
async function echoServer() {
  const server = net.createServer((socket) => socket.on('data', (d) => socket.write(Buffer.concat([Buffer.from('echo:'), d]))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as net.AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The HTTP status a refused upgrade answers (the WebSocket never opens). */
const refusedStatus = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('open', () => reject(new Error('the relay accepted a connection it should refuse')));
  });

afterEach(() => {
  vi.unstubAllEnvs();
  vi.resetModules();
});

describe('WebSocket relay', () => {
  it('refuses, before the upgrade, a connection without the token or with a wrong one (403)', async () => {
    const echo = await echoServer();
    const relay = await startWsRelay({ allow: [echo.address] });
    try {
      expect(relay.token.length).toBeGreaterThanOrEqual(32);
      expect(await refusedStatus(`ws://127.0.0.1:${relay.port}/v1?address=${echo.address}`)).toBe(403);
      expect(await refusedStatus(`ws://127.0.0.1:${relay.port}/${'x'.repeat(relay.token.length)}/v1?address=${echo.address}`)).toBe(403);
      expect(await refusedStatus(`ws://127.0.0.1:${relay.port}/${relay.token.slice(1)}/v1?address=${echo.address}`)).toBe(403);
    } finally {
      await relay.close();
      await echo.close();
    }
  });

  it('relays both ways with the token (its proxy string is what the Neon driver is given)', async () => {
    const echo = await echoServer();
    const relay = await startWsRelay({ allow: [echo.address] });
    try {
      expect(relay.proxy).toBe(`127.0.0.1:${relay.port}/${relay.token}/v1`);
      const ws = new WebSocket(`ws://${relay.proxy}?address=${echo.address}`);
      const reply = new Promise<string>((resolve) => ws.on('message', (d: Buffer) => resolve(d.toString())));
      ws.on('open', () => ws.send(Buffer.from('hello')));
      expect(await reply).toBe('echo:hello');
      ws.close();
    } finally {
      await relay.close();
      await echo.close();
    }
  });

  it('each relay has its own random token', async () => {
    const [a, b] = await Promise.all([startWsRelay({ allow: [] }), startWsRelay({ allow: [] })]);
    expect(a.token).not.toBe(b.token);
    await Promise.all([a.close(), b.close()]);
  });

  it('relays only to the allowed address, even with the token', async () => {
    const relay = await startWsRelay({ allow: ['127.0.0.1:5432'] });
    try {
      const refused = new WebSocket(`ws://${relay.proxy}?address=127.0.0.1:6379`);
      const code = await new Promise<number>((resolve) => refused.on('close', (c) => resolve(c)));
      expect(code).toBe(1008);
    } finally {
      await relay.close();
    }
  });

  it('is never started in production: a local DATABASE_URL without NEON_WS_PROXY stops with a message naming it', async () => {
    vi.stubEnv('NODE_ENV', 'production');
    vi.stubEnv('SESSION_SECRET', 'a-production-session-secret-of-enough-length');
    vi.stubEnv('ENCRYPTION_KEYS', `k1:${Buffer.alloc(32, 9).toString('base64')}`);
    vi.stubEnv('CRON_SECRET', 'a-production-cron-secret');
    vi.stubEnv('NEON_WS_PROXY', '');
    const { openDb } = await import('./client');
    const { ConfigError } = await import('../env');
    const opening = openDb({ databaseUrl: 'postgres://postgres@127.0.0.1:5432/postgres', migrate: false });
    await expect(opening).rejects.toThrow(ConfigError);
    await expect(opening).rejects.toThrow(/NEON_WS_PROXY is missing for a local DATABASE_URL in production/);
  });
});
