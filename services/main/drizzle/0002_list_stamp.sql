-- Anonymous list pages are cached in each replica (src/posts/list-cache.ts) for as long as this
-- number stays the same. Every statement that writes posts, post_tags (which tag filters walk)
-- or categories (whose names the pages show) bumps it inside its own transaction, so a reader
-- that sees the new number also sees the new rows, on every replica: the cache never serves a
-- page older than the stamp read before it was computed.
-- One row: concurrent writers of posts queue on it until they commit (writes already queue on
-- the tags they share); readers never wait.
CREATE TABLE "list_stamp" (
	"id" boolean PRIMARY KEY DEFAULT true NOT NULL,
	"value" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "list_stamp_one_row" CHECK ("id")
);--> statement-breakpoint
INSERT INTO "list_stamp" ("id", "value") VALUES (true, 0);--> statement-breakpoint
CREATE FUNCTION "bump_list_stamp"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE list_stamp SET value = value + 1;
  RETURN NULL;
END
$$;--> statement-breakpoint
CREATE TRIGGER "posts_bump_list_stamp" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "posts"
	FOR EACH STATEMENT EXECUTE FUNCTION "bump_list_stamp"();--> statement-breakpoint
CREATE TRIGGER "post_tags_bump_list_stamp" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "post_tags"
	FOR EACH STATEMENT EXECUTE FUNCTION "bump_list_stamp"();--> statement-breakpoint
CREATE TRIGGER "categories_bump_list_stamp" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "categories"
	FOR EACH STATEMENT EXECUTE FUNCTION "bump_list_stamp"();
