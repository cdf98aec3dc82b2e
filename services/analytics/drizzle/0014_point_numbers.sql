-- Each queue row gets the point number of its first item (its others follow): the sub-millisecond
-- digits of its InfluxDB points (src/ingestion/point-numbers.ts). Numbers are dense across rows,
-- so two events of one series and millisecond are one point only about a million numbers apart
-- (before: 1000 queue rows apart). A process reserves them in blocks of the sequence's increment;
-- rows queued before (and by replicas of the previous version during a rolling deploy) keep a
-- null base, and their items' seq stands in, as before. A nullable column is added without
-- rewriting the table.
CREATE SEQUENCE "queue_point_blocks" INCREMENT BY 65536 MINVALUE 0 MAXVALUE 9223372036854775807 START WITH 0 CACHE 1;--> statement-breakpoint
ALTER TABLE "queue" ADD COLUMN "point_base" bigint;