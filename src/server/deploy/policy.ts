// Who may deploy how much: rate limits per user and quotas of the shared infrastructure. Both are
// checked inside the transaction that creates the deployment, under advisory locks, so they stay
// exact when many requests arrive at once. The limits come from the caller (a deployment's settings,
// deploy/settings.ts).
import { and, count, eq, gt, gte, inArray, isNull, ne, notExists, sql } from 'drizzle-orm';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import { PLATFORMS } from '@/lib/platforms';
import type { Db, Tx } from '../db/client';
import { auditLog, deployments, sites } from '../db/schema';
import { AppError } from '../errors';
import { UNFINISHED_STATUSES } from './lease';

export interface PolicyLimits {
  platformManagedPerHour: number;
  platformManagedPerDay: number;
  userTokenPerHour: number;
  /** Live platform-managed sites per platform (the shared app's branches, the shared account's Workers). */
  platformQuota: Partial<Record<DeploymentPlatform, number>>;
}

/** The limits without the environment's quotas (deploySettings() adds QUOTA_<PLATFORM>). */
export const DEFAULT_LIMITS: PolicyLimits = {
  platformManagedPerHour: 5,
  platformManagedPerDay: 20,
  userTokenPerHour: 20,
  platformQuota: Object.fromEntries(Object.values(PLATFORMS).flatMap((p) => (p.quickDeploy ? [[p.id, p.quickDeploy.defaultQuota]] : []))),
};

export class RateLimitError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super('TOO_MANY_REQUESTS', message);
    this.withAction('wait', retryAfterSeconds);
  }
}
export class QuotaError extends AppError {
  constructor(message: string) {
    super('TOO_MANY_REQUESTS', message);
    this.withAction('use-own-account');
  }
}

const HOUR = 3600_000;

/** Serialises the policy checks of one key (a user, a platform) until the transaction ends. */
async function lock(tx: Db | Tx, key: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${key}))`);
}

/** Throws RateLimitError when the user may not start another deployment in this mode now. */
export async function checkRateLimit(tx: Db | Tx, userId: string, authMode: AuthMode, now: Date, limits: PolicyLimits, exact: boolean): Promise<void> {
  if (exact) await lock(tx, `deploy-rate:${userId}`);
  const windows =
    authMode === 'platform-managed'
      ? [
          { ms: HOUR, max: limits.platformManagedPerHour, label: 'hour' },
          { ms: 24 * HOUR, max: limits.platformManagedPerDay, label: 'day' },
        ]
      : [{ ms: HOUR, max: limits.userTokenPerHour, label: 'hour' }];
  // Every window in one statement: the user's deployments in it (counted up to its limit) and when
  // the oldest started, which says when the next one may start.
  const mine = sql`${deployments.userId} = ${userId} and ${deployments.authMode} = ${authMode}`;
  const figures = windows.map((w) => {
    const since = new Date(now.getTime() - w.ms);
    const inWindow = sql`from ${deployments} where ${mine} and ${deployments.createdAt} >= ${since}`;
    return sql`(select count(*)::int from (select 1 ${inWindow} limit ${w.max}) w), (select (extract(epoch from min(${deployments.createdAt})) * 1000)::float8 ${inWindow})`;
  });
  const [row] = await tx
    .select({
      figures: sql<[number, number | null][]>`array[${sql.join(
        figures.map((f) => sql`array[${f}]`),
        sql`, `,
      )}]`,
    })
    .from(sql`(select 1) as one`);
  for (const [i, w] of windows.entries()) {
    const [count, oldestMs] = row!.figures[i]!;
    if (count < w.max) continue;
    const retryAfterSeconds = Math.max(1, Math.ceil(((oldestMs ?? now.getTime()) + w.ms - now.getTime()) / 1000));
    throw new RateLimitError(`Too many deployments. Try again in ${Math.ceil(retryAfterSeconds / 60)} minutes.`, retryAfterSeconds);
  }
}

/** Throws QuotaError when a new platform-managed site would exceed the shared infrastructure's quota. */
export async function checkPlatformQuota(tx: Db | Tx, platform: DeploymentPlatform, now: Date, limits: PolicyLimits, exact: boolean): Promise<void> {
  const max = limits.platformQuota[platform];
  if (max === undefined) return;
  if (exact) await lock(tx, `platform-quota:${platform}`);
  const [live] = await tx
    .select({ n: count() })
    .from(sites)
    .where(and(eq(sites.platform, platform), eq(sites.authMode, 'platform-managed'), eq(sites.status, 'active'), gt(sites.expiresAt, now)));
  if (live!.n >= max) throw new QuotaError('Platform deployment limit reached. Deploy to your own account instead, or try again later.');
}

export interface PolicyInput {
  userId: string;
  chatId: string;
  platform: DeploymentPlatform;
  authMode: AuthMode;
}

/**
 * Both checks a new deployment must pass: `exact`, inside the caller's transaction (its advisory
 * locks serialise them per user and platform until it ends); or, not `exact`, an early look that takes
 * no lock (a refusal before work is done; the transaction that inserts the deployment checks again, exactly).
 */
export async function enforcePolicy(tx: Db | Tx, input: PolicyInput, now: Date, limits: PolicyLimits, exact: boolean): Promise<void> {
  await checkRateLimit(tx, input.userId, input.authMode, now, limits, exact);
  if (input.authMode !== 'platform-managed') return;
  // A redeploy of a live site takes no new place in the shared infrastructure.
  const [existing] = await tx
    .select({ id: sites.id })
    .from(sites)
    .where(
      and(
        eq(sites.userId, input.userId),
        eq(sites.chatId, input.chatId),
        eq(sites.platform, input.platform),
        eq(sites.authMode, 'platform-managed'),
        eq(sites.status, 'active'),
        gt(sites.expiresAt, now),
      ),
    );
  if (!existing) await checkPlatformQuota(tx, input.platform, now, limits, exact);
}

/** Runs `work`; a rate-limit or quota refusal is kept for the operators (outside the refused transaction). */
export async function withRejectionRecorded<T>(db: Db, input: PolicyInput, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof RateLimitError || err instanceof QuotaError)
      await recordRejection(db, { ...input, reason: err instanceof RateLimitError ? 'rate_limited' : 'quota' });
    throw err;
  }
}

/**
 * A quick deploy that ended (failed, canceled) before its site ever went live gives the site's place
 * in the shared quota back at once: the site expires now, and the cleanup removes whatever the
 * platform kept. Not while another deployment of the same site is still on its way.
 */
export async function releaseUnusedPlace(db: Db | Tx, deployment: { id: string; siteId: string | null; authMode: AuthMode }, now = new Date()): Promise<void> {
  if (!deployment.siteId || deployment.authMode !== 'platform-managed') return;
  await db
    .update(sites)
    .set({ expiresAt: now, updatedAt: now })
    .where(
      and(
        eq(sites.id, deployment.siteId),
        eq(sites.status, 'active'),
        isNull(sites.currentDeploymentId),
        notExists(
          db
            .select({ one: sql`1` })
            .from(deployments)
            .where(and(eq(deployments.siteId, deployment.siteId), ne(deployments.id, deployment.id), inArray(deployments.status, [...UNFINISHED_STATUSES]))),
        ),
      ),
    );
}

/** Usage of the shared infrastructure against `limits`, for the operators' page. */
export async function platformQuotaUsage(db: Db, limits: PolicyLimits, now = new Date()) {
  const rows = await db
    .select({ platform: sites.platform, n: count() })
    .from(sites)
    .where(and(eq(sites.authMode, 'platform-managed'), eq(sites.status, 'active'), gt(sites.expiresAt, now)))
    .groupBy(sites.platform);
  return Object.entries(limits.platformQuota).map(([platform, max]) => ({
    platform: platform as DeploymentPlatform,
    used: rows.find((r) => r.platform === platform)?.n ?? 0,
    max: max!,
  }));
}

/** Rejections are kept (outside the refused transaction) so operators can see them. */
export async function recordRejection(db: Db, entry: { userId: string; chatId: string; platform: string; authMode: string; reason: 'rate_limited' | 'quota' }) {
  await db.insert(auditLog).values({
    userId: entry.userId,
    action: 'deployment.create',
    chatId: entry.chatId,
    platform: entry.platform,
    authMode: entry.authMode,
    outcome: entry.reason,
  });
}

/** What is left of the user's allowance under `limits` now, for the deploy modal. */
export async function deploymentAllowance(db: Db, userId: string, limits: PolicyLimits, now = new Date()) {
  const since = async (ms: number, authMode: AuthMode) => {
    const [row] = await db
      .select({ n: count() })
      .from(deployments)
      .where(and(eq(deployments.userId, userId), eq(deployments.authMode, authMode), gte(deployments.createdAt, new Date(now.getTime() - ms))));
    return row!.n;
  };
  return {
    platformManaged: {
      hourLeft: Math.max(0, limits.platformManagedPerHour - (await since(HOUR, 'platform-managed'))),
      dayLeft: Math.max(0, limits.platformManagedPerDay - (await since(24 * HOUR, 'platform-managed'))),
    },
    userToken: { hourLeft: Math.max(0, limits.userTokenPerHour - (await since(HOUR, 'user-token'))) },
  };
}
