ALTER TABLE "queue" ALTER COLUMN "item" SET DATA TYPE text;--> statement-breakpoint
-- Rows live for a moment: neither parsing them as JSON nor compressing them is worth PostgreSQL's time.
ALTER TABLE "queue" ALTER COLUMN "item" SET STORAGE EXTERNAL;
