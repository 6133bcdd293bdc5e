// The database schema (migrations in drizzle/ are generated from it), one file per area under schema/.
export * from './schema/accounts';
export * from './schema/blobs';
export * from './schema/deployments';
export * from './schema/projects';
