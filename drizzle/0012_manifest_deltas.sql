-- A redeploy's manifest may be stored as a delta of a whole one: the lines that differ, the paths removed,
-- and the whole manifest it is a delta of (kept while a delta names it).
ALTER TABLE "manifests" ADD COLUMN "base_hash" text;--> statement-breakpoint
ALTER TABLE "manifests" ADD COLUMN "removed" text;--> statement-breakpoint
ALTER TABLE "manifests" ADD CONSTRAINT "manifests_base_hash_manifests_hash_fk" FOREIGN KEY ("base_hash") REFERENCES "public"."manifests"("hash") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "manifests_base_hash_idx" ON "manifests" USING btree ("base_hash") WHERE "manifests"."base_hash" is not null;
