// The quick-deploy sites that leave the shared infrastructure next: active platform-managed sites
// ordered by their expiry time (the ones already past it, still waiting for the cleanup job, first).
import { and, asc, eq, isNotNull } from 'drizzle-orm';
import type { Db } from '../db/client';
import { sites, users } from '../db/schema';

export async function sitesClosestToExpiry(db: Db, limit = 10) {
  const rows = await db
    .select({
      id: sites.id,
      name: sites.name,
      platform: sites.platform,
      url: sites.url,
      expiresAt: sites.expiresAt,
      createdAt: sites.createdAt,
      email: users.email,
    })
    .from(sites)
    .innerJoin(users, eq(users.id, sites.userId))
    .where(and(eq(sites.authMode, 'platform-managed'), eq(sites.status, 'active'), isNotNull(sites.expiresAt)))
    .orderBy(asc(sites.expiresAt), asc(sites.id))
    .limit(limit);
  // `isNotNull` above: every row has an expiry time.
  return rows.map((r) => ({ ...r, expiresAt: r.expiresAt! }));
}
