// A WebSocket-to-TCP relay so the Neon serverless driver (which speaks the Postgres protocol over a
// WebSocket) can reach a plain PostgreSQL: development and CI run production's driver this way.
// Development only: it relays only to the addresses it is given, never to one a client asks for, and
// only for a client that knows its random path token (`ws://127.0.0.1:{port}/{token}/v1`), so no
// other local process or web page can reach the database through it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { WebSocketServer, type RawData } from 'ws';

export interface WsRelay {
  port: number;
  /** The path token every connection must carry as its first path segment. */
  token: string;
  /** What NEON_WS_PROXY / neonConfig.wsProxy takes: `127.0.0.1:{port}/{token}/v1`. */
  proxy: string;
  close(): Promise<void>;
}

export async function startWsRelay(options: { allow: string[]; port?: number; host?: string; token?: string }): Promise<WsRelay> {
  const allowed = new Set(options.allow);
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('base64url');
  const expected = Buffer.from(token);
  const server = new WebSocketServer({
    host,
    port: options.port ?? 0,
    // Refused before the upgrade: a client without the token never gets a WebSocket.
    verifyClient: ({ req }, done) => {
      const given = Buffer.from(new URL(req.url ?? '/', 'ws://relay').pathname.split('/')[1] ?? '');
      if (given.length === expected.length && timingSafeEqual(given, expected)) done(true);
      else done(false, 403, 'Forbidden');
    },
  });

  server.on('connection', (socket, request) => {
    const address = new URL(request.url ?? '/', 'ws://relay').searchParams.get('address') ?? '';
    if (!allowed.has(address)) {
      socket.close(1008, 'address not allowed');
      return;
    }
    const separator = address.lastIndexOf(':');
    const tcp = net.connect({ host: address.slice(0, separator), port: Number(address.slice(separator + 1)) });
    tcp.setNoDelay(true);
    // Frames that arrive before the TCP connection is up are written once it is (net buffers them).
    socket.on('message', (data: RawData) => tcp.write(data as Buffer));
    tcp.on('data', (chunk) => socket.send(chunk));
    const closeBoth = () => {
      tcp.destroy();
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close();
    };
    socket.on('close', closeBoth);
    socket.on('error', closeBoth);
    tcp.on('close', closeBoth);
    tcp.on('error', closeBoth);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    token,
    proxy: `${host}:${port}/${token}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
