-- Tags no post uses any more (no draft, no published post) are deleted by the write that stops
-- using them (src/posts/repository.ts syncTags); this clears those left by earlier versions,
-- which kept every tag ever used. The lock makes writers of tags wait until this commits: one
-- that already wrote its tags has committed before the delete looks at post_tags, one that has
-- not yet creates its tag again after it.
LOCK TABLE "tags" IN SHARE ROW EXCLUSIVE MODE;--> statement-breakpoint
DELETE FROM "tags" t WHERE NOT EXISTS (SELECT 1 FROM "post_tags" p WHERE p."tag" = t."slug");
