// The audit trail: one row per account or deployment action, written beside the change it records.
import { auditLog } from './db/schema';
import type { Db, Tx } from './db/client';

export type AuditEntry = Omit<typeof auditLog.$inferInsert, 'id' | 'createdAt'>;

export async function recordAudit(db: Db | Tx, entry: AuditEntry): Promise<void> {
  await db.insert(auditLog).values(entry);
}
