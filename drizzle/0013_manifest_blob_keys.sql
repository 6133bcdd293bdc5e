-- The cleanup's index of the blobs a manifest names keys each file by the first 64 bits of its hash (a
-- bigint) instead of the 64-character hex text: after VACUUM merged its pending list, the text index
-- took ~1.4 MB for a 5,000-file manifest. A shared 64-bit prefix would only keep a blob longer.
-- manifest_blob_hashes (0010) stays: a server of the previous version, still running while this
-- migration has already run (`db:migrate` before the new build goes live), calls it in its cleanup.
CREATE FUNCTION manifest_blob_keys(files text) RETURNS bigint[] LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$ SELECT coalesce(array_agg(('x' || left(line, 16))::bit(64)::bigint), '{}') FROM string_to_table(files, E'\n') AS line WHERE line <> '' $$;
--> statement-breakpoint
DROP INDEX "manifests_blob_hashes_idx";--> statement-breakpoint
CREATE INDEX "manifests_blob_keys_idx" ON "manifests" USING gin (manifest_blob_keys("files"));
