// How an adapter uploads what the platform lacks: a few uploads at a time, and a progress line after
// each item (or each group of items) sent, its percentage by the bytes sent so far within the span the
// upload has in the deployment's progress (10–80 unless an adapter says otherwise).
import type { DeployContext } from './adapter';
import { forEachConcurrently } from './concurrency';

/** What has been sent so far, for the progress line. */
export interface UploadTally {
  sentFiles: number;
  totalFiles: number;
  sentBytes: number;
  totalBytes: number;
}

export interface UploadWithProgress<T> {
  /** The step the progress lines belong to. */
  step: string;
  /** The platform's name, in the progress lines. */
  platform: string;
  items: readonly T[];
  /** The bytes an item sends. */
  bytes(item: T): number;
  /** The files an item holds: 1 unless an item is a group of files (a platform's buckets). */
  files?(item: T): number;
  send(item: T): Promise<void>;
  /** Uploads in flight at once. */
  concurrency: number;
  /**
   * Items reported together: a group is sent (`concurrency` at a time), then reported, then the next
   * group starts. Without groups, every item is reported as soon as it is sent.
   */
  groups?: { maxItems: number; maxBytes?: number };
  /** After a group is sent, before its line (e.g. to checkpoint the blobs it holds). */
  afterGroup?(group: T[]): Promise<void>;
  /** The progress the upload spans: `from` before the first byte, `to` once every byte is sent. */
  span?: { from: number; to: number };
  /** A line reported at `from` before anything is sent. */
  startLine?: string;
  /** The line reported after each item or group; by default "Uploaded 3 of 7 changed files (… of … bytes) to <platform>". */
  line?(tally: UploadTally): string;
}

const DEFAULT_SPAN = { from: 10, to: 80 };

const defaultLine = (platform: string, t: UploadTally) =>
  `Uploaded ${t.sentFiles} of ${t.totalFiles} changed file${t.totalFiles === 1 ? '' : 's'} (${t.sentBytes} of ${t.totalBytes} bytes) to ${platform}`;

/** Consecutive groups of at most `maxItems` items and `maxBytes` bytes (an item larger than that is a group of its own). */
export function groupsOf<T>(items: readonly T[], bytes: (item: T) => number, limits: { maxItems: number; maxBytes?: number }): T[][] {
  const maxBytes = limits.maxBytes ?? Infinity;
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    if (current.length && (current.length >= limits.maxItems || size + bytes(item) > maxBytes)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += bytes(item);
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * Sends every item with `upload.send`, `concurrency` at a time, reporting progress as it goes; with no
 * items, says the platform already has every file. The first failure stops new uploads and is thrown.
 */
export async function uploadWithProgress<T>(ctx: Pick<DeployContext<unknown>, 'report'>, upload: UploadWithProgress<T>): Promise<void> {
  const { from, to } = upload.span ?? DEFAULT_SPAN;
  if (upload.items.length === 0) {
    await ctx.report(upload.step, to, `${upload.platform} already has every file`);
    return;
  }
  const files = upload.files ?? (() => 1);
  const tally: UploadTally = {
    sentFiles: 0,
    totalFiles: upload.items.reduce((n, item) => n + files(item), 0),
    sentBytes: 0,
    totalBytes: upload.items.reduce((n, item) => n + upload.bytes(item), 0),
  };
  const report = () =>
    ctx.report(
      upload.step,
      from + Math.round(((to - from) * tally.sentBytes) / Math.max(tally.totalBytes, 1)),
      upload.line ? upload.line(tally) : defaultLine(upload.platform, tally),
    );
  const send = async (item: T) => {
    await upload.send(item);
    tally.sentBytes += upload.bytes(item);
    tally.sentFiles += files(item);
  };

  if (upload.startLine !== undefined) await ctx.report(upload.step, from, upload.startLine);
  if (!upload.groups) {
    await forEachConcurrently(upload.items, upload.concurrency, async (item) => {
      await send(item);
      await report();
    });
    return;
  }
  for (const group of groupsOf(upload.items, upload.bytes, upload.groups)) {
    await forEachConcurrently(group, upload.concurrency, send);
    await upload.afterGroup?.(group);
    await report();
  }
}
