// The local Amplify against the official @aws-sdk/client-amplify (and aws4fetch, which the product
// uses): signing, the deploy flow end to end, the service's refusals, S3 upload URLs, served sites,
// faults and persistence.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  AmplifyClient,
  BadRequestException,
  CreateAppCommand,
  CreateBranchCommand,
  CreateDeploymentCommand,
  DeleteBranchCommand,
  GetAppCommand,
  GetBranchCommand,
  GetJobCommand,
  LimitExceededException,
  ListAppsCommand,
  ListBranchesCommand,
  ListJobsCommand,
  NotFoundException,
  StartDeploymentCommand,
  StopJobCommand,
  paginateListBranches,
  type Job,
} from '@aws-sdk/client-amplify';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { AwsClient } from 'aws4fetch';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AWS } from '@/lib/platforms/amplify/local';
import { defaultCloudConfig, type CloudConfig } from '../config';
import { PLATFORM_AWS_ACCOUNT, USER_AWS_ACCOUNT } from './config';
import { moveCloudClock } from '@/testing/cloud';
import { startCloud, type RunningCloud } from '../server';

const region = LOCAL_AWS.region;
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');
const INDEX = '<!doctype html><title>Hello</title><link rel="stylesheet" href="/css/site.css"><h1>Hello from Amplify</h1>';
const CSS = 'h1 { color: rebeccapurple; }';

let cloud: RunningCloud;
let user: AmplifyClient;
let platform: AmplifyClient;

function testConfig(overrides: Parameters<typeof defaultCloudConfig>[0] = {}): CloudConfig {
  const config = defaultCloudConfig({ port: 0, ...overrides });
  config.amplify.jobStepMs = 100;
  return config;
}

const sdk = (credentials: { accessKeyId: string; secretAccessKey: string }, extra: { maxAttempts?: number } = {}) =>
  new AmplifyClient({ region, endpoint: cloud.url, credentials, ...extra });

beforeAll(async () => {
  cloud = await startCloud(testConfig());
  user = sdk(LOCAL_AWS.user);
  platform = sdk(LOCAL_AWS.platform);
});

afterAll(async () => {
  user?.destroy();
  platform?.destroy();
  await cloud?.close();
});

// ---- helpers ----

async function zipOf(files: Record<string, string | Buffer>): Promise<ArrayBuffer> {
  const zip = new JSZip();
  for (const [name, content] of Object.entries(files)) zip.file(name, content);
  return zip.generateAsync({ type: 'arraybuffer' });
}

/** A GET to a served site: node's fetch cannot set Host, so plain node:http. */
function site(host: string, urlPath = '/', method = 'GET', port = cloud.port): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method, headers: { host: `${host}:${port}` } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function emulator(method: string, urlPath: string, body?: unknown, base = cloud.url) {
  const res = await fetch(`${base}${urlPath}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return res.json() as Promise<Record<string, unknown>>;
}

/** aws4fetch, as the product signs: explicit service and region, no retries. */
const signer = (credentials: { accessKeyId: string; secretAccessKey: string } = LOCAL_AWS.user, regionName: string = region) =>
  new AwsClient({ ...credentials, service: 'amplify', region: regionName, retries: 0 });

async function raw(client: AwsClient, method: string, urlPath: string, body?: unknown, aws?: { datetime?: string }) {
  const res = await client.fetch(`${cloud.url}${urlPath}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
    ...(aws ? { aws } : {}),
  });
  return { status: res.status, type: res.headers.get('x-amzn-errortype'), headers: res.headers, json: (await res.json()) as Record<string, any> };
}

const amzDate = (ms: number) =>
  new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

/** Reads the job until it ends, moving the cloud's clock a step between reads (no waiting on timers). */
async function waitForJob(client: AmplifyClient, appId: string, branchName: string, jobId: string, cloudUrl = cloud.url): Promise<Job> {
  for (let read = 0; ; read++) {
    const { job } = await client.send(new GetJobCommand({ appId, branchName, jobId }));
    if (job?.summary && ['SUCCEED', 'FAILED', 'CANCELLED'].includes(String(job.summary.status))) return job;
    // The outcome also waits for the zip to be read (asynchronously): a few more reads at most.
    if (read > 200) throw new Error(`job ${jobId} still ${job?.summary?.status}`);
    await moveCloudClock(cloudUrl, { advanceMs: read < 3 ? 100 : 0 });
  }
}

async function newApp(client = user, name = 'site') {
  const { app } = await client.send(new CreateAppCommand({ name, platform: 'WEB' }));
  return app!;
}

/** CreateDeployment + PUT + StartDeployment + wait; returns the finished job. */
async function deploy(appId: string, branchName: string, zip: ArrayBuffer | undefined, client = user) {
  const created = await client.send(new CreateDeploymentCommand({ appId, branchName }));
  if (zip) {
    const put = await fetch(created.zipUploadUrl!, { method: 'PUT', body: zip });
    expect(put.status).toBe(200);
  }
  await client.send(new StartDeploymentCommand({ appId, branchName, jobId: created.jobId! }));
  return waitForJob(client, appId, branchName, created.jobId!);
}

/** The <Code> of an S3 XML error. */
const xmlCode = (xml: string) => /<Code>([^<]+)<\/Code>/.exec(xml)?.[1];

async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

// ---- tests ----

describe('deploying a site with the official SDK', () => {
  it('creates an app and a slash branch, uploads a zip, deploys it and serves exactly those bytes', async () => {
    const app = await newApp(user, 'my-site');
    expect(app.appId).toMatch(/^d[a-z0-9]{13}$/);
    expect(app.defaultDomain).toBe(`${app.appId}.amplifyapp.com`);
    expect(app.appArn).toBe(`arn:aws:amplify:${region}:${USER_AWS_ACCOUNT}:apps/${app.appId}`);
    expect(app.createTime).toBeInstanceOf(Date);
    expect(app.platform).toBe('WEB');

    const branchName = 'feature/My_Site';
    const { branch } = await user.send(new CreateBranchCommand({ appId: app.appId, branchName, stage: 'PRODUCTION' }));
    expect(branch?.displayName).toBe('feature-my-site');
    expect(branch?.branchArn).toBe(`arn:aws:amplify:${region}:${USER_AWS_ACCOUNT}:apps/${app.appId}/branches/feature/My_Site`);
    expect(branch?.totalNumberOfJobs).toBe('0');
    expect(branch?.createTime).toBeInstanceOf(Date);

    const created = await user.send(new CreateDeploymentCommand({ appId: app.appId, branchName }));
    expect(created.jobId).toBe('1');
    expect(created.fileUploadUrls).toEqual({});
    expect(created.zipUploadUrl).toMatch(
      new RegExp(
        `^${cloud.url}/_s3/[^?]+\\?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=[^&]+&X-Amz-Date=\\d{8}T\\d{6}Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=[0-9a-f]{64}$`,
      ),
    );

    const zip = await zipOf({ 'index.html': INDEX, 'css/site.css': CSS, 'img/logo.png': PNG });
    const put = await fetch(created.zipUploadUrl!, { method: 'PUT', body: zip });
    expect(put.status).toBe(200);
    expect(put.headers.get('etag')).toBe(`"${createHash('md5').update(Buffer.from(zip)).digest('hex')}"`);
    expect(await put.text()).toBe('');

    const started = await user.send(new StartDeploymentCommand({ appId: app.appId, branchName, jobId: created.jobId! }));
    expect(started.jobSummary?.status).toBe('PENDING');
    expect(started.jobSummary?.jobType).toBe('MANUAL');
    expect(started.jobSummary?.jobArn).toBe(`arn:aws:amplify:${region}:${USER_AWS_ACCOUNT}:apps/${app.appId}/branches/feature/My_Site/jobs/0000000001`);

    const job = await waitForJob(user, app.appId!, branchName, created.jobId!);
    expect(job.summary?.status).toBe('SUCCEED');
    expect(job.summary?.startTime).toBeInstanceOf(Date);
    expect(job.summary?.endTime).toBeInstanceOf(Date);
    expect(job.summary?.commitTime).toBeInstanceOf(Date);
    expect(job.steps?.map((s) => [s.stepName, s.status])).toEqual([
      ['DEPLOY', 'SUCCEED'],
      ['VERIFY', 'SUCCEED'],
    ]);
    expect(job.steps?.[0]?.startTime).toBeInstanceOf(Date);

    const host = `${branch!.displayName}.${app.appId}.amplifyapp.localhost`;
    const index = await site(host, '/');
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html');
    expect(index.body.toString('utf8')).toBe(INDEX);
    const css = await site(host, '/css/site.css');
    expect(css.headers['content-type']).toBe('text/css');
    expect(css.body.toString('utf8')).toBe(CSS);
    const png = await site(host, '/img/logo.png');
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.body.equals(PNG)).toBe(true);
    expect((await site(host, '/missing.html')).status).toBe(404);
    expect((await site(host.toUpperCase(), '/')).status).toBe(200);
    const head = await site(host, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(Buffer.byteLength(INDEX)));
    expect(head.body.length).toBe(0);

    const { branch: after } = await user.send(new GetBranchCommand({ appId: app.appId, branchName }));
    expect(after?.totalNumberOfJobs).toBe('1');
    expect(after?.activeJobId).toBe('1');
    const { jobSummaries } = await user.send(new ListJobsCommand({ appId: app.appId, branchName }));
    expect(jobSummaries?.map((j) => [j.jobId, j.status])).toEqual([['1', 'SUCCEED']]);
    const { app: withProduction } = await user.send(new GetAppCommand({ appId: app.appId }));
    expect(withProduction?.productionBranch?.branchName).toBe(branchName);
    expect(withProduction?.productionBranch?.lastDeployTime).toBeInstanceOf(Date);

    // The wire carries epoch seconds as JSON numbers, and aws4fetch's double-encoded %2F verifies too.
    const viaAws4fetch = await raw(signer(), 'GET', `/apps/${app.appId}/branches/${encodeURIComponent(branchName)}/jobs/1`);
    expect(viaAws4fetch.status).toBe(200);
    expect(typeof viaAws4fetch.json.job.summary.startTime).toBe('number');
    expect(viaAws4fetch.headers.get('x-amzn-requestid')).toBeTruthy();

    // Other hosts are not Amplify's; an unknown branch under an app is a 404.
    expect((await site(`nope.${app.appId}.amplifyapp.localhost`, '/')).status).toBe(404);

    // Deleting the branch takes its site down.
    await user.send(new DeleteBranchCommand({ appId: app.appId, branchName }));
    expect((await site(host, '/')).status).toBe(404);
  });

  it('serves folders, redirects a folder without its slash, and uses 404.html', async () => {
    const app = await newApp();
    await user.send(new CreateBranchCommand({ appId: app.appId, branchName: 'main' }));
    const job = await deploy(app.appId!, 'main', await zipOf({ 'index.html': 'home', 'docs/index.html': 'docs', '404.html': 'custom missing' }));
    expect(job.summary?.status).toBe('SUCCEED');
    const host = `main.${app.appId}.amplifyapp.localhost`;
    expect((await site(host, '/docs/')).body.toString()).toBe('docs');
    const redirect = await site(host, '/docs?x=1');
    expect(redirect.status).toBe(301);
    expect(redirect.headers.location).toBe('/docs/?x=1');
    const missing = await site(host, '/nope');
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toBe('custom missing');
  });

  it('keeps accounts apart: the platform identity sees its pre-created app, the user identity does not', async () => {
    const appId = LOCAL_AWS.platformAppId;
    const { app } = await platform.send(new GetAppCommand({ appId }));
    expect(app?.appArn).toBe(`arn:aws:amplify:${region}:${PLATFORM_AWS_ACCOUNT}:apps/${appId}`);
    const err = await rejection(user.send(new GetAppCommand({ appId })));
    expect(err).toBeInstanceOf(NotFoundException);
    expect(err.$metadata.httpStatusCode).toBe(404);
    const { apps } = await user.send(new ListAppsCommand({}));
    expect(apps?.map((a) => a.appId)).not.toContain(appId);
    expect((await platform.send(new ListAppsCommand({}))).apps?.map((a) => a.appId)).toContain(appId);
  });
});

describe('signature verification', () => {
  it('refuses a wrong secret with InvalidSignatureException 403 and the real message', async () => {
    const client = sdk({ accessKeyId: LOCAL_AWS.user.accessKeyId, secretAccessKey: 'not-the-secret' });
    const err = await rejection(client.send(new ListAppsCommand({})));
    client.destroy();
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toContain(
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
    expect(err.message).toContain('The Canonical String for this request should have been');
  });

  it('refuses an unknown access key with UnrecognizedClientException', async () => {
    const client = sdk({ accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'whatever' });
    const err = await rejection(client.send(new ListAppsCommand({})));
    client.destroy();
    expect(err.name).toBe('UnrecognizedClientException');
    expect(err.$metadata.httpStatusCode).toBe(403);
    expect(err.message).toBe('The security token included in the request is invalid.');
  });

  it('accepts temporary credentials (ASIA…) only with their session token, as X-Amz-Security-Token', async () => {
    // The official SDK signs temporary credentials with `credentials.sessionToken` (X-Amz-Security-Token).
    const withToken = sdk(LOCAL_AWS.userTemporary);
    expect((await withToken.send(new ListAppsCommand({}))).apps).toBeDefined();
    withToken.destroy();
    for (const credentials of [
      { accessKeyId: LOCAL_AWS.userTemporary.accessKeyId, secretAccessKey: LOCAL_AWS.userTemporary.secretAccessKey },
      { ...LOCAL_AWS.userTemporary, sessionToken: 'IQoJb3JpZ2luX2VjEHUa-another-token' },
    ]) {
      const client = sdk(credentials);
      const err = await rejection(client.send(new ListAppsCommand({})));
      client.destroy();
      expect(err.name).toBe('UnrecognizedClientException');
      expect(err.$metadata.httpStatusCode).toBe(403);
      expect(err.message).toBe('The security token included in the request is invalid.');
    }
  });

  it('refuses a chunked body (no Content-Length) with 411, and takes the same signed body with its length', async () => {
    const app = await newApp();
    const url = `${cloud.url}/apps/${app.appId}/branches`;
    const json = JSON.stringify({ branchName: 'chunked' });
    const signed = await signer().sign(url, { method: 'POST', body: json, headers: { 'content-type': 'application/json' } });
    // A stream body goes out as Transfer-Encoding: chunked (what a copied signed Request becomes).
    const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode(json)), c.close()) });
    const chunked = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: stream, duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(411);
    expect(chunked.headers.get('x-amzn-errortype')).toBe('MissingContentLength');
    expect(((await chunked.json()) as { message: string }).message).toBe('You must provide the Content-Length HTTP header.');
    const sized = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: json });
    expect(sized.status).toBe(200);
  });

  it('refuses a body changed after signing, and a signed header changed after signing', async () => {
    const app = await newApp();
    const url = `${cloud.url}/apps/${app.appId}/branches`;
    const signed = await signer().sign(url, { method: 'POST', body: JSON.stringify({ branchName: 'a' }), headers: { 'content-type': 'application/json' } });
    const tampered = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: JSON.stringify({ branchName: 'b' }) });
    expect(tampered.status).toBe(403);
    expect(tampered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    // The untouched request still passes: the refusal is about the change.
    const honest = await fetch(signed.url, { method: 'POST', headers: signed.headers, body: JSON.stringify({ branchName: 'a' }) });
    expect(honest.status).toBe(200);

    // Signed the way the SDK signs (smithy, with a signed x-amz-content-sha256 header), then changed.
    const smithy = new SignatureV4({ service: 'amplify', region, credentials: LOCAL_AWS.user, sha256: Sha256 });
    const { host, pathname } = new URL(url);
    const request = await smithy.sign({
      method: 'POST',
      protocol: 'http:',
      hostname: '127.0.0.1',
      path: pathname,
      query: {},
      headers: { host, 'content-type': 'application/json' },
      body: JSON.stringify({ branchName: 'c' }),
    });
    expect(request.headers['x-amz-content-sha256']).toBeTruthy();
    const smithyTampered = await fetch(url, { method: 'POST', headers: request.headers, body: JSON.stringify({ branchName: 'd' }) });
    expect(smithyTampered.status).toBe(403);
    expect(smithyTampered.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
    const smithyHonest = await fetch(url, { method: 'POST', headers: request.headers, body: JSON.stringify({ branchName: 'c' }) });
    expect(smithyHonest.status).toBe(200);

    const withHeader = await signer().sign(`${cloud.url}/apps/${app.appId}`, { headers: { 'x-amz-meta-note': 'one' } });
    const headers = new Headers(withHeader.headers);
    headers.set('x-amz-meta-note', 'two');
    const changed = await fetch(withHeader.url, { headers });
    expect(changed.status).toBe(403);
    expect(changed.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('refuses a request signed 20 minutes ago, a wrong region and a missing signature', async () => {
    const stale = await raw(signer(), 'GET', '/apps', undefined, { datetime: amzDate(Date.now() - 20 * 60 * 1000) });
    expect(stale.status).toBe(403);
    expect(stale.type).toBe('InvalidSignatureException');
    expect(stale.json.message).toMatch(/^Signature expired: \d{8}T\d{6}Z is now earlier than/);

    const wrongRegion = await raw(signer(LOCAL_AWS.user, 'eu-west-1'), 'GET', '/apps');
    expect(wrongRegion.status).toBe(403);
    expect(wrongRegion.type).toBe('InvalidSignatureException');

    const unsigned = await fetch(`${cloud.url}/apps`);
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
    expect(await unsigned.json()).toEqual({ message: 'Missing Authentication Token' });
  });

  it('verifies the double-encoded canonical path: a signer that encodes %2F only once is refused', async () => {
    const app = await newApp();
    await user.send(new CreateBranchCommand({ appId: app.appId, branchName: 'release/v1.2' }));
    const url = `${cloud.url}/apps/${app.appId}/branches/${encodeURIComponent('release/v1.2')}`;
    expect((await signer().fetch(url)).status).toBe(200);
    const once = await signer().fetch(url, { aws: { singleEncode: true } });
    expect(once.status).toBe(403);
    expect(once.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('answers an unknown path with a restJson error', async () => {
    const res = await raw(signer(), 'GET', '/nothing-here');
    expect(res.status).toBe(404);
    expect(res.type).toBe('UnknownOperationException');
    expect(res.headers.get('content-type')).toBe('application/json');
  });
});

describe('branches', () => {
  it('refuses a duplicate branch with the real message, a 51st branch with LimitExceededException, and paginates', async () => {
    const app = await newApp();
    const appId = app.appId!;
    await user.send(new CreateBranchCommand({ appId, branchName: 'main' }));
    const dup = await rejection(user.send(new CreateBranchCommand({ appId, branchName: 'main' })));
    expect(dup).toBeInstanceOf(BadRequestException);
    expect(dup.$metadata.httpStatusCode).toBe(400);
    expect(dup.message).toBe(`Failed to create branch. The branch main already exists for the app ${appId}`);

    for (let i = 1; i < 50; i += 7) {
      await Promise.all(
        Array.from({ length: Math.min(7, 50 - i) }, (_, k) => user.send(new CreateBranchCommand({ appId, branchName: `b${String(i + k).padStart(2, '0')}` }))),
      );
    }
    // One attempt only: the SDK would otherwise retry LimitExceededException as throttling.
    const once = sdk(LOCAL_AWS.user, { maxAttempts: 1 });
    const over = await rejection(once.send(new CreateBranchCommand({ appId, branchName: 'one-too-many' })));
    once.destroy();
    expect(over).toBeInstanceOf(LimitExceededException);
    expect(over.$metadata.httpStatusCode).toBe(429);

    const first = await user.send(new ListBranchesCommand({ appId, maxResults: 20 }));
    expect(first.branches).toHaveLength(20);
    expect(first.nextToken).toBeTruthy();
    const names: string[] = [];
    for await (const page of paginateListBranches({ client: user, pageSize: 20 }, { appId })) names.push(...(page.branches ?? []).map((b) => b.branchName!));
    expect(names).toHaveLength(50);
    expect(new Set(names).size).toBe(50);
    expect(names[0]).toBe('main');
    const last = await user.send(
      new ListBranchesCommand({ appId, maxResults: 20, nextToken: (await user.send(new ListBranchesCommand({ appId, maxResults: 40 }))).nextToken }),
    );
    expect(last.branches).toHaveLength(10);
    expect(last.nextToken).toBeUndefined();
  });
});

describe('deployments and jobs', () => {
  it('blocks a new deployment while one is unfinished, until StopJob', async () => {
    const app = await newApp();
    const appId = app.appId!;
    await user.send(new CreateBranchCommand({ appId, branchName: 'main' }));
    const first = await user.send(new CreateDeploymentCommand({ appId, branchName: 'main' }));
    const blocked = await rejection(user.send(new CreateDeploymentCommand({ appId, branchName: 'main' })));
    expect(blocked).toBeInstanceOf(BadRequestException);
    expect(blocked.$metadata.httpStatusCode).toBe(400);
    expect(blocked.message).toBe(
      `The last job(deployment) ${first.jobId} was not finished, please wait until it finish or use StopJob operation to cancel it before creating a new deployment.`,
    );
    const stopped = await user.send(new StopJobCommand({ appId, branchName: 'main', jobId: first.jobId! }));
    expect(stopped.jobSummary?.status).toBe('CANCELLED');
    const next = await user.send(new CreateDeploymentCommand({ appId, branchName: 'main' }));
    expect(next.jobId).toBe('2');
    const { jobSummaries } = await user.send(new ListJobsCommand({ appId, branchName: 'main' }));
    expect(jobSummaries?.map((j) => [j.jobId, j.status])).toEqual([
      ['2', 'PENDING'],
      ['1', 'CANCELLED'],
    ]);
  });

  it('fails a job started without an upload, and refuses bad StartDeployment calls', async () => {
    const app = await newApp();
    const appId = app.appId!;
    await user.send(new CreateBranchCommand({ appId, branchName: 'main' }));
    const job = await deploy(appId, 'main', undefined);
    expect(job.summary?.status).toBe('FAILED');
    expect(job.steps?.[0]?.status).toBe('FAILED');
    expect(job.steps?.[0]?.statusReason).toMatch(/No deployment artifact/);

    const again = await rejection(user.send(new StartDeploymentCommand({ appId, branchName: 'main', jobId: job.summary!.jobId! })));
    expect(again).toBeInstanceOf(BadRequestException);
    const unknown = await rejection(user.send(new StartDeploymentCommand({ appId, branchName: 'main', jobId: '99' })));
    expect(unknown).toBeInstanceOf(NotFoundException);
    const missing = await raw(signer(), 'POST', `/apps/${appId}/branches/main/deployments/start`, {});
    expect(missing.status).toBe(400);
    expect(missing.json.message).toBe('Must specify jobId or sourceUrl for StartDeploymentRequest.');

    const garbage = await deploy(appId, 'main', await new Blob(['this is not a zip']).arrayBuffer());
    expect(garbage.summary?.status).toBe('FAILED');
  });

  it('deploys a zip whose files are under dist/, but then / answers 404', async () => {
    const app = await newApp();
    await user.send(new CreateBranchCommand({ appId: app.appId, branchName: 'main' }));
    const job = await deploy(app.appId!, 'main', await zipOf({ 'dist/index.html': INDEX, 'dist/css/site.css': CSS }));
    expect(job.summary?.status).toBe('SUCCEED');
    const host = `main.${app.appId}.amplifyapp.localhost`;
    expect((await site(host, '/')).status).toBe(404);
    expect((await site(host, '/dist/')).body.toString()).toBe(INDEX);
  });

  it('fails StartDeployment more than 8 hours after CreateDeployment, and the job with it', async () => {
    const app = await newApp();
    const appId = app.appId!;
    await user.send(new CreateBranchCommand({ appId, branchName: 'main' }));
    const created = await user.send(new CreateDeploymentCommand({ appId, branchName: 'main' }));
    const nineHours = 9 * 60 * 60 * 1000;
    await emulator('POST', '/_emulator/clock', { advanceMs: nineHours });
    try {
      const later = { datetime: amzDate(Date.now() + nineHours) };
      const start = await raw(signer(), 'POST', `/apps/${appId}/branches/main/deployments/start`, { jobId: created.jobId }, later);
      expect(start.status).toBe(400);
      expect(start.type).toBe('BadRequestException');
      const job = await raw(signer(), 'GET', `/apps/${appId}/branches/main/jobs/${created.jobId}`, undefined, later);
      expect(job.json.job.summary.status).toBe('FAILED');
    } finally {
      await emulator('POST', '/_emulator/clock', { offsetMs: 0 });
    }
    // A failed job no longer blocks the branch.
    expect((await user.send(new CreateDeploymentCommand({ appId, branchName: 'main' }))).jobId).toBe('2');
  });
});

describe('S3 upload URLs', () => {
  async function freshUpload() {
    const app = await newApp();
    const appId = app.appId!;
    await user.send(new CreateBranchCommand({ appId, branchName: 'main' }));
    const created = await user.send(new CreateDeploymentCommand({ appId, branchName: 'main' }));
    return { appId, jobId: created.jobId!, url: created.zipUploadUrl! };
  }

  it('answers POST, a forged signature and a second auth mechanism as S3 does', async () => {
    const { url } = await freshUpload();
    const zip = await zipOf({ 'index.html': INDEX });

    const post = await fetch(url, { method: 'POST', body: zip });
    expect(post.status).toBe(403);
    expect(post.headers.get('content-type')).toBe('application/xml');
    const postXml = await post.text();
    expect(postXml.startsWith('<?xml version="1.0" encoding="UTF-8"?>')).toBe(true);
    expect(xmlCode(postXml)).toBe('SignatureDoesNotMatch');

    const forged = await fetch(url.replace(/X-Amz-Signature=[0-9a-f]{4}/, 'X-Amz-Signature=0000'), { method: 'PUT', body: zip });
    expect(forged.status).toBe(403);
    expect(xmlCode(await forged.text())).toBe('SignatureDoesNotMatch');

    const otherPath = await fetch(url.replace('.zip?', 'x.zip?'), { method: 'PUT', body: zip });
    expect(otherPath.status).toBe(403);

    const doubleAuth = await fetch(url, { method: 'PUT', body: zip, headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x' } });
    expect(doubleAuth.status).toBe(400);
    const doubleXml = await doubleAuth.text();
    expect(xmlCode(doubleXml)).toBe('InvalidArgument');
    expect(doubleXml).toContain('Only one auth mechanism allowed');
  });

  it('refuses a PUT without a Content-Length (a chunked body) with 411 MissingContentLength, as S3 does', async () => {
    const { appId, jobId, url } = await freshUpload();
    const zip = await zipOf({ 'index.html': INDEX });
    const chunked = await fetch(url, { method: 'PUT', body: new Blob([zip]).stream(), duplex: 'half' } as RequestInit);
    expect(chunked.status).toBe(411);
    expect(xmlCode(await chunked.text())).toBe('MissingContentLength');
    expect((await fetch(url, { method: 'PUT', body: zip })).status).toBe(200);
    await user.send(new StopJobCommand({ appId, branchName: 'main', jobId }));
  });

  it('refuses an upload after the URL expired', async () => {
    const { appId, jobId, url } = await freshUpload();
    await emulator('POST', '/_emulator/clock', { advanceMs: 7_200_000 });
    try {
      const late = await fetch(url, { method: 'PUT', body: await zipOf({ 'index.html': INDEX }) });
      expect(late.status).toBe(403);
      const xml = await late.text();
      expect(xmlCode(xml)).toBe('AccessDenied');
      expect(xml).toContain('<Message>Request has expired</Message>');
    } finally {
      await emulator('POST', '/_emulator/clock', { offsetMs: 0 });
    }
    await user.send(new StopJobCommand({ appId, branchName: 'main', jobId }));
  });
});

describe('faults and stats', () => {
  it('answers an injected 429 on GetJob as LimitExceededException and counts it', async () => {
    const app = await newApp();
    const appId = app.appId!;
    await user.send(new CreateBranchCommand({ appId, branchName: 'main' }));
    const { jobId } = await user.send(new CreateDeploymentCommand({ appId, branchName: 'main' }));
    await emulator('POST', '/_emulator/faults', { rules: [{ target: 'amplify', route: '/jobs/', kind: 'status', status: 429, retryAfter: 1, count: 1 }] });
    try {
      const limited = await raw(signer(), 'GET', `/apps/${appId}/branches/main/jobs/${jobId}`);
      expect(limited.status).toBe(429);
      expect(limited.type).toBe('LimitExceededException');
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(typeof limited.json.message).toBe('string');
      const ok = await raw(signer(), 'GET', `/apps/${appId}/branches/main/jobs/${jobId}`);
      expect(ok.status).toBe(200);

      const stats = await emulator('GET', '/_emulator/stats');
      expect(stats.faultsFired).toEqual({ 'rule-1': 1 });
      const requests = stats.requests as Record<string, Record<string, number>>;
      expect(requests['amplify GET /apps/:appId/branches/:branchName/jobs/:jobId']?.['429']).toBe(1);
      const blobs = stats.blobs as Record<string, number>;
      expect(blobs['amplify.apps']).toBeGreaterThan(1);
      expect(blobs['amplify.siteFiles']).toBeGreaterThan(0);

      await emulator('POST', '/_emulator/faults', { rules: [{ target: 's3', kind: 'status', status: 503, count: 1 }] });
      const created = await user
        .send(new StopJobCommand({ appId, branchName: 'main', jobId: jobId! }))
        .then(() => user.send(new CreateDeploymentCommand({ appId, branchName: 'main' })));
      const slow = await fetch(created.zipUploadUrl!, { method: 'PUT', body: 'x' });
      expect(slow.status).toBe(503);
      expect(xmlCode(await slow.text())).toBe('SlowDown');
    } finally {
      await emulator('DELETE', '/_emulator/faults');
    }
  });
});

describe('persistence and reset', () => {
  it('serves a deployed site again after a restart, and reset leaves only the pre-created apps', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'amplify-cloud-'));
    let second: RunningCloud | undefined;
    try {
      second = await startCloud(testConfig({ persistDir: dir }));
      const client = new AmplifyClient({ region, endpoint: second.url, credentials: LOCAL_AWS.user });
      const { app } = await client.send(new CreateAppCommand({ name: 'kept' }));
      await client.send(new CreateBranchCommand({ appId: app!.appId, branchName: 'main' }));
      const created = await client.send(new CreateDeploymentCommand({ appId: app!.appId, branchName: 'main' }));
      expect((await fetch(created.zipUploadUrl!, { method: 'PUT', body: await zipOf({ 'index.html': INDEX }) })).status).toBe(200);
      await client.send(new StartDeploymentCommand({ appId: app!.appId, branchName: 'main', jobId: created.jobId! }));
      expect((await waitForJob(client, app!.appId!, 'main', created.jobId!, second.url)).summary?.status).toBe('SUCCEED');
      client.destroy();
      await second.close();

      second = await startCloud(testConfig({ persistDir: dir }));
      const host = `main.${app!.appId}.amplifyapp.localhost`;
      const served = await site(host, '/', 'GET', second.port);
      expect(served.status).toBe(200);
      expect(served.body.toString()).toBe(INDEX);
      const again = new AmplifyClient({ region, endpoint: second.url, credentials: LOCAL_AWS.user });
      const { job } = await again.send(new GetJobCommand({ appId: app!.appId, branchName: 'main', jobId: created.jobId! }));
      expect(job?.summary?.status).toBe('SUCCEED');

      await emulator('POST', '/_emulator/reset', {}, second.url);
      expect((await again.send(new ListAppsCommand({}))).apps).toEqual([]);
      const platformClient = new AmplifyClient({ region, endpoint: second.url, credentials: LOCAL_AWS.platform });
      expect((await platformClient.send(new ListAppsCommand({}))).apps?.map((a) => a.appId)).toEqual([LOCAL_AWS.platformAppId]);
      expect((await site(host, '/', 'GET', second.port)).status).toBe(404);
      again.destroy();
      platformClient.destroy();
    } finally {
      await second?.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
