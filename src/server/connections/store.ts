// Platform connections at rest: the credentials go through the vault, only account facts and a
// masked hint stay readable. Every function is scoped to the user who owns the row.
import { and, eq } from 'drizzle-orm';
import type { DeploymentPlatform } from '@/lib/deployment';
import { connections } from '../db/schema';
import type { Db } from '../db/client';
import { notFound } from '../errors';
import { recordAudit } from '../audit';
import { openSecret, sealSecret, secretHint } from '../vault';

export interface ConnectionSummary {
  id: string;
  platform: DeploymentPlatform;
  accountFacts: Record<string, string>;
  secretHint: string;
  verifiedAt: Date | null;
}

/** The vault context binds a sealed credential to its user and platform. */
export const connectionVaultContext = (userId: string, platform: DeploymentPlatform) => `connection:${userId}:${platform}`;

const summaryColumns = {
  id: connections.id,
  platform: connections.platform,
  accountFacts: connections.accountFacts,
  secretHint: connections.secretHint,
  verifiedAt: connections.verifiedAt,
};

export async function saveConnection(
  db: Db,
  input: { userId: string; platform: DeploymentPlatform; credentials: Record<string, string>; hintOf: string; accountFacts: Record<string, string> },
): Promise<ConnectionSummary> {
  const sealed = sealSecret(JSON.stringify(input.credentials), connectionVaultContext(input.userId, input.platform));
  const now = new Date();
  const values = {
    secretCiphertext: sealed.envelope,
    keyId: sealed.keyId,
    accountFacts: input.accountFacts,
    secretHint: secretHint(input.hintOf),
    verifiedAt: now,
    updatedAt: now,
  };
  const [row] = await db
    .insert(connections)
    .values({ userId: input.userId, platform: input.platform, ...values })
    .onConflictDoUpdate({ target: [connections.userId, connections.platform], set: values })
    .returning(summaryColumns);
  return row!;
}

export async function listConnections(db: Db, userId: string): Promise<ConnectionSummary[]> {
  return db.select(summaryColumns).from(connections).where(eq(connections.userId, userId));
}

/** The decrypted credentials, for the server's own calls to the platform. Never send them anywhere else. */
export async function readConnectionCredentials(db: Db, userId: string, platform: DeploymentPlatform): Promise<Record<string, string>> {
  const [row] = await db
    .select({ id: connections.id, envelope: connections.secretCiphertext })
    .from(connections)
    .where(and(eq(connections.userId, userId), eq(connections.platform, platform)));
  if (!row) throw notFound(`A ${platform} connection`);
  const opened = openSecret(row.envelope, connectionVaultContext(userId, platform));
  if (opened.resealed) {
    await db.update(connections).set({ secretCiphertext: opened.resealed.envelope, keyId: opened.resealed.keyId }).where(eq(connections.id, row.id));
  }
  return JSON.parse(opened.plaintext) as Record<string, string>;
}

export async function removeConnection(db: Db, userId: string, id: string): Promise<void> {
  const removed = await db
    .delete(connections)
    .where(and(eq(connections.id, id), eq(connections.userId, userId)))
    .returning({ id: connections.id, platform: connections.platform });
  if (removed.length === 0) throw notFound('That connection');
  await recordAudit(db, { userId, action: 'connection.remove', platform: removed[0]!.platform, targetId: id });
}
