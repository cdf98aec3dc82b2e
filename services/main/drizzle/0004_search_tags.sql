-- Ranked search with a tag at 1M posts (docs/performance.md). A tag with q is also checked on
-- posts.tags, which the writing transaction keeps equal to the post's post_tags rows; with the
-- tags in the tsvector's GIN index the planner can read the posts holding a rare word and the
-- tag straight from it, instead of walking every post of the tag. The hash index halves the
-- pages of each by-id fetch when it walks post_tags for a common word.
-- Both indexes are built in the migration: minutes on a table of millions of posts.
DROP INDEX "posts_search_idx";--> statement-breakpoint
CREATE INDEX "posts_id_hash_idx" ON "posts" USING hash ("id");--> statement-breakpoint
CREATE INDEX "posts_search_idx" ON "posts" USING gin ("search","tags");