// A WebSocket-to-TCP relay so the Neon serverless driver (which speaks the Postgres protocol over a
// WebSocket) can reach a plain PostgreSQL: development and CI run production's driver this way.
// It relays only to the addresses it is given, never to one a client asks for.
import net from 'node:net';
import { WebSocketServer, type RawData } from 'ws';

export interface WsRelay {
  port: number;
  close(): Promise<void>;
}

export async function startWsRelay(options: { allow: string[]; port?: number; host?: string }): Promise<WsRelay> {
  const allowed = new Set(options.allow);
  const server = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });

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
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
