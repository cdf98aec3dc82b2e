ALTER TABLE "users" ADD COLUMN "email_first_verified_at" timestamp with time zone;--> statement-breakpoint
-- Accounts verified before this was recorded: when is unknown, so nothing of theirs counts as
-- added before it (a reset keeps their passkeys and second factor, as it did).
UPDATE "users" SET "email_first_verified_at" = "created_at" WHERE "email_verified";
