// `npm run cleanup`: the lifecycle job for self-hosting (put it in cron); prints the report as JSON.
import { closeDb, getDb } from '../db/client';
import { runCleanup } from './cleanup';

const report = await runCleanup(await getDb());
console.log(JSON.stringify(report, null, 2));
await closeDb();
process.exit(report.failures.length ? 1 : 0);
