// The status hub: one poller per deployment per process reads new events (deployment_events, see
// event-store.ts) and hands them to every watcher, so a thousand watchers cost the database what one
// does. The same loop re-drives a deployment whose runner died. A new event wakes the poller at once:
// from this process directly (`announceEvent`), from other processes through NOTIFY on the
// `deployment_events` channel (`listenForEvents`). The poll stays as the safety net (a pooled
// connection drops notifications), so a missed wake-up costs at most one poll interval.
import { EventEmitter } from 'node:events';
import { and, asc, eq, gt } from 'drizzle-orm';
import { isTerminalStatus, type DeploymentPlatform, type DeploymentStatusEvent } from '@/lib/deployment';
import { getDbHandle, type Db } from '../db/client';
import { deploymentEvents, deployments } from '../db/schema';
import { needsRunnerColumn } from './lease';

/** The NOTIFY channel of new events; each payload is `{deploymentId}:{eventId}`. */
export const EVENTS_CHANNEL = 'deployment_events';

/** Deployment ids (and event ids) just recorded by this process. */
const recorded = new EventEmitter().setMaxListeners(0);

/** Wakes this process's watchers of a deployment whose new events are committed. */
export function announceEvent(deploymentId: string, eventId?: number): void {
  recorded.emit('event', deploymentId, eventId);
}

/** Events recorded by other server processes, as NOTIFY `{deploymentId}:{eventId}`. */
export async function listenForEvents(wake: (deploymentId: string, eventId?: number) => void, lost: (err: Error) => void) {
  const handle = await getDbHandle();
  return handle.listen(
    EVENTS_CHANNEL,
    (payload) => {
      const [deploymentId, eventId] = payload.split(':');
      if (deploymentId) wake(deploymentId, Number(eventId) || undefined);
    },
    lost,
  );
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
  /** Its first read of events and its poller, set off by its owner's first watcher (not by anyone else's request). */
  started?: Promise<void>;
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
        // A watch no owner started reads nothing: its owner's first read will see the event.
        if (!watch?.started || watch.terminal || !this.watches.has(deploymentId)) return;
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
    await this.start(watch);
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

  /**
   * The deployment's row only: reading its events and polling (which re-drives a deployment no runner
   * holds) wait for its owner (`start`). A watch no owner starts is let go of after `keepMs`.
   */
  private async open(deploymentId: string): Promise<Watch | null> {
    const db = await this.getDb();
    this.reads++;
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    if (!row) return null;
    const watch: Watch = { deploymentId, userId: row.userId, platform: row.platform, events: [], listeners: new Set(), terminal: false };
    watch.timer = setTimeout(() => {
      if (!watch.started) this.forget(watch);
    }, this.keepMs);
    watch.timer.unref();
    return watch;
  }

  /** The first read of its events, then its poller: once, for every watcher of its owner. */
  private start(watch: Watch): Promise<void> {
    watch.started ??= (async () => {
      clearTimeout(watch.timer);
      // Let go of meanwhile (no owner came in time): this one is the deployment's watch again.
      if (!this.watches.has(watch.deploymentId)) this.watches.set(watch.deploymentId, Promise.resolve(watch));
      await this.read(watch);
      this.schedule(watch);
    })().catch((err: unknown) => {
      // The next watcher tries again.
      watch.started = undefined;
      this.forget(watch);
      throw err;
    });
    return watch.started;
  }

  private forget(watch: Watch) {
    void this.watches.get(watch.deploymentId)?.then(
      (current) => {
        if (current === watch) this.watches.delete(watch.deploymentId);
      },
      () => {},
    );
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
    try {
      await this.read(watch);
    } catch (err) {
      console.error('[status] poll failed:', (err as Error).message);
    }
    this.schedule(watch);
  }

  /** Reads new events, again while wake-ups came during the read. */
  private async read(watch: Watch) {
    watch.polling = true;
    try {
      do {
        watch.wakeAgain = false;
        // Announced events are committed: this read sees them.
        watch.coveredId = Math.max(watch.coveredId ?? 0, watch.announcedId ?? 0);
        if (!watch.terminal) await this.poll(watch, await this.getDb());
      } while (watch.wakeAgain);
    } finally {
      watch.polling = false;
    }
  }

  /** One read of new events (and of the row when a runner may be needed); delivers them in order. */
  private async poll(watch: Watch, db: Db) {
    const lastId = watch.events.at(-1)?.id ?? 0;
    this.reads++;
    const rows = await db
      .select({ event: deploymentEvents, url: deployments.url, error: deployments.error, needsRunner: needsRunnerColumn() })
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
    if (row?.needsRunner) this.options.redrive?.(watch.deploymentId);
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
