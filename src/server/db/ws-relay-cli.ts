// The development relay as a process of its own, for servers that run as production (`next start` in
// the browser tests) against a local PostgreSQL: they are given NEON_WS_PROXY=127.0.0.1:{port}/{token}/v1.
// RELAY_PORT (0: any free port, printed) and RELAY_TOKEN (at least 32 random characters) come from the caller.
import { startWsRelay } from './ws-relay';

const fail = (message: string): never => {
  console.error(`[relay] ${message}`);
  process.exit(1);
};

if (process.env.NODE_ENV === 'production') fail('The WebSocket relay is for development and tests only.');
const url = new URL(process.env.DATABASE_URL ?? fail('Set DATABASE_URL to the local PostgreSQL to relay to.'));
if (!['localhost', '127.0.0.1', '[::1]'].includes(url.hostname)) fail('DATABASE_URL must point at a local PostgreSQL (localhost or 127.0.0.1).');
const token = process.env.RELAY_TOKEN ?? '';
if (!/^[A-Za-z0-9_-]{32,}$/.test(token)) fail('Set RELAY_TOKEN to at least 32 random characters (letters, digits, - or _).');
const port = Number(process.env.RELAY_PORT);
if (!/^\d+$/.test(process.env.RELAY_PORT ?? '') || port > 65535) fail('Set RELAY_PORT to a port number (0: any free port).');

const relay = await startWsRelay({ allow: [`${url.hostname}:${url.port || '5432'}`], port, token });
console.log(`[relay] listening on 127.0.0.1:${relay.port}`);
