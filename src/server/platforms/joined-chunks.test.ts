import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { joinedChunks } from './joined-chunks';

async function* from(chunks: Buffer[]) {
  yield* chunks;
}

describe('joined chunks', () => {
  it('joins small chunks into writes of at least the size asked, the last one with what is left, bytes unchanged', async () => {
    const chunks = Array.from({ length: 1000 }, (_, i) => randomBytes(1 + (i % 97)));
    const out: Buffer[] = [];
    for await (const c of joinedChunks(from(chunks), 4096)) out.push(c);
    expect(Buffer.concat(out).equals(Buffer.concat(chunks))).toBe(true);
    expect(out.slice(0, -1).every((c) => c.length >= 4096 && c.length < 4096 + 97)).toBe(true);
    expect(out.at(-1)!.length).toBeGreaterThan(0);
  });

  it('passes a chunk that is already large as it is, and nothing for nothing', async () => {
    const big = randomBytes(10_000);
    const out: Buffer[] = [];
    for await (const c of joinedChunks(from([big]), 4096)) out.push(c);
    expect(out).toHaveLength(1);
    expect(out[0]).toBe(big);
    for await (const _ of joinedChunks(from([]), 4096)) throw new Error('nothing expected');
  });
});
