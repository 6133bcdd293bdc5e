// The local Amplify reads a deployment's zip as Amplify does: names normalised, entries outside the root
// left out, a damaged or foreign file refused (the job then fails as "not a readable zip").
import JSZip from 'jszip';
import { describe, expect, it } from 'vitest';
import { extractZip } from './serve';

async function zipOf(entries: Record<string, string>, compression: 'DEFLATE' | 'STORE' = 'DEFLATE'): Promise<Buffer> {
  const zip = new JSZip();
  for (const [name, text] of Object.entries(entries)) zip.file(name, text, { createFolders: false });
  zip.folder('empty');
  return zip.generateAsync({ type: 'nodebuffer', compression });
}

describe('reading a deployment zip', () => {
  it('gives each file its bytes under its normalised name, stored or deflated, and leaves out names outside the root', async () => {
    const entries = {
      'index.html': '<h1>home</h1>'.repeat(50),
      './a.html': 'a',
      '/b.html': 'b',
      'dir\\c.html': 'c',
      '../evil.html': 'evil',
      'ünïcode.txt': 'u',
    };
    for (const compression of ['DEFLATE', 'STORE'] as const) {
      const files = await extractZip(await zipOf(entries, compression));
      expect(Object.fromEntries([...files].map(([name, bytes]) => [name, bytes.toString()]))).toEqual({
        'index.html': entries['index.html'],
        'a.html': 'a',
        'b.html': 'b',
        'dir/c.html': 'c',
        'ünïcode.txt': 'u',
      });
    }
  });

  it('refuses a zip whose data is damaged, and a file that is not a zip', async () => {
    const good = await zipOf({ 'index.html': 'hello '.repeat(2000) });
    const damaged = Buffer.from(good);
    // The deflated data starts after the 30-byte local header and the name.
    for (let i = 30 + 'index.html'.length + 4; i < 30 + 'index.html'.length + 24; i++) damaged[i] = damaged[i]! ^ 0xff;
    await expect(extractZip(damaged)).rejects.toThrow();
    await expect(extractZip(Buffer.from('not a zip at all'))).rejects.toThrow();
  });
});
