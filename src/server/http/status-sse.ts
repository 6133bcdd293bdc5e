// The SSE encoder: a deployment's status events (from the status hub) as a text/event-stream body.
// Each frame carries the event's row id, so a browser that reconnects with Last-Event-ID misses
// nothing; the stream sends `retry: 2000`, a heartbeat comment, closes once a terminal status is sent,
// and closes itself before the host's time limit. Each user holds a bounded number of live streams.
import { isTerminalStatus, type DeploymentStatusEvent } from '@/lib/deployment';
import { getStatusHub } from '../deploy/background';
import type { StatusHub } from '../deploy/status-hub';
import { getEnv } from '../env';
import { AppError } from '../errors';

export interface StreamOptions {
  heartbeatMs?: number;
  /** Close before the host's time limit; the browser reconnects with Last-Event-ID. */
  maxMs?: number;
  signal?: AbortSignal;
  /** Called once when the stream ends, however it ends. */
  onClose?: () => void;
}

/**
 * Live streams per user in this process: each open stream holds a timer and a subscription, so one
 * user opening thousands would exhaust the server. Over the limit a new one is refused.
 */
export class StreamSlots {
  private readonly open = new Map<string, number>();
  constructor(private readonly maxPerUser: () => number) {}

  /** A release function, or null when the user already holds the maximum. */
  acquire(userId: string): (() => void) | null {
    const n = this.open.get(userId) ?? 0;
    if (n >= this.maxPerUser()) return null;
    this.open.set(userId, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.open.get(userId) ?? 1) - 1;
      if (left <= 0) this.open.delete(userId);
      else this.open.set(userId, left);
    };
  }
}

/** The SSE body for a deployment, or null when it is not the user's. */
export async function openStatusStream(
  hub: StatusHub,
  deploymentId: string,
  userId: string,
  afterId: number,
  options: StreamOptions = {},
): Promise<ReadableStream<Uint8Array> | null> {
  const encoder = new TextEncoder();
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let closed = false;
  const buffered: DeploymentStatusEvent[] = [];
  let ready = false;
  const timers: NodeJS.Timeout[] = [];
  let subscription: Awaited<ReturnType<StatusHub['subscribe']>> = null;

  const close = () => {
    if (closed) return;
    closed = true;
    options.onClose?.();
    timers.forEach(clearTimeout); // clears intervals too
    subscription?.unsubscribe();
    try {
      controller.close();
    } catch {
      /* already closed by the client */
    }
  };
  const send = (event: DeploymentStatusEvent) => {
    if (closed) return;
    const { id, ...data } = event;
    controller.enqueue(encoder.encode(`id: ${id}\nevent: status\ndata: ${JSON.stringify({ ...data, at: undefined })}\n\n`));
    if (isTerminalStatus(event.status)) setImmediate(close);
  };

  subscription = await hub.subscribe(deploymentId, userId, afterId, (event) => (ready ? send(event) : buffered.push(event)));
  if (!subscription) return null;

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
      controller.enqueue(encoder.encode('retry: 2000\n\n'));
      ready = true;
      for (const e of buffered.splice(0)) send(e);
      const heartbeat = setInterval(() => !closed && controller.enqueue(encoder.encode(': heartbeat\n\n')), options.heartbeatMs ?? 15_000);
      heartbeat.unref();
      timers.push(heartbeat);
      const limit = setTimeout(close, options.maxMs ?? 280_000);
      limit.unref();
      timers.push(limit);
      options.signal?.addEventListener('abort', close);
    },
    cancel: close,
  });
}

const slots = new StreamSlots(() => getEnv().maxSseStreamsPerUser);

/**
 * The live SSE stream of one of the user's deployments (null when it is not theirs), within the
 * user's number of open streams in this process.
 */
export async function streamDeployment(userId: string, deploymentId: string, afterId: number, signal: AbortSignal) {
  const release = slots.acquire(userId);
  if (!release)
    throw new AppError(
      'TOO_MANY_REQUESTS',
      `You already follow ${getEnv().maxSseStreamsPerUser} deployments live. Close some tabs or deploy modals, or poll the status URL instead.`,
    ).withAction('wait', 5);
  try {
    const stream = await openStatusStream(getStatusHub(), deploymentId, userId, afterId, { signal, maxMs: 280_000, onClose: release });
    if (!stream) release();
    return stream;
  } catch (err) {
    release();
    throw err;
  }
}

/** The answer of the SSE route: the stream, as text/event-stream that no proxy buffers or transforms. */
export function sseResponse(stream: ReadableStream<Uint8Array>): Response {
  return new Response(stream, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    },
  });
}
