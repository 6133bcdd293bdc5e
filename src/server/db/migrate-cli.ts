// `npm run db:migrate`: applies drizzle/ migrations to DATABASE_URL (or the embedded database).
import { openDb } from './client';

const handle = await openDb({ migrate: true });
console.log(`Migrations applied (${handle.driver}).`);
await handle.close();
