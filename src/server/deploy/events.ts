// The status history of a deployment (deployment_events) and its live fan-out. Each row is one SSE
// event whose id is the row id, so a watcher that reconnects with Last-Event-ID loses nothing. One
// poller per deployment per process reads new rows and hands them to every watcher, so a thousand
// watchers cost the database what one does. The same loop re-drives a deployment whose runner died.
// A new event wakes the poller at once: from this process directly, from other processes through
// NOTIFY on the `deployment_events` channel. The poll stays as the safety net (a pooled connection
// drops notifications), so a missed wake-up costs at most one poll interval.
import { EventEmitter } from 'node:events';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { isTerminalStatus, type DeploymentPlatform, type DeploymentStatus, type DeploymentStatusEvent } from '@/lib/deployment';
import type { Db, Tx } from '../db/client';
import { deploymentEvents, deployments } from '../db/schema';

export interface DeploymentEventInput {
  status: DeploymentStatus;
  step: string;
  progress?: number | null;
  message: string;
}

export const EVENTS_CHANNEL = 'deployment_events';

/** Deployment ids (and event ids) just recorded by this process. */
const recorded = new EventEmitter().setMaxListeners(0);

/**
 * Writes an event and notifies every process listening, in one statement (inside a transaction the
 * notification goes out at commit). Answers the event's id.
 */
export async function insertEvent(db: Db | Tx, deploymentId: string, event: DeploymentEventInput): Promise<number> {
  const result = await db.execute(sql`
    with inserted as (
      insert into ${deploymentEvents} (deployment_id, status, step, progress, message)
      values (${deploymentId}, ${event.status}, ${event.step}, ${event.progress ?? null}, ${event.message})
      returning id, deployment_id
    )
    select id, pg_notify(${EVENTS_CHANNEL}, deployment_id::text || ':' || id::text) from inserted`);
  return Number((result as unknown as { rows: { id: number | string }[] }).rows[0]!.id);
}

/** Records an event. Inside a transaction the row is not visible yet: the caller announces it after commit. */
export async function recordEvent(db: Db | Tx, deploymentId: string, event: DeploymentEventInput): Promise<void> {
  const id = await insertEvent(db, deploymentId, event);
  if (!('rollback' in db)) announceEvent(deploymentId, id);
}

/** Wakes this process's watchers of a deployment whose new events are committed. */
export function announceEvent(deploymentId: string, eventId?: number): void {
  recorded.emit('event', deploymentId, eventId);
}

export async function eventsAfter(db: Db, deploymentId: string, afterId = 0) {
  return db
    .select()
    .from(deploymentEvents)
    .where(and(eq(deploymentEvents.deploymentId, deploymentId), gt(deploymentEvents.id, afterId)))
    .orderBy(asc(deploymentEvents.id));
}

type Listener = (event: DeploymentStatusEvent) => void;

interface Watch {
  deploymentId: string;
  userId: string;
  platform: DeploymentPlatform;
  events: DeploymentStatusEvent[];
  listeners: Set<Listener>;
  terminal: boolean;
  timer?: NodeJS.Timeout;
  idleSince?: number;
  /** A read is under way; a wake-up meanwhile asks for one more after it. */
  polling?: boolean;
  wakeAgain?: boolean;
  /** The newest event id announced, and the newest one a read already started after. */
  announcedId?: number;
  coveredId?: number;
}

export interface StatusHubOptions {
  /**
   * Subscribes to events recorded by other processes (NOTIFY); called when the hub is first used, and
   * again after `lost`. Answers how to stop.
   */
  listen?: (wake: (deploymentId: string, eventId?: number) => void, lost: (err: Error) => void) => Promise<() => Promise<void>>;
  pollMs?: number;
  /** How long a finished or unwatched deployment stays in memory for reconnecting watchers. */
  keepMs?: number;
  /** Called when a deployment is unfinished and no runner holds it (lease expired). */
  redrive?: (deploymentId: string) => void;
}

export class StatusHub {
  /** Database reads made for status (tests and the benchmark count them). */
  reads = 0;
  private watches = new Map<string, Promise<Watch | null>>();
  private readonly pollMs: number;
  private readonly keepMs: number;

  constructor(
    private readonly getDb: () => Promise<Db>,
    private readonly options: StatusHubOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 1000;
    this.keepMs = options.keepMs ?? 30_000;
    recorded.on('event', this.wake);
  }

  private listening?: Promise<(() => Promise<void>) | undefined>;

  /** A new event (this process's, or another's through NOTIFY): read it now rather than at the next poll. */
  private readonly wake = (deploymentId: string, eventId?: number) => {
    void this.watches.get(deploymentId)?.then(
      (watch) => {
        if (!watch || watch.terminal || !this.watches.has(deploymentId)) return;
        // Announced twice (in process, then by NOTIFY): the second finds it read, or being read.
        if (eventId !== undefined) {
          if (eventId <= Math.max(watch.events.at(-1)?.id ?? 0, watch.coveredId ?? 0)) return;
          watch.announcedId = Math.max(watch.announcedId ?? 0, eventId);
        }
        if (watch.polling) {
          watch.wakeAgain = true;
          return;
        }
        clearTimeout(watch.timer);
        void this.tick(watch);
      },
      () => {},
    );
  };

  /**
   * Follows a deployment of this user: past events after `afterId` are delivered at once, new ones as
   * they come. Null when the deployment does not exist or is someone else's.
   */
  async subscribe(deploymentId: string, userId: string, afterId: number, listener: Listener): Promise<{ unsubscribe(): void; terminal(): boolean } | null> {
    // Once this answers, events of other processes are heard (the first watcher waits for LISTEN).
    await this.listen();
    const watch = await this.load(deploymentId);
    if (!watch || watch.userId !== userId) return null;
    for (const e of watch.events) if (e.id > afterId) listener(e);
    watch.listeners.add(listener);
    watch.idleSince = undefined;
    return {
      unsubscribe: () => {
        watch.listeners.delete(listener);
        if (watch.listeners.size === 0) watch.idleSince = Date.now();
      },
      terminal: () => watch.terminal,
    };
  }

  /** Starts listening for other processes' events once; after a failure, tries again a minute later. */
  private listen() {
    this.listening ??= this.options
      .listen?.(this.wake, (err) => {
        console.error('[status] notifications lost, polling until the next watcher listens again:', err.message);
        this.listening = undefined;
      })
      .catch((err: Error) => {
        console.error('[status] no notifications for now, polling only:', err.message);
        setTimeout(() => (this.listening = undefined), 60_000).unref();
        return undefined;
      });
    return this.listening;
  }

  private load(deploymentId: string): Promise<Watch | null> {
    let watch = this.watches.get(deploymentId);
    if (!watch) {
      watch = this.open(deploymentId);
      this.watches.set(deploymentId, watch);
      // Not found, or the read failed: the next watcher tries again.
      void watch.then(
        (w) => {
          if (!w) this.watches.delete(deploymentId);
        },
        (err: Error) => {
          this.watches.delete(deploymentId);
          console.error('[status] could not open a deployment:', err.message);
        },
      );
    }
    return watch;
  }

  private async open(deploymentId: string): Promise<Watch | null> {
    const db = await this.getDb();
    this.reads++;
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    if (!row) return null;
    const watch: Watch = { deploymentId, userId: row.userId, platform: row.platform, events: [], listeners: new Set(), terminal: false };
    await this.poll(watch, db);
    this.schedule(watch);
    return watch;
  }

  private schedule(watch: Watch) {
    if (!this.watches.has(watch.deploymentId)) return; // closed meanwhile
    watch.timer = setTimeout(() => void this.tick(watch), this.pollMs);
    watch.timer.unref();
  }

  private async tick(watch: Watch) {
    const idle = watch.listeners.size === 0 && watch.idleSince !== undefined && Date.now() - watch.idleSince > this.keepMs;
    if (idle || (watch.terminal && watch.listeners.size === 0)) {
      this.watches.delete(watch.deploymentId);
      return;
    }
    watch.polling = true;
    try {
      do {
        watch.wakeAgain = false;
        // Announced events are committed: this read sees them.
        watch.coveredId = Math.max(watch.coveredId ?? 0, watch.announcedId ?? 0);
        if (!watch.terminal) await this.poll(watch, await this.getDb());
      } while (watch.wakeAgain);
    } catch (err) {
      console.error('[status] poll failed:', (err as Error).message);
    } finally {
      watch.polling = false;
    }
    this.schedule(watch);
  }

  /** One read of new events (and of the row when a runner may be needed); delivers them in order. */
  private async poll(watch: Watch, db: Db) {
    const lastId = watch.events.at(-1)?.id ?? 0;
    this.reads++;
    const rows = await db
      .select({ event: deploymentEvents, url: deployments.url, error: deployments.error, leaseUntil: deployments.leaseUntil, status: deployments.status })
      .from(deployments)
      .leftJoin(deploymentEvents, and(eq(deploymentEvents.deploymentId, deployments.id), gt(deploymentEvents.id, lastId)))
      .where(eq(deployments.id, watch.deploymentId))
      .orderBy(asc(deploymentEvents.id));
    for (const r of rows) {
      if (!r.event) continue;
      const e = r.event;
      const event: DeploymentStatusEvent = {
        id: e.id,
        deploymentId: watch.deploymentId,
        platform: watch.platform,
        status: e.status,
        step: e.step,
        message: e.message,
        at: e.createdAt.toISOString(),
        ...(e.progress !== null ? { progress: e.progress } : {}),
        ...(e.status === 'ready' && r.url ? { url: r.url } : {}),
        ...(e.status === 'error' && r.error ? { error: r.error } : {}),
      };
      watch.events.push(event);
      if (isTerminalStatus(event.status)) watch.terminal = true;
      for (const l of watch.listeners) l(event);
    }
    const row = rows[0];
    if (row && !isTerminalStatus(row.status) && (!row.leaseUntil || row.leaseUntil.getTime() < Date.now())) this.options.redrive?.(watch.deploymentId);
  }

  /** Stops every poller (tests, shutdown). */
  async close() {
    recorded.off('event', this.wake);
    const stop = await this.listening;
    this.listening = undefined;
    await stop?.();
    for (const w of this.watches.values()) {
      const watch = await w.catch(() => null);
      if (watch?.timer) clearTimeout(watch.timer);
    }
    this.watches.clear();
  }
}

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
