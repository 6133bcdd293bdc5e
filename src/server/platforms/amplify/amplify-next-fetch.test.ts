// The Amplify adapter as it runs in production: inside a Next.js request, where `fetch` is Next's
// patched fetch. That fetch rebuilds a Request it is given (next/dist/server/lib/patch-fetch.js,
// doOriginalFetch: `new Request(url, { body: reqInput.body, duplex })`), so the body of aws4fetch's
// signed Request becomes a stream and goes out `Transfer-Encoding: chunked`, which no AWS SDK ever
// sends (@aws-sdk/client-amplify installs smithy's getContentLengthPlugin). The local cloud refuses
// such a body with 411 as a strict front door does: every request the product sends must carry its length.
import { useLocalCloud } from '@/testing/local-cloud';
import { AsyncLocalStorage } from 'node:async_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '@/lib/platforms/amplify/local';
import { cloudStats, fetchSite, hostOf, type CloudStats } from '@/testing/cloud';
import { memoryDeployContext } from '@/testing/deploy-context';
import type { AdapterSettings } from '../adapter';
import { DEFAULT_RETRY } from '../http';
import { amplifyAdapter, type AmplifyCredentials } from './adapter';
import { AMPLIFY_JOB_POLLING } from './job-wait';

const cloud = useLocalCloud();
/** Short retries and polls, handed to every call as a deployment's settings would be. */
const settings: AdapterSettings = {
  retries: { ...DEFAULT_RETRY, baseDelayMs: 5, maxDelayMs: 20, attempts: 3 },
  polling: { ...AMPLIFY_JOB_POLLING, intervalMs: 25 },
};

const PLATFORM: AmplifyCredentials = { ...LOCAL_AWS.platform, region: LOCAL_AWS.region, appId: LOCAL_AWS.platformAppId };
const USER: AmplifyCredentials = { ...LOCAL_AWS.user, region: LOCAL_AWS.region };

/** Runs `fn` as code of a Next.js route handler runs: inside a work store, with Next's fetch. */
let insideNextRequest: <T>(fn: () => Promise<T>) => Promise<T>;
beforeAll(async () => {
  // What Next's node environment sets up before its server modules load.
  (globalThis as { AsyncLocalStorage?: unknown }).AsyncLocalStorage ??= AsyncLocalStorage;
  const { patchFetch } = await import('next/dist/server/lib/patch-fetch.js');
  const { workAsyncStorage } = await import('next/dist/server/app-render/work-async-storage.external.js');
  const { workUnitAsyncStorage } = await import('next/dist/server/app-render/work-unit-async-storage.external.js');
  patchFetch({ workAsyncStorage, workUnitAsyncStorage });
  const store = { route: '/api/amplify-deploy', page: '/api/amplify-deploy/route', isDraftMode: false, pendingRevalidates: {} };
  insideNextRequest = (fn) => workAsyncStorage.run(store as never, fn);
});

/** Answers per status of the Amplify API (not S3, not sites) since `before`. */
function amplifyStatuses(before: CloudStats, after: CloudStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [route, byStatus] of Object.entries(after.requests)) {
    if (!route.startsWith('amplify ')) continue;
    for (const [status, n] of Object.entries(byStatus)) out[status] = (out[status] ?? 0) + n - (before.requests[route]?.[status] ?? 0);
  }
  return Object.fromEntries(Object.entries(out).filter(([, n]) => n > 0));
}

describe('under Next.js’s patched fetch', () => {
  it('every Amplify API request carries a Content-Length: a quick deploy and a deploy to a new app of the user go through, none refused with 411', async () => {
    for (const [mode, credentials] of [
      ['platform-managed', PLATFORM],
      ['user-token', USER],
    ] as const) {
      const before = await cloudStats(cloud().url);
      const files = { 'index.html': `<h1>${mode} under Next</h1>`, _redirects: '/old /new 301\n' };
      const outcome = await insideNextRequest(() => amplifyAdapter.deploy(memoryDeployContext({ settings, mode, credentials, files }).ctx));
      const after = await cloudStats(cloud().url);
      const statuses = amplifyStatuses(before, after);
      expect(statuses['411'], mode).toBeUndefined();
      // Only successes: POSTs with bodies (CreateApp, UpdateApp, CreateBranch, CreateDeployment, StartDeployment) among them.
      expect(Object.keys(statuses), mode).toEqual(['200']);
      expect(after.requests['amplify POST /apps/:appId/branches/:branchName/deployments/start']?.['200']).toBeGreaterThan(
        before.requests['amplify POST /apps/:appId/branches/:branchName/deployments/start']?.['200'] ?? 0,
      );
      const root = await fetchSite(cloud().url, hostOf(outcome.url), '/');
      expect(root.body.toString(), mode).toBe(files['index.html']);
    }
  });

  it('verifies a connection (a signed GET) the same way', async () => {
    expect(await insideNextRequest(() => amplifyAdapter.verify(PLATFORM, settings))).toMatchObject({ appId: LOCAL_AWS.platformAppId });
  });
});
