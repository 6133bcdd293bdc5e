-- The files a user holds are counted beside their bytes: each is a 60-byte entry of a pack row
-- whatever its size, so tiny files must not be free. Kept by the same triggers as the bytes.
ALTER TABLE "user_storage" ADD COLUMN "files" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE OR REPLACE FUNCTION packs_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO user_storage (user_id, bytes, files)
    SELECT a.user_id, sum(a.bytes), sum(octet_length(a.entries) / 60) FROM added a GROUP BY a.user_id ORDER BY a.user_id
  ON CONFLICT (user_id) DO UPDATE SET bytes = user_storage.bytes + excluded.bytes, files = user_storage.files + excluded.files;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION packs_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE user_storage s SET bytes = s.bytes - r.bytes, files = s.files - r.files
    FROM (SELECT o.user_id, sum(o.bytes) AS bytes, sum(octet_length(o.entries) / 60) AS files FROM removed o GROUP BY o.user_id) r
    WHERE s.user_id = r.user_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
UPDATE user_storage s SET files = coalesce((SELECT sum(octet_length(p.entries) / 60) FROM packs p WHERE p.user_id = s.user_id), 0);
--> statement-breakpoint
-- A pack row is kept only if the user's files still fit their quota (bytes and files), checked under a
-- lock on their storage row: uploads sent at once each passed the early check alone, and only what fits
-- together is kept. One round trip: in a function, each statement takes a snapshot of its own, so the
-- check after the lock sees what the previous holder of the lock added. Answers what was counted as
-- held before the pack, and whether it was kept.
CREATE FUNCTION insert_pack_within_quota(
  p_id uuid, p_user uuid, p_object text, p_entries bytea, p_bytes bigint, p_max_bytes bigint, p_max_files bigint, p_except_chunks_of text
) RETURNS TABLE (used bigint, files bigint, kept boolean) LANGUAGE plpgsql AS $$
BEGIN
  -- Made if the user has none yet, and locked either way (an upsert locks the row it meets).
  INSERT INTO user_storage (user_id) VALUES (p_user) ON CONFLICT (user_id) DO UPDATE SET bytes = user_storage.bytes;
  SELECT s.bytes + (SELECT coalesce(sum(c.size), 0) FROM blob_chunks c WHERE c.user_id = p_user AND c.sha256 <> p_except_chunks_of), s.files
    INTO used, files FROM user_storage s WHERE s.user_id = p_user;
  kept := (p_bytes <= 0 OR used + p_bytes <= p_max_bytes) AND files + octet_length(p_entries) / 60 <= p_max_files;
  IF kept THEN
    INSERT INTO packs (id, user_id, object, entries, bytes) VALUES (p_id, p_user, p_object, p_entries, p_bytes);
  END IF;
  RETURN NEXT;
END $$;
