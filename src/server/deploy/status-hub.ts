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

/** A deployment opened for a user who does not own it: not kept, not read further. */
class Foreign {
  constructor(readonly openedFor: string) {}
}

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
  private watches = new Map<string, Promise<Watch | Foreign | null>>();
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
        if (!watch || watch instanceof Foreign || watch.terminal || !this.watches.has(deploymentId)) return;
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
    let watch = await this.load(deploymentId, userId);
    // Another user's request was opening it: this caller may be its owner, and opens it as such.
    for (let again = 0; watch instanceof Foreign && watch.openedFor !== userId && again < 3; again++) watch = await this.load(deploymentId, userId);
    if (!watch || watch instanceof Foreign || watch.userId !== userId) return null;
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

  private load(deploymentId: string, userId: string): Promise<Watch | Foreign | null> {
    let watch = this.watches.get(deploymentId);
    if (!watch) {
      watch = this.open(deploymentId, userId);
      this.watches.set(deploymentId, watch);
      // Not found, someone else's, or the read failed: the next watcher tries again.
      void watch.then(
        (w) => {
          if (!w || w instanceof Foreign) this.watches.delete(deploymentId);
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
   * Reads the deployment's events and starts its poller, when it is `userId`'s: someone else's is read
   * no further (its events, and the poll that re-drives a deployment no runner holds, are its owner's
   * watching to set off).
   */
  private async open(deploymentId: string, userId: string): Promise<Watch | Foreign | null> {
    const db = await this.getDb();
    this.reads++;
    const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
    if (!row) return null;
    if (row.userId !== userId) return new Foreign(userId);
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
      if (watch && !(watch instanceof Foreign) && watch.timer) clearTimeout(watch.timer);
    }
    this.watches.clear();
  }
}
