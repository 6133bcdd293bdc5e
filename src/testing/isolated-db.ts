// A database of this test file's own, for tests that act on every row (the cleanup job): with
// DATABASE_URL, a fresh database is created beside it before anything reads the configuration, and
// dropped afterwards, with a blob store of its own (rows name objects); on PGlite every file has its
// own in-memory database and store anyway. Import this first.
import { execFileSync } from 'node:child_process';
import { afterAll } from 'vitest';
import { useOwnBlobStore } from './own-blob-store';

const base = process.env.DATABASE_URL;
if (base) {
  const url = new URL(base);
  const name = `${url.pathname.slice(1) || 'test'}_iso_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  execFileSync('psql', [admin.toString(), '-qc', `CREATE DATABASE "${name}"`]);
  url.pathname = `/${name}`;
  process.env.DATABASE_URL = url.toString();
  afterAll(() => {
    execFileSync('psql', [admin.toString(), '-qc', `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`]);
  });
  await useOwnBlobStore();
}
