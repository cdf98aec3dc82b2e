-- A deleted user's Segment profile and anonymous-id links go whatever case a sender wrote the
-- user's UUID in (src/identity/repository.ts forgetUsers reads them by lower(user_id)).
-- IF NOT EXISTS: each CREATE INDEX holds the table's writes (every identify and alias batch)
-- while it builds; on millions of users or anonymous ids, build them first without blocking
-- (CREATE INDEX CONCURRENTLY "identity_links_user_lower_idx" ON "identity_links" (lower("user_id"));
-- CREATE INDEX CONCURRENTLY "profiles_user_lower_idx" ON "profiles" (lower("user_id"));), then migrate.
CREATE INDEX IF NOT EXISTS "identity_links_user_lower_idx" ON "identity_links" USING btree (lower("user_id"));--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "profiles_user_lower_idx" ON "profiles" USING btree (lower("user_id"));