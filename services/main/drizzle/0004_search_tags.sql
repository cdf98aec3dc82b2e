-- q with a tag at 1M posts (docs/performance.md). posts_search_idx becomes one GIN index over
-- the tsvector and the tags, so a rare word's posts holding the tag are read from it alone
-- (posts/list-query.ts walkTag); the hash index halves the pages of each by-id fetch when a
-- common word walks post_tags instead. Built before the old index is dropped: CREATE INDEX
-- blocks writes to posts while it runs (about a minute per million posts), not reads; the
-- DROP's exclusive lock is held only from the end of the migration to its commit.
CREATE INDEX "posts_search_tags_idx" ON "posts" USING gin ("search","tags");--> statement-breakpoint
CREATE INDEX "posts_id_hash_idx" ON "posts" USING hash ("id");--> statement-breakpoint
DROP INDEX "posts_search_idx";
