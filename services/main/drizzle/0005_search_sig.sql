-- q with a common word and a tag (docs/performance.md): the tag walk fetched every post of the
-- tag it passed (~2,800 for a ranked window of 500) to test the word. Each post_tags row now
-- carries a 512-bit signature of the post's lexemes (three bits per lexeme, from its hash), in
-- post_tags_list_idx, so the walk fetches only the posts whose signature holds every bit of the
-- query's required lexemes: the matches and ~6 % of the others (at the seed's ~77 lexemes a
-- post). The signature only skips posts that cannot match; `search @@ q` is still checked on
-- every post fetched.
CREATE FUNCTION "search_sig"("lexemes" text[]) RETURNS bit(512)
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN (SELECT coalesce(bit_or(set_bit(set_bit(set_bit(B'0'::bit(512),
		(h & 511)::int, 1), ((h >> 9) & 511)::int, 1), ((h >> 18) & 511)::int, 1)), B'0'::bit(512))
	FROM unnest("lexemes") l, hashtextextended(l, 0) h);--> statement-breakpoint
-- The lexemes every match of the query holds: those of its top-level AND terms that are plain
-- words or phrases. An OR at the top, a negation or a group, or a prefix adds nothing, so a query
-- of only those has the empty signature, which every post holds (it is walked as before).
CREATE FUNCTION "search_query_sig"("query" tsquery) RETURNS bit(512)
	LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
DECLARE
	token text;
	depth int := 0;
	plain boolean := true;
	term text[] := '{}';
	required text[] := '{}';
	flags text;
BEGIN
	FOR token IN
		SELECT m[1] FROM regexp_matches("query"::text,
			$re$('(?:[^'\\]|''|\\.)*'(?::[*A-D]+)?|<[0-9-]+>|[&|!()])$re$, 'g') m
	LOOP
		IF token = '(' THEN
			depth := depth + 1;
			plain := false;
		ELSIF token = ')' THEN
			depth := depth - 1;
		ELSIF depth = 0 AND token = '|' THEN
			RETURN search_sig('{}'::text[]);
		ELSIF depth = 0 AND token = '&' THEN
			IF plain THEN required := required || term; END IF;
			term := '{}';
			plain := true;
		ELSIF token IN ('!', '|', '&') THEN
			plain := false;
		ELSIF left(token, 1) = '''' THEN
			flags := substring(token FROM $re$'(:[*A-D]+)\Z$re$);
			IF flags LIKE '%*%' THEN
				-- A prefix: which lexeme it matches is unknown.
				CONTINUE;
			END IF;
			token := substring(token FROM 2 FOR length(token) - 2 - coalesce(length(flags), 0));
			term := term || regexp_replace(replace(token, '''''', ''''), '\\(.)', '\1', 'g');
		END IF;
	END LOOP;
	IF plain THEN required := required || term; END IF;
	RETURN search_sig(required);
END
$fn$;--> statement-breakpoint
-- The signatures are computed once per post, in one pass over posts, then written by rewriting
-- post_tags once (no dead row per tag use, no index grown by them). ALTER TABLE locks post_tags
-- until the migration commits: tag lists and writes of posts wait for it (docs/performance.md).
-- Writes of post_tags wait from here already: a post the running version writes while the
-- signatures are computed would keep the signature of its old text, or have none and fail the
-- migration. Any post write that commits later writes post_tags after this: it waits.
LOCK TABLE "post_tags" IN SHARE ROW EXCLUSIVE MODE;--> statement-breakpoint
CREATE TEMPORARY TABLE "post_sigs" ON COMMIT DROP AS
	SELECT p.id, search_sig(tsvector_to_array(p.search)) AS sig FROM posts p
	WHERE p.id IN (SELECT post_id FROM post_tags);--> statement-breakpoint
CREATE UNIQUE INDEX ON "post_sigs" (id);--> statement-breakpoint
ANALYZE "post_sigs";--> statement-breakpoint
CREATE FUNCTION pg_temp.post_sig(post uuid) RETURNS bit(512) LANGUAGE sql STABLE
	RETURN (SELECT s.sig FROM post_sigs s WHERE s.id = post);--> statement-breakpoint
DROP INDEX "post_tags_list_idx";--> statement-breakpoint
ALTER TABLE "post_tags" ADD COLUMN "search_sig" bit(512);--> statement-breakpoint
ALTER TABLE "post_tags" ALTER COLUMN "search_sig" SET DATA TYPE bit(512) USING pg_temp.post_sig(post_id),
	ALTER COLUMN "search_sig" SET NOT NULL;--> statement-breakpoint
-- A row written without its signature (the previous version during a rollout, a hand-written
-- insert) holds every bit: never skipped, only not sped up. A wrong signature hides the post.
ALTER TABLE "post_tags" ALTER COLUMN "search_sig" SET DEFAULT ~(B'0'::bit(512));--> statement-breakpoint
CREATE INDEX "post_tags_list_idx" ON "post_tags" USING btree ("tag","status","published_sort","post_id","search_sig");--> statement-breakpoint
-- A walk of post_tags reads a few hundred posts and stops: parallel workers cost more to start
-- than they save (the walk above: 3.2 ms serial, at best 11 ms with two workers at rest, 27 ms
-- p50 beside other work; docs/performance.md). Every read of post_tags is such a walk.
ALTER TABLE "post_tags" SET (parallel_workers = 0);
