-- A deployment's files become a manifest stored once by content (manifests), named by its hash.
CREATE TABLE "manifests" (
	"hash" text PRIMARY KEY NOT NULL,
	"files" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- The blobs a manifest names (the first 64 characters of each line), for the cleanup's GIN index
-- (which keeps each key once: a blob named twice needs no DISTINCT here).
CREATE FUNCTION manifest_blob_hashes(files text) RETURNS text[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT coalesce(array_agg(left(line, 64)), '{}') FROM string_to_table(files, E'\n') AS line WHERE line <> '' $$;
--> statement-breakpoint
-- Each deployment's rows become its manifest; the hash is that of src/lib/manifest.ts (lines
-- `path \0 sha256 \0 size \n` in the byte order of the paths).
CREATE TEMPORARY TABLE "deployment_manifests" ON COMMIT DROP AS
SELECT "deployment_id",
	encode(sha256(string_agg(convert_to("path", 'UTF8') || '\x00'::bytea || convert_to("sha256", 'UTF8') || '\x00'::bytea || convert_to("size"::text, 'UTF8') || '\x0a'::bytea, ''::bytea ORDER BY convert_to("path", 'UTF8'))), 'hex') AS "hash",
	string_agg("sha256" || E'\t' || "size"::text || E'\t' || "path" || E'\n', '' ORDER BY convert_to("path", 'UTF8')) AS "files"
FROM "deployment_files" GROUP BY "deployment_id";
--> statement-breakpoint
INSERT INTO "manifests" ("hash", "files") SELECT DISTINCT ON ("hash") "hash", "files" FROM "deployment_manifests";
--> statement-breakpoint
UPDATE "deployments" SET "manifest_hash" = m."hash" FROM "deployment_manifests" m WHERE m."deployment_id" = "deployments"."id";
--> statement-breakpoint
UPDATE "deployments" SET "manifest_hash" = NULL WHERE "manifest_hash" IS NOT NULL AND "manifest_hash" NOT IN (SELECT "hash" FROM "manifests");
--> statement-breakpoint
DROP TABLE "deployment_files" CASCADE;--> statement-breakpoint
-- Proposals live an hour: those in flight are dropped (their clients negotiate again).
DELETE FROM "proposed_manifests";--> statement-breakpoint
ALTER TABLE "proposed_manifests" DROP COLUMN "files";--> statement-breakpoint
ALTER TABLE "proposed_manifests" ADD COLUMN "manifest_hash" text NOT NULL;--> statement-breakpoint
ALTER TABLE "proposed_manifests" ADD COLUMN "platform" text NOT NULL;--> statement-breakpoint
ALTER TABLE "proposed_manifests" ADD COLUMN "files" text;--> statement-breakpoint
ALTER TABLE "proposed_manifests" ADD COLUMN "base_hash" text;--> statement-breakpoint
ALTER TABLE "proposed_manifests" ADD COLUMN "changes" jsonb;--> statement-breakpoint
ALTER TABLE "proposed_manifests" ADD COLUMN "recheck" text[];--> statement-breakpoint
DROP INDEX "deployments_manifest_hash_idx";--> statement-breakpoint
CREATE INDEX "deployments_manifest_hash_idx" ON "deployments" USING btree ("manifest_hash","user_id");--> statement-breakpoint
CREATE INDEX "manifests_blob_hashes_idx" ON "manifests" USING gin (manifest_blob_hashes("files"));--> statement-breakpoint
ALTER TABLE "deployments" ADD CONSTRAINT "deployments_manifest_hash_manifests_hash_fk" FOREIGN KEY ("manifest_hash") REFERENCES "public"."manifests"("hash") ON DELETE no action ON UPDATE no action;
