// The local cloud's control endpoints (/_emulator/*) answer scripts and tests, never a web page of
// another origin: a page cannot set faults, reset state, move the clock or read the stats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NETLIFY } from '@/lib/platforms/netlify/local';
import { defaultCloudConfig } from './config';
import { startCloud, type RunningCloud } from './server';

let cloud: RunningCloud;
beforeAll(async () => {
  cloud = await startCloud(defaultCloudConfig({ port: 0 }));
});
afterAll(() => cloud.close());

const RULES = { seed: 1, rules: [{ target: 'cloudflare', kind: 'status', status: 503, count: 1 }] };
const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${cloud.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const faultRules = async () => ((await (await fetch(`${cloud.url}/_emulator/faults`)).json()) as { rules: unknown[] }).rules;

describe('control endpoints', () => {
  it('POST /_emulator/faults with Origin: https://evil.example is 403 and sets no fault', async () => {
    const res = await post('/_emulator/faults', RULES, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toMatch(/refuse requests from web pages/);
    expect(await faultRules()).toEqual([]);
  });

  it('refuses a deployed site of the cloud itself, an opaque Origin, and Sec-Fetch-Site: cross-site', async () => {
    const pages: Record<string, string>[] = [
      { origin: `http://huskit-x.huskit-local.workers.localhost:${cloud.port}` },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      // DNS rebinding: the page's own name, now pointing at the loopback.
      { origin: `http://rebound.example:${cloud.port}`, host: `rebound.example:${cloud.port}` },
    ];
    for (const headers of pages) expect((await post('/_emulator/faults', RULES, headers)).status, JSON.stringify(headers)).toBe(403);
    expect(await faultRules()).toEqual([]);
  });

  it('refuses the other control endpoints too: reset, clock, stats', async () => {
    const evil = { origin: 'https://evil.example' };
    expect((await post('/_emulator/clock', { advanceMs: 3_600_000 }, evil)).status).toBe(403);
    expect((await post('/_emulator/reset', {}, evil)).status).toBe(403);
    expect((await fetch(`${cloud.url}/_emulator/stats`, { headers: evil })).status).toBe(403);
    const clock = (await (await post('/_emulator/clock', {})).json()) as { offsetMs: number };
    expect(clock.offsetMs).toBe(0);
  });

  it('a script (no Origin) and a page of the cloud’s own loopback origin may set faults', async () => {
    expect((await post('/_emulator/faults', RULES)).status).toBe(200);
    expect(await faultRules()).toHaveLength(1);
    await fetch(`${cloud.url}/_emulator/faults`, { method: 'DELETE' });
    expect((await post('/_emulator/faults', RULES, { origin: cloud.url })).status).toBe(200);
    expect(await faultRules()).toHaveLength(1);
    await fetch(`${cloud.url}/_emulator/faults`, { method: 'DELETE' });
  });
});

describe('faults', () => {
  it('"drop-after" handles the request, then loses its answer: the create happened though the client saw none', async () => {
    await post('/_emulator/faults', { rules: [{ target: 'netlify', method: 'POST', route: '/sites', kind: 'drop-after', count: 1 }] });
    const auth = { authorization: `Bearer ${LOCAL_NETLIFY.platformToken}` };
    const name = `lost-answer-${Math.random().toString(36).slice(2, 8)}`;
    await expect(post('/api/v1/sites', { name }, auth)).rejects.toThrow(/fetch failed/);
    const sites = (await (await fetch(`${cloud.url}/api/v1/sites?name=${name}`, { headers: auth })).json()) as { name: string }[];
    expect(sites.map((s) => s.name)).toContain(name);
    await post('/_emulator/faults', { rules: [] });
  });
});
