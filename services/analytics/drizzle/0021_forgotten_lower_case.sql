-- Users being forgotten at the upgrade (src/ingestion/forget.ts). Their ids in lower case, as
-- deletions are now noted and as the table's lookups ask (a profile's, the destinations' at send
-- time): a row noted before as its event spelled the id went unfound. A user noted in two cases
-- keeps the later deletion's row (its grace time and queue number cover the other's).
DELETE FROM "forgotten_users" AS f USING "forgotten_users" AS g
WHERE lower(g."user_id") = lower(f."user_id") AND g."user_id" <> f."user_id"
  AND (g."forgotten_at", g."user_id") > (f."forgotten_at", f."user_id");--> statement-breakpoint
-- And a pass over everything stored at the next tick, one for them all: the passes before matched
-- an event's or a sample's own user_id only as written, and a later pass reads only what was
-- written since the last one's mark, so a user_id stored upper-cased before would have stayed.
UPDATE "forgotten_users" SET "user_id" = lower("user_id"), "pass_mark" = NULL, "last_pass_at" = NULL;