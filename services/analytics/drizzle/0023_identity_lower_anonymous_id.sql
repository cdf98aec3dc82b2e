-- A deleted user's id sent as an anonymous id and linked to another user goes with the deletion,
-- in whatever case it was sent (src/identity/repository.ts forgetUsers reads lower(anonymous_id)).
-- IF NOT EXISTS: CREATE INDEX holds the table's writes (every identify and alias batch) while it
-- builds; on millions of anonymous ids, build it first without blocking
-- (CREATE INDEX CONCURRENTLY "identity_links_anonymous_lower_idx" ON "identity_links" (lower("anonymous_id"));), then migrate.
CREATE INDEX IF NOT EXISTS "identity_links_anonymous_lower_idx" ON "identity_links" USING btree (lower("anonymous_id"));
