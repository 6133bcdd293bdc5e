// What an adapter keeps between attempts of one deployment, typed by the adapter's own checkpoint
// shape: the steps earlier attempts finished (`done`), and how a step records what it made (`save`),
// which the next read of `done` sees at once and a resumed attempt starts from.
import type { DeployContext } from './adapter';

export interface Checkpointed<C extends object> {
  /** What earlier attempts, and this one so far, finished. */
  readonly done: Readonly<C>;
  /** Records what a step made: in `done` at once, and in the deployment for a resumed attempt. */
  save(patch: Partial<C>): Promise<void>;
}

/** The typed checkpoint of a deployment: a copy of what it holds, kept up to date by `save`. */
export function checkpointOf<C extends object>(ctx: Pick<DeployContext<unknown>, 'checkpoint' | 'save'>): Checkpointed<C> {
  const done = { ...ctx.checkpoint } as C;
  return {
    done,
    async save(patch) {
      Object.assign(done, patch);
      await ctx.save(patch);
    },
  };
}
