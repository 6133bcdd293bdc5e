// The object store the configuration names, one per process.
import path from 'node:path';
import { getEnv } from '../env';
import { FsObjectStore } from './fs-store';
import type { ObjectStore } from './object-store';
import { S3ObjectStore } from './s3-store';

let store: ObjectStore | undefined;

export function getObjectStore(): ObjectStore {
  if (store) return store;
  const config = getEnv().blobStore;
  if (config.kind === 'fs') store = new FsObjectStore(path.resolve(config.dir));
  else store = new S3ObjectStore(config);
  return store;
}
