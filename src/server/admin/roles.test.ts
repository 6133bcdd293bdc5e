// Admins are a database role: granted and revoked by the operator's command (run for real, as a child
// process on a real database) or by an admin on the Admin page (tRPC over HTTP), always audited, never
// leaving the service without an admin, and never granted by signing up.
import '@/testing/isolated-db'; // "the last admin" needs a database no other test file grants admins in
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { POST as signUpRoute } from '@/app/api/auth/sign-up/route';
import { signUp } from '@/server/auth/accounts';
import { openDb, type Db } from '@/server/db/client';
import { auditLog, users } from '@/server/db/schema';
import { useTestDb, uniqueEmail } from '@/testing/db';
import { jsonRequest, sessionCookieFrom } from '@/testing/http';
import { answerOf, trpcOverHttp } from '@/testing/trpc-http';
import { main } from './admin-cli';
import { grantAdmin, listAdmins, revokeAdmin } from './roles';

const getDb = useTestDb();
const PASSWORD = 'a long enough password';

const roleOf = async (db: Db, email: string) => (await db.select({ role: users.role }).from(users).where(eq(users.email, email)))[0]?.role;
const auditOf = (db: Db, action: string, targetId: string) =>
  db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.action, action), eq(auditLog.targetId, targetId)));

/** `npm run admin -- …` for real, on the configured database, with its exit code and output. */
function runCli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('npm', ['run', '--silent', 'admin', '--', ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('npm run admin (the operator command, as a child process)', () => {
  // With DATABASE_URL the command shares this file's database; on PGlite (one process per directory)
  // it gets a directory of its own, opened here only between its runs.
  const dir = process.env.DATABASE_URL ? null : mkdtempSync(path.join(tmpdir(), 'huskit-admin-cli-'));
  const cliEnv: Record<string, string> = dir ? { PGLITE_DATA_DIR: dir, DATABASE_URL: '' } : {};
  async function withCliDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    if (!dir) return fn(await getDb());
    const handle = await openDb({ databaseUrl: undefined, pgliteDataDir: dir });
    try {
      return await fn(handle.db);
    } finally {
      await handle.close();
    }
  }
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('grants the role to an existing account, lists it, audits it as by the CLI, and refuses to revoke the last admin', async () => {
    const email = uniqueEmail('first-admin');
    const userId = await withCliDb(async (db) => {
      // Nobody else is an admin in this database.
      for (const a of await listAdmins(db)) await db.update(users).set({ role: 'user' }).where(eq(users.id, a.id));
      return (await signUp(db, { email, password: PASSWORD })).id;
    });

    const granted = await runCli(['grant', email.toUpperCase()], cliEnv);
    expect(granted).toMatchObject({ code: 0, stdout: `${email} is now an admin.\n` });
    const listed = await runCli(['list'], cliEnv);
    expect(listed).toMatchObject({ code: 0, stdout: `${email}\n` });
    const last = await runCli(['revoke', email], cliEnv);
    expect(last.code).toBe(1);
    expect(last.stderr).toContain(`${email} is the last admin. Grant the role to someone else first`);

    await withCliDb(async (db) => {
      expect(await roleOf(db, email)).toBe('admin');
      const audit = await auditOf(db, 'admin.grant', userId);
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ userId: null, detail: { by: 'cli' } });
    });
  });

  it('explains its usage (exit 2) and refuses an email nobody signed up with (exit 1)', async () => {
    const usage = await runCli(['promote', 'x@y.z'], cliEnv);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('npm run admin -- grant <email>');
    const unknown = await runCli(['grant', uniqueEmail('nobody')], cliEnv);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No account uses .*\. Ask the person to sign up first, then grant the role\./);
  });
});

describe('the command in process (main)', () => {
  const io = () => {
    const lines = { out: [] as string[], err: [] as string[] };
    return { lines, io: { out: (l: string) => lines.out.push(l), err: (l: string) => lines.err.push(l) } };
  };

  it('grants once, says so when the role was already there, and revokes when another admin remains', async () => {
    const db = await getDb();
    const [a, b] = [uniqueEmail('main-a'), uniqueEmail('main-b')];
    await signUp(db, { email: a, password: PASSWORD });
    await signUp(db, { email: b, password: PASSWORD });
    const run = io();
    expect(await main(['grant', a], db, run.io)).toBe(0);
    expect(await main(['grant', a], db, run.io)).toBe(0);
    expect(await main(['grant', b], db, run.io)).toBe(0);
    expect(await main(['revoke', a], db, run.io)).toBe(0);
    expect(run.lines.out).toEqual([`${a} is now an admin.`, `${a} was already an admin.`, `${b} is now an admin.`, `${a} is no longer an admin.`]);
    expect(await roleOf(db, a)).toBe('user');
    expect(await roleOf(db, b)).toBe('admin');
    expect(await main(['revoke', a], db, run.io)).toBe(1);
    expect(run.lines.err.at(-1)).toBe(`${a} is not an admin.`);
    expect(await main(['list', 'extra'], db, run.io)).toBe(2);
    expect(await main(['grant', 'not-an-email'], db, run.io)).toBe(1);
  });
});

describe('the Admin page procedures', () => {
  async function signedIn(label: string) {
    const email = uniqueEmail(label);
    const res = await signUpRoute(jsonRequest('/api/auth/sign-up', { email, password: PASSWORD }));
    expect(res.status).toBe(201);
    const body = await res.json();
    return { email, id: body.user.id as string, role: body.user.role as string, client: trpcOverHttp({ cookie: sessionCookieFrom(res) }) };
  }

  it('lets an admin list, grant by email and revoke, each audited with who did it', async () => {
    const db = await getDb();
    const admin = await signedIn('page-admin');
    await grantAdmin(db, admin.email, { kind: 'cli' });
    const other = await signedIn('page-other');

    const granted = await admin.client.admin.grantAdmin.mutate({ email: other.email });
    expect(granted).toMatchObject({ id: other.id, email: other.email, changed: true });
    expect((await admin.client.admin.admins.query()).map((a) => a.email)).toEqual(expect.arrayContaining([admin.email, other.email]));
    // The role is read from the database on every request: the other's session is an admin's now.
    expect((await other.client.account.me.query()).role).toBe('admin');
    expect(await auditOf(db, 'admin.grant', other.id)).toMatchObject([{ userId: admin.id, detail: { by: admin.id } }]);

    await admin.client.admin.revokeAdmin.mutate({ userId: other.id });
    expect(await roleOf(db, other.email)).toBe('user');
    expect(await auditOf(db, 'admin.revoke', other.id)).toMatchObject([{ userId: admin.id, detail: { by: admin.id } }]);
    // At once: the revoked user's next request is a non-admin's.
    expect(await answerOf(other.client.admin.admins.query())).toMatchObject({ status: 403 });
  });

  it('refuses to revoke the last admin (409), and to grant an email nobody signed up with (404)', async () => {
    const db = await getDb();
    const admin = await signedIn('last-admin');
    await grantAdmin(db, admin.email, { kind: 'cli' });
    // Everyone else steps down, so this admin is the last one.
    for (const a of await listAdmins(db)) if (a.id !== admin.id) await revokeAdmin(db, { userId: a.id }, { kind: 'cli' });
    expect(await listAdmins(db)).toHaveLength(1);

    const last = await answerOf(admin.client.admin.revokeAdmin.mutate({ userId: admin.id }));
    expect(last).toEqual({ status: 409, message: `${admin.email} is the last admin. Grant the role to someone else first, so the service keeps an operator.` });
    expect(await roleOf(db, admin.email)).toBe('admin');
    const nobody = await answerOf(admin.client.admin.grantAdmin.mutate({ email: uniqueEmail('nobody') }));
    expect(nobody).toMatchObject({ status: 404, message: expect.stringMatching(/^No account uses /) });
  });

  it('gives a non-admin 403 on every admin procedure, and signing up grants nothing', async () => {
    const plain = await signedIn('plain');
    expect(plain.role).toBe('user');
    expect(await answerOf(plain.client.admin.admins.query())).toMatchObject({ status: 403 });
    expect(await answerOf(plain.client.admin.grantAdmin.mutate({ email: plain.email }))).toMatchObject({ status: 403 });
    expect(await answerOf(plain.client.admin.revokeAdmin.mutate({ userId: plain.id }))).toMatchObject({ status: 403 });
    expect(await roleOf(await getDb(), plain.email)).toBe('user');
  });
});
