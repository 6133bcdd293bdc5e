// What the operators' page shows: people, the shared infrastructure's quotas, rejections, daily
// volume, recent failures, and one user's deployments.
import { and, count, desc, eq, gte, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { auditLog, deployments, sites, users } from '../db/schema';
import { platformQuotaUsage } from '../deploy/policy';
import { processDeploySettings } from '../deploy/settings';
import { notFound } from '../errors';

const DAY = 24 * 60 * 60 * 1000;

export async function adminOverview(db: Db, now = new Date()) {
  const dayAgo = new Date(now.getTime() - DAY);
  const [[u], [s], [d], byStatus, quota, [rejections]] = await Promise.all([
    db.select({ n: count() }).from(users),
    db
      .select({ n: count() })
      .from(sites)
      .where(sql`${sites.status} = 'active'`),
    db.select({ n: count() }).from(deployments).where(gte(deployments.createdAt, dayAgo)),
    db.select({ status: deployments.status, n: count() }).from(deployments).groupBy(deployments.status),
    platformQuotaUsage(db, processDeploySettings().limits, now),
    db
      .select({ n: count() })
      .from(auditLog)
      .where(and(inArray(auditLog.outcome, ['rate_limited', 'quota']), gte(auditLog.createdAt, dayAgo))),
  ]);
  return {
    users: u!.n,
    activeSites: s!.n,
    deploymentsLast24h: d!.n,
    rejectionsLast24h: rejections!.n,
    deploymentsByStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])) as Record<string, number>,
    quota,
  };
}

/** Rate-limit and quota refusals, newest first. */
export async function recentRejections(db: Db, limit = 50) {
  return db
    .select({ at: auditLog.createdAt, reason: auditLog.outcome, platform: auditLog.platform, authMode: auditLog.authMode, email: users.email })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.userId))
    .where(inArray(auditLog.outcome, ['rate_limited', 'quota']))
    .orderBy(desc(auditLog.createdAt))
    .limit(limit);
}

/** Deployments per day and platform over the last `days` days (UTC). */
export async function deploymentsPerDay(db: Db, days = 14, now = new Date()) {
  const day = sql<string>`to_char(date_trunc('day', ${deployments.createdAt} at time zone 'UTC'), 'YYYY-MM-DD')`;
  return db
    .select({ day, platform: deployments.platform, n: count() })
    .from(deployments)
    .where(gte(deployments.createdAt, new Date(now.getTime() - days * DAY)))
    .groupBy(day, deployments.platform)
    .orderBy(day);
}

export async function recentFailures(db: Db, limit = 50) {
  return db
    .select({
      id: deployments.id,
      at: deployments.createdAt,
      platform: deployments.platform,
      authMode: deployments.authMode,
      error: deployments.error,
      errorCode: deployments.errorCode,
      email: users.email,
    })
    .from(deployments)
    .innerJoin(users, eq(users.id, deployments.userId))
    .where(eq(deployments.status, 'error'))
    .orderBy(desc(deployments.createdAt))
    .limit(limit);
}

export async function deploymentsOfUser(db: Db, email: string, limit = 100) {
  const [user] = await db
    .select({ id: users.id, email: users.email, createdAt: users.createdAt })
    .from(users)
    .where(eq(users.email, email.trim().toLowerCase()));
  if (!user) throw notFound('A user with that email');
  const rows = await db
    .select({
      id: deployments.id,
      at: deployments.createdAt,
      platform: deployments.platform,
      authMode: deployments.authMode,
      status: deployments.status,
      url: deployments.url,
      error: deployments.error,
    })
    .from(deployments)
    .where(eq(deployments.userId, user.id))
    .orderBy(desc(deployments.createdAt))
    .limit(limit);
  return { user, deployments: rows };
}

export async function listRecentUsers(db: Db, limit = 50) {
  return db.select({ id: users.id, email: users.email, createdAt: users.createdAt }).from(users).orderBy(desc(users.createdAt)).limit(limit);
}
