// The engine end to end on GitHub Pages (the local cloud's GitHub twin), the fifth platform: connect
// (the token verified with GitHub, a refused one stores nothing), deploy into the person's own account
// through the runner, redeploy (only the changed blob uploaded), delete (Pages off, the repository kept).
// Quick deploy is not offered: there is no shared GitHub account.
import { useLocalCloud } from '@/testing/local-cloud';
import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_GITHUB } from '@/lib/platforms/github/local';
import { signUp } from '@/server/auth/accounts';
import { connectPlatform } from '@/server/connections/connect';
import { connections, sites } from '@/server/db/schema';
import { cloudStats, fetchSite, hostOf, type CloudStats } from '@/testing/cloud';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { deployFiles } from '@/testing/deploy';
import { fixtureSite } from '@/testing/fixture-site';
import { deleteSite } from './manage';
import { deploySettings } from './settings';

const cloud = useLocalCloud();
const getDb = useTestDb();
const settings = deploySettings({
  retries: { baseDelayMs: 5, maxDelayMs: 20, attempts: 6 },
  runner: { retryDelayMs: 50 },
  polling: { github: { intervalMs: 15 } },
  limits: { platformManagedPerHour: 1e6, platformManagedPerDay: 1e6, userTokenPerHour: 1e6 },
});

let userId: string;
beforeAll(async () => {
  userId = (await signUp(await getDb(), { email: uniqueEmail('gh'), password: 'a long enough password' })).id;
});
const chat = () => `gh-${Math.random().toString(36).slice(2, 8)}`;
const created = (before: CloudStats, after: CloudStats) => after.blobs['github.blobsCreated']! - before.blobs['github.blobsCreated']!;

/** The site's path on its owner's host: `/{repo}/`. */
const sitePath = (url: string) => new URL(url).pathname;
const api = (path: string) => fetch(`${cloud().url}/github${path}`, { headers: { authorization: `Bearer ${LOCAL_GITHUB.adminToken}` } });

describe('GitHub Pages', () => {
  it('connecting checks the token with GitHub: a refused token stores nothing, a good one keeps only the login', async () => {
    const db = await getDb();
    const someone = (await signUp(db, { email: uniqueEmail('gh-connect'), password: 'a long enough password' })).id;
    const bad = `github_pat_${'x'.repeat(82)}`;
    await expect(connectPlatform(db, someone, 'github', { token: bad }, { settings })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await db.select().from(connections).where(eq(connections.userId, someone))).toEqual([]);

    const summary = await connectPlatform(db, someone, 'github', { token: LOCAL_GITHUB.adminToken }, { settings });
    expect(summary.accountFacts).toEqual({ login: LOCAL_GITHUB.login, name: LOCAL_GITHUB.name });
    expect(summary.secretHint).toBe(`…${LOCAL_GITHUB.adminToken.slice(-4)}`);
    expect(JSON.stringify(summary)).not.toContain(LOCAL_GITHUB.adminToken);
  });

  it('has no quick deploy: a platform-managed deployment is refused, saying where its sites go', async () => {
    const refused = deployFiles(
      await getDb(),
      { userId, chatId: chat(), platform: 'github', authMode: 'platform-managed', files: { 'index.html': 'x' } },
      { settings },
    );
    await expect(refused).rejects.toThrow('GitHub Pages has no quick deploy: sites go to your own account. Connect it in Settings, then deploy.');
  });

  it('deploys into the own account, serves every byte under /{repo}/, redeploys one changed blob, and delete turns Pages off', async () => {
    const db = await getDb();
    await connectPlatform(db, userId, 'github', { token: LOCAL_GITHUB.adminToken }, { settings });
    const chatId = chat();
    const { files, expected } = fixtureSite('gh');
    const first = await deployFiles(db, { userId, chatId, siteName: 'My Pages', platform: 'github', authMode: 'user-token', files }, { settings });
    expect([first.status, first.error]).toEqual(['ready', null]);
    expect(first.url).toMatch(new RegExp(`^http://${LOCAL_GITHUB.login}\\.github\\.localhost:${cloud().port}/my-pages-[0-9a-f]{6}/$`));
    expect(first.externalProjectId).toBe(`${LOCAL_GITHUB.login}/${sitePath(first.url!).slice(1, -1)}`);
    for (const [path, file] of Object.entries(expected)) {
      const res = await fetchSite(cloud().url, hostOf(first.url!), encodeURI(`${sitePath(first.url!)}${path.replace(/index\.html$/, '')}`));
      expect([res.status, res.body.equals(file.bytes)], path).toEqual([200, true]);
    }

    const before = await cloudStats(cloud().url);
    const changed = { ...files, 'assets/app.js': 'window.route = "changed";' };
    const second = await deployFiles(db, { userId, chatId, siteName: 'My Pages', platform: 'github', authMode: 'user-token', files: changed }, { settings });
    expect([second.status, second.url]).toEqual(['ready', first.url]);
    expect(created(before, await cloudStats(cloud().url))).toBe(1);
    const js = await fetchSite(cloud().url, hostOf(first.url!), `${sitePath(first.url!)}assets/app.js`);
    expect(js.body.toString()).toBe('window.route = "changed";');

    await deleteSite(db, userId, second.id, { settings });
    const [site] = await db
      .select()
      .from(sites)
      .where(and(eq(sites.userId, userId), eq(sites.chatId, chatId)));
    expect(site!.status).toBe('deleted');
    expect((await api(`/repos/${first.externalProjectId}/pages`)).status).toBe(404);
    expect((await api(`/repos/${first.externalProjectId}`)).status).toBe(200);
    expect((await fetchSite(cloud().url, hostOf(first.url!), sitePath(first.url!))).status).toBe(404);
  });
});
