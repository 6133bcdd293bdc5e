-- The pack cleanup goes through a bounded batch of users per run, those it went through longest ago
-- first: a user whose old packs stay live (deployed) would otherwise come first every run.
ALTER TABLE "user_storage" ADD COLUMN "packs_checked_at" timestamp with time zone;