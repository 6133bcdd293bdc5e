ALTER TABLE "blobs" ADD COLUMN "pack" uuid;--> statement-breakpoint
ALTER TABLE "blobs" ADD COLUMN "pack_offset" bigint;--> statement-breakpoint
CREATE INDEX "blobs_pack_idx" ON "blobs" USING btree ("pack") WHERE "blobs"."pack" is not null;