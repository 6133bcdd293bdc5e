// Hostile sites, sent as a quick deploy into the shared accounts: pages that mine, phish or run
// obfuscated code (the content scan), and files that would run server code, configure the
// platform or proxy to another origin (static files only). Every one goes through the real REST
// route (files inline) and the browser's path (negotiate, blob uploads, create), and must be
// refused with a message naming the file and what to do, with zero platform requests and no
// deployment. The ordinary corpus goes through the same routes and is deployed and served.
import type { DeploymentPlatform } from '@/lib/platforms';
import '@/testing/isolated-db';
import { useLocalCloud } from '@/testing/local-cloud';
import { TRPCClientError } from '@trpc/client';
import { beforeAll, describe, expect, it } from 'vitest';
import { GET as deploymentEvents } from '@/app/api/deployments/[id]/events/route';
import { templateFiles } from '@/server/projects/templates';
import { browserDeploy, deploymentCount, newAppCaller, restDeploy, type AppCaller } from '@/testing/app-client';
import { fetchSite, hostOf, totalPlatformRequests } from '@/testing/cloud';
import { useTestDb } from '@/testing/db';
import { useDeploySettings } from '@/testing/deploy-settings';
import { APP_ORIGIN } from '@/testing/http';
import { benignCorpus, hostileCorpus } from '@/testing/scan-corpus';
import { readSse } from '@/testing/sse';
import { staticOnlyBenignExamples, staticOnlyHostileExamples } from '@/testing/static-only-examples';

const cloud = useLocalCloud();
const getDb = useTestDb();
// Many deployments from one user in a few seconds: the limits are not what this file tests.
useDeploySettings({
  limits: {
    platformManagedPerHour: 10_000,
    platformManagedPerDay: 10_000,
    platformQuota: { cloudflare: 1000, amplify: 1000, netlify: 1000, vercel: 1000 },
  },
});

let mallory: AppCaller;
let alice: AppCaller;
beforeAll(async () => {
  mallory = await newAppCaller(await getDb(), 'mallory');
  alice = await newAppCaller(await getDb(), 'alice');
});

const chat = () => `chat-${Math.random().toString(36).slice(2, 10)}`;

const platformRequests = () => totalPlatformRequests(cloud().url);
const deploymentsOf = async (userId: string) => deploymentCount(await getDb(), userId);

/** The refusal of `attack`, having proven it reached no platform and created no deployment. */
async function refusal(caller: AppCaller, attack: () => Promise<unknown>): Promise<{ status: number; message: string; action?: string }> {
  const before = { requests: await platformRequests(), deployments: await deploymentsOf(caller.userId) };
  let answer: { status: number; message: string; action?: string };
  try {
    const result = await attack();
    if (!(result instanceof Response)) throw new Error(`accepted: ${JSON.stringify(result)}`);
    const body = (await result.json()) as { error?: { message: string; action?: string } };
    if (!body.error) throw new Error(`accepted with ${result.status}`);
    answer = { status: result.status, message: body.error.message, action: body.error.action };
  } catch (err) {
    if (!(err instanceof TRPCClientError)) throw err;
    answer = { status: (err.data as { httpStatus: number }).httpStatus, message: err.message, action: (err.data as { action?: string }).action };
  }
  expect(await platformRequests()).toBe(before.requests);
  expect(await deploymentsOf(caller.userId)).toBe(before.deployments);
  return answer;
}

const text = (files: Record<string, Buffer | string>) =>
  Object.fromEntries(Object.entries(files).map(([p, b]) => [p, typeof b === 'string' ? b : { base64: b.toString('base64') }]));

describe.each(hostileCorpus().map((c) => [c.name, c] as const))('content scan: %s', (_name, entry) => {
  const hostilePath = Object.keys(entry.files).find((p) => p !== 'index.html') ?? 'index.html';

  it(`REST refuses it (${entry.proves})`, async () => {
    const answer = await refusal(mallory, () =>
      restDeploy(mallory, 'cloudflare', { authMode: 'platform-managed', projectName: entry.name, chatId: chat(), files: text(entry.files) }),
    );
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/^This site can't be deployed: /);
    expect(answer.message).toContain(hostilePath);
  });

  it('the browser path refuses it too', async () => {
    const answer = await refusal(mallory, () => browserDeploy(mallory, 'netlify', entry.files));
    expect(answer.status).toBe(400);
    expect(answer.message).toMatch(/^This site can't be deployed: /);
  });
});

describe.each(staticOnlyHostileExamples().map((e) => [`${e.platform}: ${e.name}`, e] as const))('static files only: %s', (_name, example) => {
  it(`REST refuses it (${example.proves})`, async () => {
    const answer = await refusal(mallory, () =>
      restDeploy(mallory, example.platform, { authMode: 'platform-managed', projectName: example.name, chatId: chat(), files: example.files }),
    );
    expect(answer.status).toBe(400);
    expect(answer.action).toBe('fix-files');
    expect(answer.message).toContain(example.names);
    expect(answer.message).toMatch(/deploy to your own .+ account/);
  });

  it('the browser path refuses it too', async () => {
    const answer = await refusal(mallory, () => browserDeploy(mallory, example.platform, example.files));
    expect(answer.status).toBe(400);
    expect(answer.message).toContain(example.names);
  });
});

describe('ordinary sites are deployed and served (no false positives)', () => {
  /** REST deploy, then follow it live to the end; answers the index page as served. */
  async function deployAndServe(files: Record<string, Buffer | string>, platform: DeploymentPlatform = 'cloudflare') {
    const res = await restDeploy(alice, platform, { authMode: 'platform-managed', projectName: 'Ordinary', chatId: chat(), files: text(files) });
    const body = (await res.json()) as { deploymentId?: string; error?: { message: string } };
    expect(body.error?.message, 'refused').toBeUndefined();
    expect(res.status).toBe(202);
    const stream = await deploymentEvents(
      new Request(`${APP_ORIGIN}/api/deployments/${body.deploymentId}/events`, { headers: { authorization: `Bearer ${alice.key}` } }),
    );
    const events = await readSse(stream, (e) => ['ready', 'error', 'canceled'].includes(JSON.parse(e.data!).status), 60_000);
    const last = JSON.parse(events.at(-1)!.data!) as { status: string; url: string };
    expect(last.status).toBe('ready');
    return fetchSite(cloud().url, hostOf(last.url), '/');
  }

  it.each(benignCorpus().map((c) => [c.name, c] as const))('%s', async (_name, entry) => {
    const served = await deployAndServe(entry.files);
    expect(served.status).toBe(200);
    expect(served.body.equals(Buffer.isBuffer(entry.files['index.html']) ? entry.files['index.html'] : Buffer.from(entry.files['index.html']!))).toBe(true);
  });

  it.each(staticOnlyBenignExamples().map((e) => [`${e.platform}: ${e.name}`, e] as const))('%s', async (_name, example) => {
    // Accepted and live; their own _redirects may send "/" elsewhere, so only "it answers" is asserted.
    const served = await deployAndServe(example.files, example.platform);
    expect(served.status).toBeLessThan(400);
  });

  it.each(['landing', 'portfolio', 'spa'] as const)('the "%s" template', async (template) => {
    const files = templateFiles(template, 'Ordinary');
    const served = await deployAndServe(files);
    expect(served.body.equals(files['index.html']!)).toBe(true);
  });
});
