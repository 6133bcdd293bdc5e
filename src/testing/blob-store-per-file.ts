// Vitest setupFiles: the blob store follows the database. Rows name objects (packs), so a test file
// must read from the store its database's rows were written with. With DATABASE_URL every test file
// shares one database, and so one store for the run (made by the global setup); on PGlite each test
// file has its own database, and so a store of its own. The configuration is set in the environment
// before anything reads it (getEnv() is cached per module graph, and every test file has its own).
import { inject } from 'vitest';
import { useOwnBlobStore } from './own-blob-store';

const shared = inject('sharedBlobStore');
if (process.env.DATABASE_URL && shared) Object.assign(process.env, shared);
else await useOwnBlobStore();
