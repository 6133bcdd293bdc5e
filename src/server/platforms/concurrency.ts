/** Runs `work` over `items` with at most `limit` in flight; the first failure stops new work and is thrown. */
export async function forEachConcurrently<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        await work(items[index]!, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  await Promise.all(lanes);
}

/**
 * A call started ahead of its turn, so that independent round trips overlap: awaited later (in the
 * order the caller chooses, so the first error told stays the same), its failure is not unhandled meanwhile.
 */
export function early<T>(call: Promise<T>): Promise<T> {
  call.catch(() => {});
  return call;
}
