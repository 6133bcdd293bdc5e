// Who is an admin: `users.role` in the database, nothing else. Granted and revoked by an operator
// (`npm run admin`, src/server/admin/admin-cli.ts) or by an admin on the Admin page; each change
// writes an audit row saying by whom. The last admin cannot be revoked, so the service always has one.
import { asc, eq } from 'drizzle-orm';
import { emailSchema } from '@/lib/account';
import { recordAudit } from '../audit';
import type { Db } from '../db/client';
import { users } from '../db/schema';
import { AppError } from '../errors';

/** Who changes a role: the operator's command line, or an admin (by user id) on the Admin page. */
export type RoleChanger = { kind: 'cli' } | { kind: 'admin'; adminId: string };

export interface AdminSummary {
  id: string;
  email: string;
  createdAt: Date;
}

const by = (changer: RoleChanger) => (changer.kind === 'cli' ? 'cli' : changer.adminId);

function normalizeEmail(raw: string): string {
  const parsed = emailSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('BAD_REQUEST', `"${raw.slice(0, 254)}" is not an email address.`, { email: ['Enter an email address.'] });
  return parsed.data;
}

export async function listAdmins(db: Db): Promise<AdminSummary[]> {
  return db.select({ id: users.id, email: users.email, createdAt: users.createdAt }).from(users).where(eq(users.role, 'admin')).orderBy(asc(users.email));
}

/** Makes the account with this email an admin. Answers `changed: false` when it already was one. */
export async function grantAdmin(db: Db, email: string, changer: RoleChanger): Promise<AdminSummary & { changed: boolean }> {
  const normalized = normalizeEmail(email);
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(users).where(eq(users.email, normalized)).for('update');
    if (!row) throw new AppError('NOT_FOUND', `No account uses ${normalized}. Ask the person to sign up first, then grant the role.`);
    const summary = { id: row.id, email: row.email, createdAt: row.createdAt };
    if (row.role === 'admin') return { ...summary, changed: false };
    await tx.update(users).set({ role: 'admin', updatedAt: new Date() }).where(eq(users.id, row.id));
    await recordAudit(tx, { userId: changer.kind === 'admin' ? changer.adminId : null, action: 'admin.grant', targetId: row.id, detail: { by: by(changer) } });
    return { ...summary, changed: true };
  });
}

/** Takes the admin role away (by email or user id). Refuses the last admin. */
export async function revokeAdmin(db: Db, target: { email: string } | { userId: string }, changer: RoleChanger): Promise<AdminSummary> {
  const where = 'email' in target ? eq(users.email, normalizeEmail(target.email)) : eq(users.id, target.userId);
  return db.transaction(async (tx) => {
    // Every admin row locked: two admins revoking each other at once cannot leave none.
    const admins = await tx.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).for('update');
    const [row] = await tx.select().from(users).where(where);
    const who = 'email' in target ? target.email : 'That account';
    if (!row) throw new AppError('NOT_FOUND', `${who} has no account here.`);
    if (row.role !== 'admin') throw new AppError('NOT_FOUND', `${row.email} is not an admin.`);
    if (admins.length <= 1)
      throw new AppError('CONFLICT', `${row.email} is the last admin. Grant the role to someone else first, so the service keeps an operator.`);
    await tx.update(users).set({ role: 'user', updatedAt: new Date() }).where(eq(users.id, row.id));
    await recordAudit(tx, { userId: changer.kind === 'admin' ? changer.adminId : null, action: 'admin.revoke', targetId: row.id, detail: { by: by(changer) } });
    return { id: row.id, email: row.email, createdAt: row.createdAt };
  });
}
