-- A ranked search reads the tsvector of a few thousand rows per page (posts/rank-query.ts). Kept
-- in the row, uncompressed, instead of in the TOAST table, each costs one page instead of three
-- or four and no decompression. Rows written before this keep their layout until rewritten
-- (VACUUM FULL posts).
ALTER TABLE "posts" SET (toast_tuple_target = 8160);--> statement-breakpoint
ALTER TABLE "posts" ALTER COLUMN "search" SET STORAGE MAIN;
