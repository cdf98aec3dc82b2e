ALTER TABLE "write_keys" ADD COLUMN "kind" text DEFAULT 'server' NOT NULL;--> statement-breakpoint
ALTER TABLE "write_keys" ADD COLUMN "origins" text[] DEFAULT '{}'::text[] NOT NULL;