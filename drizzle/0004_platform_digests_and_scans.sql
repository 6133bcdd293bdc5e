ALTER TABLE "blobs" ADD COLUMN "sha1" text;--> statement-breakpoint
ALTER TABLE "blobs" ADD COLUMN "scanned_with" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "rollback_of" uuid;