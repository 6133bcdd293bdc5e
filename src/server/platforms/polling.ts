// How an adapter waits for work that runs on the platform (a job, a deploy, a build): a read every
// `intervalMs`, giving up after `maxMs`.

export interface Polling {
  intervalMs: number;
  maxMs: number;
}

/** A platform's polling settings: its defaults, and how a process changes them (tests shorten them). */
export function pollingSettings(defaults: Polling): { current: Polling; configure(patch: Partial<Polling>): void } {
  const current = { ...defaults };
  return { current, configure: (patch) => void Object.assign(current, defaults, patch) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
