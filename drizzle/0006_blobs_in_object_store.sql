-- File bytes leave the database for the object store (server/storage). The bytes of an existing
-- install are kept aside in legacy_blob_bytes, still readable, until `npm run blobs:migrate` has moved
-- them into the configured store and dropped that table. Parts of unfinished chunked uploads are
-- dropped: their clients send them again.
CREATE TABLE "legacy_blob_bytes" ("sha256" text PRIMARY KEY NOT NULL, "bytes" bytea NOT NULL);--> statement-breakpoint
INSERT INTO "legacy_blob_bytes" ("sha256", "bytes") SELECT "sha256", "bytes" FROM "blobs";--> statement-breakpoint
DELETE FROM "blob_chunks";--> statement-breakpoint
ALTER TABLE "blob_chunks" DROP COLUMN "bytes";--> statement-breakpoint
ALTER TABLE "blobs" DROP COLUMN "bytes";
