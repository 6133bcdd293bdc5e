// Connecting a platform account: the credentials are verified against the platform first, and only
// then sealed into the vault; what the browser gets back is account facts and a masked hint.
import { and, eq } from 'drizzle-orm';
import type { DeploymentPlatform } from '@/lib/deployment';
import { platformInfo } from '@/lib/platforms';
import { recordAudit } from '../audit';
import type { Db } from '../db/client';
import { connections } from '../db/schema';
import { adapterFor } from '../deploy/adapters';
import { processDeploySettings, type DeploySettings } from '../deploy/settings';
import { notFound } from '../errors';
import { connectionRefused } from '../http/platform-failures';
import { PlatformError } from '../platforms/http';
import { readConnectionCredentials, saveConnection, type ConnectionSummary } from './store';

/** Settings of the platform calls: this process's unless given. */
export interface ConnectOptions {
  settings?: DeploySettings;
}

async function verified(platform: DeploymentPlatform, credentials: Record<string, string>, options: ConnectOptions): Promise<Record<string, string>> {
  const adapter = adapterFor(platform);
  try {
    return await adapter.verify(adapter.parseCredentials(credentials), options.settings ?? processDeploySettings());
  } catch (err) {
    // The platform's own words go to the log, never the secret: messages are built without it.
    if (err instanceof PlatformError) throw connectionRefused(err);
    throw err;
  }
}

export async function connectPlatform(
  db: Db,
  userId: string,
  platform: DeploymentPlatform,
  credentials: Record<string, string>,
  options: ConnectOptions = {},
): Promise<ConnectionSummary> {
  const accountFacts = await verified(platform, credentials, options);
  const summary = await saveConnection(db, { userId, platform, credentials, hintOf: credentials[platformInfo(platform).hintField] ?? '', accountFacts });
  await recordAudit(db, { userId, action: 'connection.save', platform, targetId: summary.id });
  return summary;
}

/** Re-verifies a stored connection ("Test connection"); records when it last passed. */
export async function testConnection(db: Db, userId: string, id: string, options: ConnectOptions = {}): Promise<ConnectionSummary> {
  const [row] = await db
    .select()
    .from(connections)
    .where(and(eq(connections.id, id), eq(connections.userId, userId)));
  if (!row) throw notFound('That connection');
  const accountFacts = await verified(row.platform, await readConnectionCredentials(db, userId, row.platform), options);
  const [updated] = await db.update(connections).set({ accountFacts, verifiedAt: new Date(), updatedAt: new Date() }).where(eq(connections.id, id)).returning({
    id: connections.id,
    platform: connections.platform,
    accountFacts: connections.accountFacts,
    secretHint: connections.secretHint,
    verifiedAt: connections.verifiedAt,
  });
  return updated!;
}
