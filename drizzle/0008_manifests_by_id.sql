CREATE TABLE "proposed_manifests" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"user_id" uuid NOT NULL,
	"files" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "manifest_hash" text;--> statement-breakpoint
ALTER TABLE "proposed_manifests" ADD CONSTRAINT "proposed_manifests_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "proposed_manifests_user_idx" ON "proposed_manifests" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "proposed_manifests_expires_idx" ON "proposed_manifests" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "deployments_manifest_hash_idx" ON "deployments" USING btree ("user_id","manifest_hash");