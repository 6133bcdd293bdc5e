// How an adapter waits for work that runs on the platform (a job, a deploy, a build): a read every
// `intervalMs` until the work is done or failed, giving up at a deadline (`maxMs` after it started).
// Each platform's defaults are its own (its folder, gathered by registry.ts); a deployment's come in
// its context (`ctx.settings.polling`, see deploy/settings.ts).

export interface Polling {
  intervalMs: number;
  maxMs: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface PollUntil<T> {
  /** One read of the work's state on the platform. */
  read(): Promise<T>;
  /** The read shows the work finished: the wait answers it. */
  done(state: T): boolean;
  /** The read shows the work failed: the error to throw (after whatever must happen first, such as giving a job up), else undefined. */
  failed?(state: T): Error | undefined | Promise<Error | undefined>;
  /** What a read that is neither done nor failed is called in the log; `onNewState` runs when it differs from the read before. */
  stateOf?(state: T): string;
  onNewState?(state: T): Promise<void>;
  /** Every read that is neither done nor failed, after `onNewState` (a nudge the work may need). */
  pending?(state: T): Promise<void>;
  intervalMs: number;
  /** When to give up (ms since the epoch): a read past it that is neither done nor failed ends the wait with `timedOut`. */
  deadline: number;
  /** The error of a wait past its deadline, after stopping the work where the platform can. */
  timedOut(state: T): Error | Promise<Error>;
}

/**
 * Reads until `done` (answering that read) or `failed` (throwing its error); each other read is
 * reported when its state is new, then the deadline is checked, then the next read waits `intervalMs`.
 */
export async function pollUntil<T>(poll: PollUntil<T>): Promise<T> {
  let last = '';
  for (;;) {
    const state = await poll.read();
    if (poll.done(state)) return state;
    const failure = await poll.failed?.(state);
    if (failure) throw failure;
    const name = poll.stateOf?.(state);
    if (name !== undefined && name !== last) {
      last = name;
      await poll.onNewState?.(state);
    }
    await poll.pending?.(state);
    if (Date.now() > poll.deadline) throw await poll.timedOut(state);
    await sleep(poll.intervalMs);
  }
}
