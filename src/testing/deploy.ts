// Deploying a site the way the product does, for tests: files become the user's blobs, a deployment
// is created, and a runner drives it to the end.
import { eq } from 'drizzle-orm';
import type { AuthMode, DeploymentPlatform } from '@/lib/deployment';
import type { Db } from '@/server/db/client';
import { deployments } from '@/server/db/schema';
import { PostgresBlobStore } from '@/server/deploy/blob-store';
import { decodeInlineFiles, storeInlineFiles, type InlineFiles } from '@/server/deploy/files';
import { driveDeployment, type RunnerOptions } from '@/server/deploy/runner';
import { createDeployment } from '@/server/deploy/service';

export async function deployFiles(
  db: Db,
  input: { userId: string; chatId: string; platform: DeploymentPlatform; authMode: AuthMode; files: InlineFiles; siteName?: string },
  runner: RunnerOptions = {},
) {
  const { proposed, bytes } = decodeInlineFiles(input.files);
  await storeInlineFiles(new PostgresBlobStore(db), input.userId, bytes);
  const { deploymentId } = await createDeployment(db, { ...input, manifest: proposed });
  await driveDeployment(db, deploymentId, { retryDelayMs: 50, ...runner });
  const [row] = await db.select().from(deployments).where(eq(deployments.id, deploymentId));
  return row!;
}
