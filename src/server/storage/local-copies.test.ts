// Local copies kept of a remote store's objects: each copy's file goes when it is replaced or forgotten,
// and the bytes counted against the budget are those of the copies held.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalCopies } from './local-copies';
import type { Spooled } from './spool';

const dir = mkdtempSync(path.join(os.tmpdir(), 'huskit-copies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file of `size` bytes, as a spooled write leaves one. */
function spooled(size: number): Spooled {
  const file = path.join(dir, randomUUID());
  writeFileSync(file, Buffer.alloc(size));
  return { file, size, sha256: '', remove: () => rm(file, { force: true }) };
}

describe('local copies', () => {
  it('two adoptions of one key at once leave one copy; forgotten, no file is left', async () => {
    const copies = new LocalCopies(() => Promise.reject(new Error('no download in this test')), 10_000);
    await copies.adopt('parts/a', spooled(1000));
    const [b, c] = [spooled(1000), spooled(1000)];
    await Promise.all([copies.adopt('parts/a', b), copies.adopt('parts/a', c)]);
    expect(readdirSync(dir)).toEqual([path.basename(c.file)]);
    const held = await copies.held('parts/a');
    expect(held?.size).toBe(1000);
    await held!.release();
    await copies.forget('parts/a');
    expect(readdirSync(dir)).toEqual([]);
    // Nothing counted is left: a copy of the whole budget still fits, and is kept.
    const whole = spooled(10_000);
    await copies.adopt('packs/b', whole);
    expect(existsSync(whole.file)).toBe(true);
  });
});
