-- IF NOT EXISTS: on an outbox of millions of rows, build it first without blocking writes
-- (CREATE INDEX CONCURRENTLY "outbox_published_idx" ON "outbox" ("published_at") WHERE published_at is not null;), then migrate.
CREATE INDEX IF NOT EXISTS "outbox_published_idx" ON "outbox" USING btree ("published_at") WHERE published_at is not null;
