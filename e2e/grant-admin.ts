// The operator's bootstrap, as an operator runs it: `npm run admin -- grant <email>` on the database
// the e2e server uses (the browser tests run with DATABASE_URL; see README "Test it").
import { execFileSync } from 'node:child_process';

export function grantAdminByCli(email: string): string {
  if (!process.env.DATABASE_URL)
    throw new Error('The browser tests need DATABASE_URL (a PostgreSQL both the server and `npm run admin` reach); see README "Test it".');
  // Outside production, so a localhost DATABASE_URL is reached through the project's relay.
  return execFileSync('npm', ['run', '--silent', 'admin', '--', 'grant', email], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'development' } });
}
