// The adapters' shared mechanics on their own: upload progress (percentages, groups, the lines), the
// polling loop (done, failed, new states, deadline) and the typed checkpoint.
import { describe, expect, it } from 'vitest';
import { checkpointOf } from './checkpoint';
import { PlatformError } from './http';
import { pollUntil } from './polling';
import { groupsOf, uploadWithProgress } from './upload-progress';

function reports() {
  const lines: [string, number, string][] = [];
  return { lines, ctx: { report: async (step: string, progress: number, message: string) => void lines.push([step, progress, message]) } };
}

describe('uploadWithProgress', () => {
  it('reports each item as it is sent, 10–80 by bytes, in the words every adapter used', async () => {
    const { lines, ctx } = reports();
    await uploadWithProgress(ctx, { step: 'upload', platform: 'Netlify', items: [10, 30, 60], bytes: (n) => n, send: async () => {}, concurrency: 1 });
    expect(lines).toEqual([
      ['upload', 17, 'Uploaded 1 of 3 changed files (10 of 100 bytes) to Netlify'],
      ['upload', 38, 'Uploaded 2 of 3 changed files (40 of 100 bytes) to Netlify'],
      ['upload', 80, 'Uploaded 3 of 3 changed files (100 of 100 bytes) to Netlify'],
    ]);
  });

  it('counts the files of an item that holds several (a bucket), and says when there is nothing to send', async () => {
    const { lines, ctx } = reports();
    const buckets = [['a', 'b'], ['c']];
    await uploadWithProgress(ctx, {
      step: 'upload',
      platform: 'Cloudflare',
      items: buckets,
      bytes: (b) => b.length,
      files: (b) => b.length,
      send: async () => {},
      concurrency: 3,
    });
    expect(lines.at(-1)).toEqual(['upload', 80, 'Uploaded 3 of 3 changed files (3 of 3 bytes) to Cloudflare']);
    await uploadWithProgress(ctx, { step: 'upload', platform: 'GitHub', items: [], bytes: () => 0, send: async () => {}, concurrency: 3 });
    expect(lines.at(-1)).toEqual(['upload', 80, 'GitHub already has every file']);
  });

  it('sends a group at a time (the next starts once it is done), then its after-step, then its line', async () => {
    const { lines, ctx } = reports();
    const events: string[] = [];
    let inFlight = 0;
    await uploadWithProgress(ctx, {
      step: 'upload',
      platform: 'GitHub',
      items: [1, 2, 3, 4, 5],
      bytes: () => 1,
      send: async (n) => {
        inFlight++;
        expect(inFlight).toBeLessThanOrEqual(2);
        await new Promise((r) => setTimeout(r, 5));
        events.push(`sent ${n}`);
        inFlight--;
      },
      concurrency: 5,
      groups: { maxItems: 2 },
      afterGroup: async (group) => void events.push(`saved ${group.join(',')}`),
    });
    expect(events.filter((e) => e.startsWith('saved'))).toEqual(['saved 1,2', 'saved 3,4', 'saved 5']);
    expect(events.indexOf('saved 1,2')).toBeLessThan(events.indexOf('sent 3'));
    expect(lines.map((l) => l[1])).toEqual([38, 66, 80]);
  });

  it('a span and a first line of its own (one zip: 50, then 70)', async () => {
    const { lines, ctx } = reports();
    await uploadWithProgress(ctx, {
      step: 'upload',
      platform: 'Amplify',
      items: [{ length: 1234 }],
      bytes: (z) => z.length,
      send: async () => {},
      concurrency: 1,
      span: { from: 50, to: 70 },
      startLine: 'Uploading the zip',
      line: ({ sentBytes }) => `Uploaded ${sentBytes} bytes to Amplify`,
    });
    expect(lines).toEqual([
      ['upload', 50, 'Uploading the zip'],
      ['upload', 70, 'Uploaded 1234 bytes to Amplify'],
    ]);
  });

  it('groups by item count and bytes; an item larger than the byte limit is a group of its own', () => {
    expect(groupsOf([1, 1, 1, 1, 1], (n) => n, { maxItems: 2 })).toEqual([[1, 1], [1, 1], [1]]);
    expect(groupsOf([3, 3, 10, 1], (n) => n, { maxItems: 50, maxBytes: 8 })).toEqual([[3, 3], [10], [1]]);
  });
});

describe('pollUntil', () => {
  it('answers the read that is done; reports a state only when it is new; waits between reads', async () => {
    const states = ['queued', 'queued', 'building', 'building', 'ready'];
    const seen: string[] = [];
    let pending = 0;
    const result = await pollUntil({
      read: async () => states.shift()!,
      done: (s) => s === 'ready',
      stateOf: (s) => s,
      onNewState: async (s) => void seen.push(s),
      pending: async () => void pending++,
      intervalMs: 1,
      deadline: Date.now() + 60_000,
      timedOut: () => new Error('late'),
    });
    expect(result).toBe('ready');
    expect(seen).toEqual(['queued', 'building']);
    expect(pending).toBe(4);
  });

  it('throws what `failed` answers, and `timedOut` past the deadline', async () => {
    const base = { done: () => false, intervalMs: 1, timedOut: (s: string) => new PlatformError('timeout', `still ${s}`) };
    await expect(
      pollUntil({
        ...base,
        read: async () => 'error',
        failed: (s) => (s === 'error' ? new PlatformError('bad_request', 'failed') : undefined),
        deadline: Date.now() + 60_000,
      }),
    ).rejects.toMatchObject({ kind: 'bad_request' });
    await expect(pollUntil({ ...base, read: async () => 'slow', deadline: Date.now() - 1 })).rejects.toMatchObject({ kind: 'timeout', message: 'still slow' });
  });
});

describe('checkpointOf', () => {
  it('reads what earlier attempts saved, and a save is seen at once and handed to the deployment', async () => {
    const saved: Record<string, unknown>[] = [];
    const ctx = { checkpoint: { siteId: 's1' }, save: async (patch: Record<string, unknown>) => void saved.push(patch) };
    const { done, save } = checkpointOf<{ siteId?: string; deployId?: string | null }>(ctx);
    expect(done).toEqual({ siteId: 's1' });
    await save({ deployId: 'd1' });
    expect(done).toEqual({ siteId: 's1', deployId: 'd1' });
    expect(saved).toEqual([{ deployId: 'd1' }]);
  });
});
