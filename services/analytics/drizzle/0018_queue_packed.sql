-- Queue rows are stored Brotli-compressed by the service (src/ingestion/queue.ts packRow): a
-- 500-event /track-event row of ~43 KB of text becomes ~7 KB. Rows queued before stay text and
-- drain as they are; exactly one of the two is set.
ALTER TABLE "queue" ALTER COLUMN "item" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "queue" ADD COLUMN "packed" "bytea";--> statement-breakpoint
-- Already compressed: PostgreSQL's own compression would only spend time finding that out.
ALTER TABLE "queue" ALTER COLUMN "packed" SET STORAGE EXTERNAL;--> statement-breakpoint
-- A row up to a heap page (8160 bytes, the most allowed) stays in it, whole: no TOAST chunks to
-- insert, index, WAL-log and delete again (the default moves anything past ~2 KB out of line).
ALTER TABLE "queue" SET (toast_tuple_target = 8160);--> statement-breakpoint
ALTER TABLE "queue" ADD CONSTRAINT "queue_item_or_packed" CHECK (num_nonnulls("queue"."item", "queue"."packed") = 1);--> statement-breakpoint
-- Nothing sets next_attempt_at after the insert, and a row now fills a heap page: through this
-- index the planner could fetch every due row (and every row deleted since the last vacuum) and
-- sort them, where the writer wants the first few by seq, which the primary key walks to.
DROP INDEX "queue_due_idx";
