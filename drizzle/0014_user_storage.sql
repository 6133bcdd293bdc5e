-- The bytes each user holds, kept by statement triggers on user_blobs: the storage quota is checked on
-- every upload request, and summing the user's files there (a join of every row they hold) grew with
-- everything they ever uploaded. A held blob is never removed (the cleanup collects only blobs nobody
-- holds), so a removed holding still finds its blob's size.
CREATE TABLE "user_storage" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"bytes" bigint DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "user_storage" ADD CONSTRAINT "user_storage_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;
--> statement-breakpoint
CREATE FUNCTION user_storage_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_storage (user_id, bytes)
    SELECT a.user_id, sum(b.size) FROM added a JOIN blobs b ON b.sha256 = a.sha256 GROUP BY a.user_id ORDER BY a.user_id
  ON CONFLICT (user_id) DO UPDATE SET bytes = user_storage.bytes + excluded.bytes;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION user_storage_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_storage s SET bytes = s.bytes - r.bytes
    FROM (SELECT o.user_id, sum(b.size) AS bytes FROM removed o JOIN blobs b ON b.sha256 = o.sha256 GROUP BY o.user_id) r
    WHERE s.user_id = r.user_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- The triggers first: creating them waits for writes to user_blobs in flight and holds off new ones
-- until this migration commits, so the sum below misses none and counts none twice.
CREATE TRIGGER user_blobs_added AFTER INSERT ON user_blobs REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION user_storage_added();
--> statement-breakpoint
CREATE TRIGGER user_blobs_removed AFTER DELETE ON user_blobs REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION user_storage_removed();
--> statement-breakpoint
INSERT INTO user_storage (user_id, bytes)
  SELECT ub.user_id, sum(b.size) FROM user_blobs ub JOIN blobs b ON b.sha256 = ub.sha256 GROUP BY ub.user_id
ON CONFLICT (user_id) DO UPDATE SET bytes = excluded.bytes;
