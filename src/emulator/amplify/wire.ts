// Amplify's JSON shapes: request members read with the model's constraints, response objects with
// every model-required member, timestamps as epoch seconds (JSON numbers; the JS SDK rejects ISO
// strings), and nextToken pagination.
import type { App, AppSettings, Branch, BranchSettings, Job, JobView } from './model';
import { badRequest, validation } from './errors';

const epoch = (ms: number) => ms / 1000;

/** A request body's members, checked the way the service's validation layer words it. */
export class Input {
  constructor(private readonly body: Record<string, unknown>) {}

  static parse(bytes: Buffer): Input {
    if (!bytes.length) return new Input({});
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw badRequest('The request body is not valid JSON.');
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest('The request body must be a JSON object.');
    return new Input(value as Record<string, unknown>);
  }

  has(name: string): boolean {
    return this.body[name] !== undefined && this.body[name] !== null;
  }

  string(name: string, opts: { required?: boolean; min?: number; max?: number } = {}): string | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) {
      if (opts.required) throw validation(name, v, 'Member must not be null');
      return undefined;
    }
    if (typeof v !== 'string') throw badRequest(`Member '${name}' must be a string.`);
    if (opts.min !== undefined && v.length < opts.min) throw validation(name, v, `Member must have length greater than or equal to ${opts.min}`);
    if (opts.max !== undefined && v.length > opts.max) throw validation(name, v, `Member must have length less than or equal to ${opts.max}`);
    return v;
  }

  oneOf(name: string, values: readonly string[]): string | undefined {
    const v = this.string(name);
    if (v !== undefined && !values.includes(v)) throw validation(name, v, `Member must satisfy enum value set: [${values.join(', ')}]`);
    return v;
  }

  boolean(name: string): boolean | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'boolean') throw badRequest(`Member '${name}' must be a boolean.`);
    return v;
  }

  stringMap(name: string): Record<string, string> | undefined {
    const v = this.body[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string'))
      throw badRequest(`Member '${name}' must be a map of strings.`);
    return { ...(v as Record<string, string>) };
  }

  customRules(): AppSettings['customRules'] {
    const v = this.body.customRules;
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw badRequest("Member 'customRules' must be a list.");
    return v.map((rule: unknown, i) => {
      const r = rule as Record<string, unknown>;
      if (!r || typeof r.source !== 'string' || typeof r.target !== 'string')
        throw validation(`customRules.${i + 1}.member.source`, undefined, 'Member must not be null');
      return {
        source: r.source,
        target: r.target,
        ...(typeof r.status === 'string' ? { status: r.status } : {}),
        ...(typeof r.condition === 'string' ? { condition: r.condition } : {}),
      };
    });
  }
}

const PLATFORMS = ['WEB', 'WEB_DYNAMIC', 'WEB_COMPUTE'] as const;
const STAGES = ['PRODUCTION', 'BETA', 'DEVELOPMENT', 'EXPERIMENTAL', 'PULL_REQUEST'] as const;

/** The members of CreateApp/UpdateApp this emulator keeps (others are accepted and ignored). */
export function appSettings(input: Input): Partial<AppSettings> {
  const s: Partial<AppSettings> = {
    name: input.string('name', { min: 1, max: 255 }),
    description: input.string('description', { max: 1000 }),
    platform: input.oneOf('platform', PLATFORMS),
    repository: input.string('repository', { max: 1000 }),
    environmentVariables: input.stringMap('environmentVariables'),
    enableBranchAutoBuild: input.boolean('enableBranchAutoBuild'),
    enableBranchAutoDeletion: input.boolean('enableBranchAutoDeletion'),
    enableBasicAuth: input.boolean('enableBasicAuth'),
    enableAutoBranchCreation: input.boolean('enableAutoBranchCreation'),
    basicAuthCredentials: input.string('basicAuthCredentials', { max: 2000 }),
    tags: input.stringMap('tags'),
    customRules: input.customRules(),
    buildSpec: input.string('buildSpec', { min: 1, max: 25000 }),
    customHeaders: input.string('customHeaders', { max: 25000 }),
  };
  return withoutUndefined(s);
}

export function branchSettings(input: Input): Partial<BranchSettings> {
  const s: Partial<BranchSettings> = {
    description: input.string('description', { max: 1000 }),
    stage: input.oneOf('stage', STAGES),
    displayName: input.string('displayName', { max: 255 }),
    framework: input.string('framework', { max: 255 }),
    ttl: input.string('ttl'),
    enableAutoBuild: input.boolean('enableAutoBuild'),
    enableNotification: input.boolean('enableNotification'),
    enableBasicAuth: input.boolean('enableBasicAuth'),
    enablePullRequestPreview: input.boolean('enablePullRequestPreview'),
    enableSkewProtection: input.boolean('enableSkewProtection'),
    enablePerformanceMode: input.boolean('enablePerformanceMode'),
    environmentVariables: input.stringMap('environmentVariables'),
    basicAuthCredentials: input.string('basicAuthCredentials', { max: 2000 }),
    tags: input.stringMap('tags'),
    buildSpec: input.string('buildSpec', { min: 1, max: 25000 }),
  };
  if (s.ttl !== undefined && !/^\d*$/.test(s.ttl)) throw validation('ttl', s.ttl, 'Member must satisfy regular expression pattern: \\d*');
  return withoutUndefined(s);
}

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

// ---- responses ----

export function appJson(app: App, region: string, productionBranch?: { branch: Branch; lastJob?: { job: Job; view: JobView } }) {
  return {
    appId: app.appId,
    appArn: `arn:aws:amplify:${region}:${app.accountId}:apps/${app.appId}`,
    name: app.name,
    description: app.description,
    repository: app.repository,
    platform: app.platform,
    createTime: epoch(app.createTime),
    updateTime: epoch(app.updateTime),
    environmentVariables: app.environmentVariables,
    defaultDomain: `${app.appId}.amplifyapp.com`,
    enableBranchAutoBuild: app.enableBranchAutoBuild,
    enableBranchAutoDeletion: app.enableBranchAutoDeletion,
    enableBasicAuth: app.enableBasicAuth,
    enableAutoBranchCreation: app.enableAutoBranchCreation,
    ...(app.basicAuthCredentials !== undefined ? { basicAuthCredentials: app.basicAuthCredentials } : {}),
    ...(app.tags ? { tags: app.tags } : {}),
    ...(app.customRules ? { customRules: app.customRules } : {}),
    ...(app.buildSpec !== undefined ? { buildSpec: app.buildSpec } : {}),
    ...(app.customHeaders !== undefined ? { customHeaders: app.customHeaders } : {}),
    ...(productionBranch
      ? {
          productionBranch: {
            branchName: productionBranch.branch.branchName,
            ...(productionBranch.lastJob ? { status: productionBranch.lastJob.view.status } : {}),
            ...(productionBranch.branch.site ? { lastDeployTime: epoch(productionBranch.branch.site.deployedAt) } : {}),
          },
        }
      : {}),
  };
}

export function branchJson(app: App, branch: Branch, region: string) {
  const latest = Math.max(0, ...[...branch.jobs.keys()].map(Number));
  return {
    branchArn: `arn:aws:amplify:${region}:${app.accountId}:apps/${app.appId}/branches/${branch.branchName}`,
    branchName: branch.branchName,
    description: branch.description,
    stage: branch.stage,
    displayName: branch.displayName,
    enableNotification: branch.enableNotification,
    createTime: epoch(branch.createTime),
    updateTime: epoch(branch.updateTime),
    environmentVariables: branch.environmentVariables,
    enableAutoBuild: branch.enableAutoBuild,
    enableSkewProtection: branch.enableSkewProtection,
    customDomains: [] as string[],
    framework: branch.framework,
    activeJobId: latest ? String(latest) : '',
    totalNumberOfJobs: String(branch.jobs.size),
    enableBasicAuth: branch.enableBasicAuth,
    enablePerformanceMode: branch.enablePerformanceMode,
    ttl: branch.ttl,
    enablePullRequestPreview: branch.enablePullRequestPreview,
    ...(branch.basicAuthCredentials !== undefined ? { basicAuthCredentials: branch.basicAuthCredentials } : {}),
    ...(branch.tags ? { tags: branch.tags } : {}),
    ...(branch.buildSpec !== undefined ? { buildSpec: branch.buildSpec } : {}),
  };
}

export function jobSummaryJson(app: App, branch: Branch, job: Job, view: JobView, region: string) {
  return {
    jobArn: `arn:aws:amplify:${region}:${app.accountId}:apps/${app.appId}/branches/${branch.branchName}/jobs/${job.jobId.padStart(10, '0')}`,
    jobId: job.jobId,
    // What a manual job reports here is not documented; a release job shows "HEAD".
    commitId: 'HEAD',
    commitMessage: 'Manual deployment',
    commitTime: epoch(job.createTime),
    startTime: epoch(job.startTime),
    status: view.status,
    jobType: 'MANUAL',
    ...(view.endTime !== undefined ? { endTime: epoch(view.endTime) } : {}),
  };
}

export function jobJson(app: App, branch: Branch, job: Job, view: JobView, region: string) {
  return {
    summary: jobSummaryJson(app, branch, job, view, region),
    steps: view.steps.map((step) => ({
      stepName: step.stepName,
      startTime: epoch(step.startTime),
      status: step.status,
      ...(step.endTime !== undefined ? { endTime: epoch(step.endTime) } : {}),
      ...(step.statusReason ? { statusReason: step.statusReason } : {}),
    })),
  };
}

// ---- pagination ----

/** Page size when maxResults is absent or 0; the service's own default is not documented. */
export const DEFAULT_PAGE_SIZE = 20;

/**
 * One page of `items` (already in list order). The token names the position after the last item
 * returned, so deleting items between calls neither repeats nor skips the rest.
 */
export function paginate<T>(items: T[], position: (item: T) => number, query: URLSearchParams, maxAllowed: number): { page: T[]; nextToken?: string } {
  const rawMax = query.get('maxResults');
  let size = DEFAULT_PAGE_SIZE;
  if (rawMax !== null && rawMax !== '') {
    const n = Number(rawMax);
    if (!Number.isInteger(n)) throw badRequest(`Invalid value for maxResults: '${rawMax}'.`);
    if (n < 0) throw validation('maxResults', n, 'Member must have value greater than or equal to 0');
    if (n > maxAllowed) throw validation('maxResults', n, `Member must have value less than or equal to ${maxAllowed}`);
    if (n > 0) size = n;
  }
  let rest = items;
  const token = query.get('nextToken');
  if (token) {
    let after: number;
    try {
      after = (JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { after: number }).after;
    } catch {
      throw badRequest('Invalid nextToken.');
    }
    if (typeof after !== 'number') throw badRequest('Invalid nextToken.');
    rest = items.filter((item) => position(item) > after);
  }
  const page = rest.slice(0, size);
  const last = page[page.length - 1];
  const nextToken = rest.length > size && last !== undefined ? Buffer.from(JSON.stringify({ after: position(last) })).toString('base64url') : undefined;
  return { page, nextToken };
}
