-- A pack row is kept only if the user's files still fit their quota, checked under a lock on their
-- storage row: uploads sent at once each passed the early check alone, and only what fits together is
-- kept. One round trip: in a function, each statement takes a snapshot of its own, so the check after
-- the lock sees what the previous holder of the lock added. Answers the bytes counted as held before
-- the pack, and whether it was kept.
CREATE FUNCTION insert_pack_within_quota(
  p_id uuid, p_user uuid, p_object text, p_entries bytea, p_bytes bigint, p_quota bigint, p_except_chunks_of text
) RETURNS TABLE (used bigint, kept boolean) LANGUAGE plpgsql AS $$
BEGIN
  -- Made if the user has none yet, and locked either way (an upsert locks the row it meets).
  INSERT INTO user_storage (user_id) VALUES (p_user) ON CONFLICT (user_id) DO UPDATE SET bytes = user_storage.bytes;
  SELECT s.bytes + (SELECT coalesce(sum(c.size), 0) FROM blob_chunks c WHERE c.user_id = p_user AND c.sha256 <> p_except_chunks_of)
    INTO used FROM user_storage s WHERE s.user_id = p_user;
  kept := p_bytes <= 0 OR used + p_bytes <= p_quota;
  IF kept THEN
    INSERT INTO packs (id, user_id, object, entries, bytes) VALUES (p_id, p_user, p_object, p_entries, p_bytes);
  END IF;
  RETURN NEXT;
END $$;
