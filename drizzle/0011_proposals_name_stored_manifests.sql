-- A whole proposed manifest is now stored in "manifests" at negotiate, and the proposal names it by hash.
-- Proposals made before this change keep working: their files move to "manifests" first (a row read
-- from there is used only when its files hash to its name).
INSERT INTO "manifests" ("hash", "files", "created_at")
  SELECT DISTINCT ON ("manifest_hash") "manifest_hash", "files", "created_at" FROM "proposed_manifests"
  WHERE "files" IS NOT NULL AND "base_hash" IS NULL
  ORDER BY "manifest_hash", "created_at" DESC
  ON CONFLICT ("hash") DO NOTHING;--> statement-breakpoint
CREATE INDEX "proposed_manifests_manifest_hash_idx" ON "proposed_manifests" USING btree ("manifest_hash");--> statement-breakpoint
ALTER TABLE "proposed_manifests" DROP COLUMN "files";
