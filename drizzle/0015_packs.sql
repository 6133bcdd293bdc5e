-- What users hold moves from a row per file (blobs, user_blobs: 400–800 bytes each with their index
-- keys, ~10 % of the bytes a site deploys) to a row per stored object (a pack of one upload request's
-- small files, or a large file): `entries` lists its files, 60 bytes each (SHA-256, SHA-1, offset and
-- size). Each (user, object) the old rows named becomes one pack row; the objects stay where they are.
-- Scan passes are not carried over: they are a cache, and a file is scanned again when next deployed.
CREATE TABLE "packs" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"object" text NOT NULL,
	"entries" bytea NOT NULL,
	"bytes" bigint NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "pack_scans" (
	"pack" uuid NOT NULL,
	"mark" text NOT NULL,
	"passed" bit varying NOT NULL,
	CONSTRAINT "pack_scans_pack_mark_pk" PRIMARY KEY("pack","mark")
);
--> statement-breakpoint
ALTER TABLE "pack_scans" ADD CONSTRAINT "pack_scans_pack_packs_id_fk" FOREIGN KEY ("pack") REFERENCES "public"."packs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "packs" ADD CONSTRAINT "packs_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "packs_user_idx" ON "packs" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "packs_object_idx" ON "packs" USING btree ("object");--> statement-breakpoint
-- Writers of the old tables wait for this migration (the lock), then fail on the dropped tables.
LOCK TABLE "blobs", "user_blobs" IN SHARE ROW EXCLUSIVE MODE;--> statement-breakpoint
INSERT INTO "packs" ("id", "user_id", "object", "entries", "bytes", "created_at")
  SELECT gen_random_uuid(), h.user_id, h.object,
    string_agg(
      decode(h.sha256, 'hex') || coalesce(decode(h.sha1, 'hex'), '\x0000000000000000000000000000000000000000'::bytea)
        || int4send(h.pack_offset::int) || int4send(h.size::int),
      ''::bytea ORDER BY h.pack_offset),
    sum(h.size), max(h.created_at)
  FROM (
    SELECT DISTINCT ON (ub.user_id, b.sha256) ub.user_id, b.sha256, b.sha1, b.size, coalesce(b.pack_offset, 0) AS pack_offset, greatest(ub.created_at, b.created_at) AS created_at,
      CASE WHEN b.pack IS NULL THEN 'blobs/' || substr(b.sha256, 1, 2) || '/' || substr(b.sha256, 3, 2) || '/' || b.sha256 ELSE 'packs/' || b.pack END AS object
    FROM (
      -- What each user holds, and what their projects and deployments name (the old cleanup kept a
      -- blob a deployment or project named even when nobody held it any more): all theirs from now on.
      SELECT ub.user_id, ub.sha256, ub.created_at FROM "user_blobs" ub
      UNION ALL SELECT p.user_id, pf.sha256, now() FROM "project_files" pf JOIN "projects" p ON p.id = pf.project_id
      UNION ALL SELECT d.user_id, n.sha256, now() FROM "deployments" d
        JOIN "manifests" m ON m.hash = d.manifest_hash
        LEFT JOIN "manifests" base ON base.hash = m.base_hash
        CROSS JOIN LATERAL unnest(manifest_blob_hashes(m.files) || coalesce(manifest_blob_hashes(base.files), '{}')) AS n(sha256)
    ) ub JOIN "blobs" b ON b.sha256 = ub.sha256
    ORDER BY ub.user_id, b.sha256, ub.created_at
  ) h
  GROUP BY h.user_id, h.object;--> statement-breakpoint
DROP TRIGGER "user_blobs_added" ON "user_blobs";--> statement-breakpoint
DROP TRIGGER "user_blobs_removed" ON "user_blobs";--> statement-breakpoint
DROP FUNCTION "user_storage_added"();--> statement-breakpoint
DROP FUNCTION "user_storage_removed"();--> statement-breakpoint
DROP TABLE "user_blobs";--> statement-breakpoint
DROP TABLE "blobs";--> statement-breakpoint
CREATE FUNCTION packs_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_storage (user_id, bytes)
    SELECT a.user_id, sum(a.bytes) FROM added a GROUP BY a.user_id ORDER BY a.user_id
  ON CONFLICT (user_id) DO UPDATE SET bytes = user_storage.bytes + excluded.bytes;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION packs_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_storage s SET bytes = s.bytes - r.bytes
    FROM (SELECT o.user_id, sum(o.bytes) AS bytes FROM removed o GROUP BY o.user_id) r
    WHERE s.user_id = r.user_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER packs_added AFTER INSERT ON packs REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION packs_added();
--> statement-breakpoint
CREATE TRIGGER packs_removed AFTER DELETE ON packs REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION packs_removed();
--> statement-breakpoint
INSERT INTO user_storage (user_id, bytes)
  SELECT p.user_id, sum(p.bytes) FROM packs p GROUP BY p.user_id
ON CONFLICT (user_id) DO UPDATE SET bytes = excluded.bytes;--> statement-breakpoint
UPDATE user_storage s SET bytes = 0 WHERE NOT EXISTS (SELECT 1 FROM packs p WHERE p.user_id = s.user_id);
