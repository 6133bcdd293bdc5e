ALTER TABLE "deployments" ADD COLUMN "lease_owner" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "lease_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "step" text DEFAULT 'queued' NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "progress" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "checkpoint" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "deadline_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "error_code" text;--> statement-breakpoint
ALTER TABLE "deployments" ADD COLUMN "finished_at" timestamp with time zone;--> statement-breakpoint
CREATE INDEX "deployments_site_idx" ON "deployments" USING btree ("site_id","created_at");