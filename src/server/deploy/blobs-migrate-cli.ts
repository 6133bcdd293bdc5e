// `npm run blobs:migrate`: moves the file bytes an older install kept in PostgreSQL into the configured
// object store (BLOB_STORE), then drops their table, and the manifests' lines it kept there too. Safe
// to stop and run again: it continues.
import { closeDb, getDb } from '../db/client';
import { getObjectStore } from '../storage/from-env';
import { migrateLegacyBlobs } from './legacy-blobs';
import { moveLegacyManifests } from './manifest-store';

const objects = getObjectStore();
const db = await getDb();
const report = await migrateLegacyBlobs(db, objects, {
  onProgress: (r) => process.stderr.write(`\rmoved ${r.moved} blobs (${(r.bytes / 1e6).toFixed(1)} MB) into the ${objects.kind} store`),
});
process.stderr.write('\n');
console.log(JSON.stringify({ ...report, manifestsMoved: await moveLegacyManifests(db) }, null, 2));
if (report.corrupt.length)
  console.error(`${report.corrupt.length} stored blob(s) do not match their SHA-256 and were left in legacy_blob_bytes: see "corrupt".`);
await closeDb();
process.exit(report.corrupt.length ? 1 : 0);
