// `npm run admin -- grant <email>` / `revoke <email>` / `list`: the operator's way to make the first
// admin (and any other), on the configured database (DATABASE_URL, or the PGlite directory).
import { pathToFileURL } from 'node:url';
import { closeDb, getDb, type Db } from '../db/client';
import { AppError } from '../errors';
import { grantAdmin, listAdmins, revokeAdmin } from './roles';

const USAGE = `Usage:
  npm run admin -- grant <email>    make the account with this email an admin
  npm run admin -- revoke <email>   take the admin role away (never from the last admin)
  npm run admin -- list             show every admin`;

interface Output {
  out: (line: string) => void;
  err: (line: string) => void;
}

/** Runs one command; answers the exit code (0 done, 1 refused, 2 usage). */
export async function main(args: string[], db: Db, io: Output = { out: console.log, err: console.error }): Promise<number> {
  const [command, email, ...rest] = args;
  const needsEmail = command === 'grant' || command === 'revoke';
  if (!command || !['grant', 'revoke', 'list'].includes(command) || (needsEmail ? !email || rest.length > 0 : args.length > 1)) {
    io.err(USAGE);
    return 2;
  }
  try {
    if (command === 'list') {
      const admins = await listAdmins(db);
      if (admins.length === 0) io.out('No admins yet. Grant the role with: npm run admin -- grant <email>');
      for (const a of admins) io.out(a.email);
    } else if (command === 'grant') {
      const granted = await grantAdmin(db, email!, { kind: 'cli' });
      io.out(granted.changed ? `${granted.email} is now an admin.` : `${granted.email} was already an admin.`);
    } else {
      const revoked = await revokeAdmin(db, { email: email! }, { kind: 'cli' });
      io.out(`${revoked.email} is no longer an admin.`);
    }
    return 0;
  } catch (err) {
    if (err instanceof AppError) {
      io.err(err.message);
      return 1;
    }
    throw err;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main(process.argv.slice(2), await getDb());
  await closeDb();
  process.exit(code);
}
