-- A deleted user's Segment profile and anonymous-id links go whatever case a sender wrote the
-- user's UUID in (src/identity/repository.ts forgetUsers reads them by lower(user_id)).
CREATE INDEX "identity_links_user_lower_idx" ON "identity_links" USING btree (lower("user_id"));--> statement-breakpoint
CREATE INDEX "profiles_user_lower_idx" ON "profiles" USING btree (lower("user_id"));