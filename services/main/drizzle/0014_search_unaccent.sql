-- q folds accents as it folds case: "creme" finds "Crème" and "crème" finds "Creme" (PostgreSQL's
-- own recipe, docs/main.md). posts_search is English with the unaccent dictionary in front of the
-- stemmer for the words with letters beyond ASCII (word, hword, hword_part; the ASCII ones have
-- no accent to fold), and in front of simple for those with digits, so a post's search vector
-- and a query (posts/list-query.ts SEARCH_CONFIG) both hold "creme". unaccent is a trusted extension (PostgreSQL 13+): the database's owner may
-- create it, as the service's role is in every setup (deploy/postgres/init.sh, the launcher).
CREATE EXTENSION IF NOT EXISTS "unaccent";--> statement-breakpoint
CREATE TEXT SEARCH CONFIGURATION "posts_search" (COPY = pg_catalog.english);--> statement-breakpoint
ALTER TEXT SEARCH CONFIGURATION "posts_search"
	ALTER MAPPING FOR hword, hword_part, word WITH "unaccent", english_stem;--> statement-breakpoint
-- Words with digits (Pokémon2, Crème-10 and its part "10") are english's simple lexemes, not
-- stemmed: folded too, or q=pokemon2 missed "Pokémon2".
ALTER TEXT SEARCH CONFIGURATION "posts_search"
	ALTER MAPPING FOR numword, numhword, hword_numpart WITH "unaccent", simple;--> statement-breakpoint
-- posts and post_tags are both rewritten below, so both are locked, first of all and in the order
-- a list with a tag reads them (post_tags, then posts; posts/list-query.ts). Taken in the other
-- order (the ALTER TABLE of posts first), a tag list arriving meanwhile held post_tags while it
-- queued for posts, and the rewrite of post_tags then waited for it: a deadlock that failed the
-- read (a 500) or the migration. posts is waited for at most 200 ms while post_tags is held (less
-- than deadlock_timeout, so a writer of posts waiting for post_tags is never taken for a deadlock),
-- then both are let go and tried again: a write under way finishes, its post_tags rows with it.
DO $$
DECLARE
	previous text := current_setting('lock_timeout');
BEGIN
	LOOP
		BEGIN
			LOCK TABLE "post_tags" IN ACCESS EXCLUSIVE MODE;
			PERFORM set_config('lock_timeout', '200ms', true);
			LOCK TABLE "posts" IN ACCESS EXCLUSIVE MODE;
			PERFORM set_config('lock_timeout', previous, true);
			EXIT;
		EXCEPTION WHEN lock_not_available THEN
			PERFORM pg_sleep(0.02 + random() * 0.08);
		END;
	END LOOP;
END
$$;--> statement-breakpoint
-- Every post's vector is rebuilt: a generated column's expression is replaced by dropping and
-- adding it (ALTER COLUMN ... SET EXPRESSION needs PostgreSQL 17; the column is rebuilt the same
-- way). One rewrite of posts, its indexes rebuilt with it, the column kept in the row (0001).
-- Reads and writes of posts wait until the migration commits (the locks above). The whole
-- migration took 26 s at 100,000 posts (docs/main.md).
ALTER TABLE "posts" DROP COLUMN "search",
	ADD COLUMN "search" tsvector GENERATED ALWAYS AS (setweight(to_tsvector('posts_search'::regconfig, title), 'A') || setweight(to_tsvector('posts_search'::regconfig, body), 'B')) STORED NOT NULL,
	ALTER COLUMN "search" SET STORAGE MAIN;--> statement-breakpoint
-- Dropped with the old column (0004).
CREATE INDEX "posts_search_tags_idx" ON "posts" USING gin ("search","tags");--> statement-breakpoint
-- post_tags' lexeme signatures (0005) are of the old vectors: a post whose words had accents
-- would be skipped by a tag walk for them. Recomputed once per post, then written by rewriting
-- post_tags once, as 0005 did. No post can be written meanwhile (posts is locked above). Names
-- of their own: a fresh database runs 0005 in the same transaction, its temporary ones still there.
CREATE TEMPORARY TABLE "post_sigs_0014" ON COMMIT DROP AS
	SELECT p.id, search_sig(tsvector_to_array(p.search)) AS sig FROM posts p
	WHERE p.id IN (SELECT post_id FROM post_tags);--> statement-breakpoint
CREATE UNIQUE INDEX ON "post_sigs_0014" (id);--> statement-breakpoint
ANALYZE "post_sigs_0014";--> statement-breakpoint
CREATE FUNCTION pg_temp.post_sig_0014(post uuid) RETURNS bit(512) LANGUAGE sql STABLE
	RETURN (SELECT s.sig FROM post_sigs_0014 s WHERE s.id = post);--> statement-breakpoint
ALTER TABLE "post_tags" ALTER COLUMN "search_sig" SET DATA TYPE bit(512) USING pg_temp.post_sig_0014(post_id);--> statement-breakpoint
-- Neither rewrite fires the list stamp's triggers (0002), yet q now finds other posts: cached list
-- pages (each replica's, the gateway's) are dropped as after any write.
UPDATE "list_stamp" SET "value" = "value" + 1;--> statement-breakpoint
SELECT pg_notify('list_stamp', "value"::text) FROM "list_stamp";
