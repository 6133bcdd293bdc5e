-- A manifest's lines move to the object store (`object`): a 5,000-file manifest is ~440 KB that PostgreSQL
-- kept for as long as a deployment named it, plus the cleanup's GIN index of its hashes (the cleanup now
-- reads each user's deployed manifests instead: cleanup-blobs.ts). An older install's rows keep their
-- lines in `files` until `npm run blobs:migrate` moves them.
DROP INDEX "manifests_blob_keys_idx";--> statement-breakpoint
DROP FUNCTION IF EXISTS manifest_blob_keys(text);--> statement-breakpoint
DROP FUNCTION IF EXISTS manifest_blob_hashes(text);--> statement-breakpoint
ALTER TABLE "manifests" ALTER COLUMN "files" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "manifests" ADD COLUMN "object" text;
