// The manifest hash as README defines it (browser and server must agree byte for byte), and the
// changes between two manifests.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { applyChanges, diffManifests, manifestHash, normalizedManifest, type ProposedManifest } from './manifest';

const f = (c: string, size = 1) => ({ sha256: c.repeat(64), size });

describe('manifestHash', () => {
  it('is SHA-256 of `path\\0sha256\\0size\\n` lines sorted by the UTF-8 bytes of the path', async () => {
    // UTF-16 order would put the emoji (a surrogate pair, 0xD83D…) before U+FF5E; UTF-8 order does not.
    const manifest: ProposedManifest = { 'b.css': f('b', 12), '😀.txt': f('c', 3), 'index.html': f('a', 120), '～.txt': f('d', 0), 'a/b.js': f('e', 7) };
    const lines = ['a/b.js', 'b.css', 'index.html', '～.txt', '😀.txt'].map((p) => `${p}\0${manifest[p]!.sha256}\0${manifest[p]!.size}\n`).join('');
    expect(await manifestHash(manifest)).toBe(createHash('sha256').update(lines, 'utf8').digest('hex'));
  });

  it('does not depend on the order of the entries, and tells sizes and hashes apart', async () => {
    const a = { 'index.html': f('a'), 'x.css': f('b') };
    expect(await manifestHash(a)).toBe(await manifestHash({ 'x.css': f('b'), 'index.html': f('a') }));
    expect(await manifestHash(a)).not.toBe(await manifestHash({ ...a, 'x.css': f('b', 2) }));
    expect(await manifestHash(a)).not.toBe(await manifestHash({ ...a, 'x.css': f('c') }));
    // A path that is a prefix of another sorts first, as its bytes do.
    expect(await manifestHash({ a: f('a'), 'a/b': f('b') })).toBe(
      createHash('sha256')
        .update(`a\0${'a'.repeat(64)}\x001\na/b\0${'b'.repeat(64)}\x001\n`)
        .digest('hex'),
    );
  });

  it('sorts as the UTF-8 bytes do for any mix of characters (ASCII, accents, U+E000–U+FFFF, above U+FFFF)', async () => {
    const pieces = ['a', 'Z', '-', 'é', 'ü', '\u0800', '\ue000', '～', '\uffee', '😀', '𝔸', '\u{10ffff}', '/'];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % pieces.length;
    const manifest: ProposedManifest = {};
    for (let i = 0; i < 300; i++)
      manifest[`x${Array.from({ length: 1 + (i % 6) }, () => pieces[next()]).join('')}${i % 11}`] = f('0123456789abcdef'[i % 16]!, i);
    const bytes = Object.keys(manifest).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const lines = bytes.map((p) => `${p}\0${manifest[p]!.sha256}\0${manifest[p]!.size}\n`).join('');
    expect(await manifestHash(manifest)).toBe(createHash('sha256').update(lines, 'utf8').digest('hex'));
  });
});

describe('diffManifests / applyChanges', () => {
  it('turns one manifest into the other, files named like Object properties included', () => {
    const from = { 'index.html': f('a'), 'old.css': f('b'), constructor: f('c'), 'same.js': f('d') };
    const to = JSON.parse(
      `{"index.html": ${JSON.stringify(f('e'))}, "__proto__": ${JSON.stringify(f('f'))}, "same.js": ${JSON.stringify(f('d'))}, "toString": ${JSON.stringify(f('a'))}}`,
    ) as ProposedManifest;
    const changes = diffManifests(from, to);
    expect(Object.keys(changes.changed).sort()).toEqual(['__proto__', 'index.html', 'toString']);
    expect(changes.removed.sort()).toEqual(['constructor', 'old.css']);
    const rebuilt = applyChanges(from, changes);
    expect(Object.keys(rebuilt).sort()).toEqual(Object.keys(to).sort());
    expect(Object.hasOwn(rebuilt, '__proto__')).toBe(true);
  });
});

describe('normalizedManifest', () => {
  it('stores paths as the server does, or gives up when a path is invalid or two become one', () => {
    expect(normalizedManifest({ './index.html': f('a'), 'css//x.css': f('b') })).toBeNull();
    expect(normalizedManifest({ './index.html': f('a'), 'index.html': f('b') })).toBeNull();
    expect(normalizedManifest({ './index.html': f('a'), 'css/./x.css': f('b') })).toEqual({ 'index.html': f('a'), 'css/x.css': f('b') });
  });

  it('against an earlier answer (a redeploy), normalizes only the paths that one did not hold, and still finds two that become one', () => {
    const before = normalizedManifest({ './index.html': f('a'), 'css/x.css': f('b') })!;
    expect(normalizedManifest({ 'index.html': f('c'), 'css/x.css': f('b'), './new/./y.css': f('d') }, before)).toEqual({
      'index.html': f('c'),
      'css/x.css': f('b'),
      'new/y.css': f('d'),
    });
    expect(normalizedManifest({ 'index.html': f('c'), './index.html': f('d') }, before)).toBeNull();
    expect(normalizedManifest({ 'index.html': f('c'), '../up.css': f('d') }, before)).toBeNull();
  });
});
