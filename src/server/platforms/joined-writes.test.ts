import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { JoinedWrites } from './joined-writes';

describe('joined writes', () => {
  it('copies pieces of bytes and latin1 text into writes of exactly the size asked, the last with what is left, bytes unchanged', () => {
    const pieces: (Buffer | string)[] = Array.from({ length: 1000 }, (_, i) =>
      i % 3 === 0 ? randomBytes(1 + (i % 97)).toString('base64') : i % 3 === 1 ? randomBytes(1 + (i % 97)) : 'ÿé\x00'.repeat(1 + (i % 5)),
    );
    pieces.push(randomBytes(20_000), 'x'.repeat(9000));
    const joined = new JoinedWrites(4096);
    const out: Buffer[] = [];
    for (const piece of pieces) for (const write of joined.add(piece)) out.push(Buffer.from(write));
    out.push(...joined.end());
    const expected = Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p)));
    expect(Buffer.concat(out).equals(expected)).toBe(true);
    expect(out.slice(0, -1).every((w) => w.length === 4096)).toBe(true);
    expect(out.at(-1)!.length).toBe(expected.length % 4096 || 4096);
  });

  it('hands on a new write each time, never one it writes into again, and nothing for nothing', () => {
    const joined = new JoinedWrites(8);
    const writes = [...joined.add(Buffer.from('abcdefgh')), ...joined.add('ijklmnop')];
    expect(writes.map((w) => w.toString())).toEqual(['abcdefgh', 'ijklmnop']);
    expect(writes[0]!.buffer).not.toBe(writes[1]!.buffer);
    expect([...joined.end()]).toEqual([]);
    expect([...new JoinedWrites(8).end()]).toEqual([]);
  });
});
