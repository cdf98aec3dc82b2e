DROP INDEX "outbox_unpublished_idx";--> statement-breakpoint
CREATE INDEX "outbox_unpublished_idx" ON "outbox" USING btree ("id") WHERE published_at is null and set_aside_at is null;