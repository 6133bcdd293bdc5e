// What the operators' page shows first: how many people, sites and deployments there are.
import { count, desc, gte, sql } from 'drizzle-orm';
import { deployments, sites, users } from '../db/schema';
import type { Db } from '../db/client';

export async function adminOverview(db: Db, now = new Date()) {
  const dayAgo = new Date(now.getTime() - 24 * 60 * 60 * 1000);
  const [[u], [s], [d], byStatus] = await Promise.all([
    db.select({ n: count() }).from(users),
    db.select({ n: count() }).from(sites).where(sql`${sites.status} = 'active'`),
    db.select({ n: count() }).from(deployments).where(gte(deployments.createdAt, dayAgo)),
    db.select({ status: deployments.status, n: count() }).from(deployments).groupBy(deployments.status),
  ]);
  return {
    users: u!.n,
    activeSites: s!.n,
    deploymentsLast24h: d!.n,
    deploymentsByStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])) as Record<string, number>,
  };
}

export async function listRecentUsers(db: Db, limit = 50) {
  return db
    .select({ id: users.id, email: users.email, createdAt: users.createdAt })
    .from(users)
    .orderBy(desc(users.createdAt))
    .limit(limit);
}
