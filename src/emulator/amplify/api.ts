// The local AWS Amplify Hosting: the restJson1 control plane at the root (every call SigV4-verified
// and scoped to the caller's AWS account), the S3-style upload URLs under /_s3, and the deployed
// sites at {displayName}.{appId}.amplifyapp.{siteDomain}. Paths as in the Amplify API Reference.
import type { AwsIdentity } from './config';
import type { EmulatorPlatform, PlatformFactory } from '../platform';
import { Router, type RequestContext } from '../router';
import { AmplifyError, badRequest, faultError, frameworkError, sendAwsError, sendAwsJson, validation } from './errors';
import type { App, Branch, Job } from './model';
import { createS3Surface, UploadUrls } from './s3';
import { parseSiteHost, serveFiles } from './serve';
import { SigV4Verifier } from './sigv4';
import { AmplifyState } from './state';
import { appJson, appSettings, branchJson, branchSettings, Input, jobJson, jobSummaryJson, paginate } from './wire';

/** Control-plane bodies are small JSON documents. */
const API_BODY_LIMIT = 10 * 1024 * 1024;

/**
 * The AWS SDK never streams a control-plane body: @aws-sdk/client-amplify installs smithy's
 * getContentLengthPlugin (contentLengthMiddleware sets `content-length` on every request with a body),
 * and SigV4 signs the body's hash, so a client has the whole body before it sends. A body sent with
 * `Transfer-Encoding: chunked` (a signed `Request` whose body became a stream, as Next's patched fetch
 * makes it) is refused at the front door with 411, in the shape S3 uses for it (MissingContentLength,
 * "You must provide the Content-Length HTTP header.").
 */
function refuseChunked(ctx: RequestContext): void {
  if (ctx.req.headers['transfer-encoding'] !== undefined)
    throw new AmplifyError(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
}

interface Call {
  ctx: RequestContext;
  identity: AwsIdentity;
  body: Buffer;
}

export const createAmplify: PlatformFactory = (services): EmulatorPlatform => {
  const state = new AmplifyState(services);
  const verifier = new SigV4Verifier(services.config);
  const uploads = new UploadUrls(services);
  const region = services.config.amplify.region;
  const now = () => services.clock.now();
  const router = new Router();

  /** Every operation: read the body, verify the signature over it, answer JSON or an Amplify error. */
  function op(method: string, pattern: string, handle: (call: Call) => unknown) {
    router.add(method, pattern, async (ctx) => {
      try {
        refuseChunked(ctx);
        const body = await ctx.body(API_BODY_LIMIT);
        const identity = await verifier.verify(ctx.req, body, now());
        const result = await handle({ ctx, identity, body });
        sendAwsJson(ctx.res, 200, result, now());
      } catch (err) {
        if (err instanceof AmplifyError) return sendAwsError(ctx.res, err, now());
        throw err;
      }
    });
  }

  const appOf = ({ ctx, identity }: Call): App => state.app(identity, ctx.params.appId!);
  const branchOf = (call: Call): { app: App; branch: Branch } => {
    const app = appOf(call);
    return { app, branch: state.branch(app, call.ctx.params.branchName!) };
  };
  const jobOf = (call: Call) => {
    const { app, branch } = branchOf(call);
    return { app, branch, job: state.job(branch, call.ctx.params.jobId!) };
  };

  function appResponse(app: App) {
    const production = [...app.branches.values()].sort((a, b) => a.seq - b.seq).find((b) => b.stage === 'PRODUCTION');
    if (!production) return appJson(app, region);
    state.refreshBranch(production);
    const job = state.listJobs(production)[0];
    return appJson(app, region, { branch: production, lastJob: job ? { job, view: state.view(job) } : undefined });
  }
  const summary = (app: App, branch: Branch, job: Job) => jobSummaryJson(app, branch, job, state.view(job), region);

  // ---- apps ----
  op('POST', '/apps', ({ identity, body }) => {
    const input = Input.parse(body);
    const name = input.string('name', { required: true, min: 1, max: 255 })!;
    return { app: appResponse(state.createApp(identity, { ...appSettings(input), name })) };
  });
  op('GET', '/apps', ({ ctx, identity }) => {
    const { page, nextToken } = paginate(state.listApps(identity), (a) => a.seq, ctx.url.searchParams, 100);
    return { apps: page.map(appResponse), ...(nextToken ? { nextToken } : {}) };
  });
  op('GET', '/apps/:appId', (call) => ({ app: appResponse(appOf(call)) }));
  op('POST', '/apps/:appId', (call) => {
    const app = appOf(call);
    return { app: appResponse(state.updateApp(app, appSettings(Input.parse(call.body)))) };
  });
  op('DELETE', '/apps/:appId', (call) => {
    const app = appOf(call);
    const answer = appResponse(app);
    state.deleteApp(app);
    return { app: answer };
  });

  // ---- branches ----
  op('POST', '/apps/:appId/branches', (call) => {
    const app = appOf(call);
    const input = Input.parse(call.body);
    const branchName = input.string('branchName', { required: true, min: 1, max: 255 })!;
    return { branch: branchJson(app, state.createBranch(app, branchName, branchSettings(input)), region) };
  });
  op('GET', '/apps/:appId/branches', (call) => {
    const app = appOf(call);
    const { page, nextToken } = paginate(state.listBranches(app), (b) => b.seq, call.ctx.url.searchParams, 50);
    return { branches: page.map((b) => branchJson(app, b, region)), ...(nextToken ? { nextToken } : {}) };
  });
  op('GET', '/apps/:appId/branches/:branchName', (call) => {
    const { app, branch } = branchOf(call);
    return { branch: branchJson(app, branch, region) };
  });
  op('POST', '/apps/:appId/branches/:branchName', (call) => {
    const { app, branch } = branchOf(call);
    return { branch: branchJson(app, state.updateBranch(branch, branchSettings(Input.parse(call.body))), region) };
  });
  op('DELETE', '/apps/:appId/branches/:branchName', (call) => {
    const { app, branch } = branchOf(call);
    return { branch: branchJson(app, state.deleteBranch(app, branch), region) };
  });

  // ---- deployments ----
  op('POST', '/apps/:appId/branches/:branchName/deployments', async (call) => {
    const { app, branch } = branchOf(call);
    const input = Input.parse(call.body);
    const fileMap = input.stringMap('fileMap');
    if (fileMap && Object.keys(fileMap).length)
      throw badRequest('This local cloud supports zip deployments only: call CreateDeployment without fileMap and PUT a zip to zipUploadUrl.');
    const job = state.createDeployment(branch);
    return { jobId: job.jobId, zipUploadUrl: await uploads.mint(app.appId, job.uploadId), fileUploadUrls: {} };
  });
  op('POST', '/apps/:appId/branches/:branchName/deployments/start', (call) => {
    const { app, branch } = branchOf(call);
    const input = Input.parse(call.body);
    const jobId = input.string('jobId', { max: 255 });
    const sourceUrl = input.string('sourceUrl', { max: 3000 });
    if (!jobId && !sourceUrl) throw badRequest('Must specify jobId or sourceUrl for StartDeploymentRequest.');
    if (!jobId) throw badRequest('This local cloud does not fetch sourceUrl deployments: use CreateDeployment, PUT the zip, then StartDeployment with jobId.');
    if (!/^[0-9]+$/.test(jobId)) throw validation('jobId', jobId, 'Member must satisfy regular expression pattern: [0-9]+');
    return { jobSummary: summary(app, branch, state.startDeployment(app, branch, jobId)) };
  });

  // ---- jobs ----
  op('GET', '/apps/:appId/branches/:branchName/jobs', (call) => {
    const { app, branch } = branchOf(call);
    const { page, nextToken } = paginate(state.listJobs(branch), (j) => -Number(j.jobId), call.ctx.url.searchParams, 50);
    return { jobSummaries: page.map((j) => summary(app, branch, j)), ...(nextToken ? { nextToken } : {}) };
  });
  op('GET', '/apps/:appId/branches/:branchName/jobs/:jobId', (call) => {
    const { app, branch, job } = jobOf(call);
    return { job: jobJson(app, branch, job, state.view(job), region) };
  });
  op('DELETE', '/apps/:appId/branches/:branchName/jobs/:jobId', (call) => {
    const { app, branch, job } = jobOf(call);
    const answer = summary(app, branch, job);
    state.deleteJob(branch, job);
    return { jobSummary: answer };
  });
  op('DELETE', '/apps/:appId/branches/:branchName/jobs/:jobId/stop', (call) => {
    const { app, branch, job } = jobOf(call);
    return { jobSummary: summary(app, branch, state.stopJob(job)) };
  });

  const s3 = createS3Surface(uploads, (target, bytes) => {
    state.recordUpload(target.appId, target.object.replace(/\.zip$/, ''), bytes);
  });

  return {
    name: 'amplify',
    apis: [
      {
        target: 'amplify',
        prefix: '',
        router,
        sendError: (res, kind, message) => sendAwsError(res, frameworkError(kind, message), now()),
        sendFault: (res, fault) => sendAwsError(res, faultError(fault), now()),
      },
      s3,
    ],
    async serveSite(hostname, req, res) {
      const host = parseSiteHost(hostname, services.config.siteDomain);
      if (!host) return false;
      const files = host.displayName === null ? undefined : await state.siteFiles(host.appId, host.displayName);
      serveFiles(files, req, res, state.apps.get(host.appId)?.customRules ?? []);
      return true;
    },
    stats: () => state.stats(),
    reset: () => state.reset(),
    snapshot: () => state.snapshot(),
    restore: (saved, readBlob) => state.restore(saved, readBlob),
  };
};
