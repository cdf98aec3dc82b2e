-- Forgetting a deleted user reads the whole of events once (an id may sit anywhere in the
-- properties); the passes after it, for events still arriving, read only the rows written since
-- (src/ingestion/forget.ts). A row's writing transaction (xid8: 64 bits, never wraps) tells them
-- apart exactly, whatever order the writer's retries put the seqs in. Rows already stored get 0:
-- older than any pass. A constant default adds the column without rewriting the table.
ALTER TABLE "events" ADD COLUMN "write_xid" xid8 DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "events" ALTER COLUMN "write_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "events_write_xid_idx" ON "events" USING btree ("write_xid");--> statement-breakpoint
ALTER TABLE "samples" ADD COLUMN "write_xid" xid8 DEFAULT '0' NOT NULL;--> statement-breakpoint
ALTER TABLE "samples" ALTER COLUMN "write_xid" SET DEFAULT pg_current_xact_id();--> statement-breakpoint
CREATE INDEX "samples_write_xid_idx" ON "samples" USING btree ("write_xid");--> statement-breakpoint
ALTER TABLE "forgotten_users" ADD COLUMN "pass_mark" text;
