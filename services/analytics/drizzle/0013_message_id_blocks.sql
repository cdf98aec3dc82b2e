-- The dedup index becomes one row per writer pass (a block of 64-bit fingerprints) instead of a
-- unique-index row per id (src/ingestion/dedup.ts), and each queue row's claim outcome is kept
-- until the row is written (queue_claims). Ids claimed before stay claimed: a fingerprint is the
-- first 8 bytes of the SHA-256 the old key held 16 of.
CREATE TABLE "message_id_blocks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"fps" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
-- Hex digits of random bytes hardly compress: spare PostgreSQL the attempt.
ALTER TABLE "message_id_blocks" ALTER COLUMN "fps" SET STORAGE EXTERNAL;--> statement-breakpoint
CREATE INDEX "message_id_blocks_created_at_idx" ON "message_id_blocks" USING btree ("created_at");--> statement-breakpoint
CREATE TABLE "queue_claims" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"lost" integer[] NOT NULL,
	"handed" boolean DEFAULT true NOT NULL
);--> statement-breakpoint
-- Replicas of the previous version claim into message_ids until they stop (a rolling deploy):
-- nothing may be added to it between the copy below and the drop.
LOCK TABLE "message_ids" IN EXCLUSIVE MODE;--> statement-breakpoint
-- Queue rows the previous writer had claimed but not written (the store was down): the ids their
-- events own are theirs, the others of their keyed events lost to a copy. Without this they would
-- find their own ids taken and be dropped. A row counts as claimed only when every keyed event of
-- it is in message_ids (the old writer claimed a row's ids in one statement): a row not claimed
-- yet may hold a copy of an id another row took and ids nobody took, which the writer must claim
-- (recorded here, they would be written unclaimed and a later copy written again). `event` rows
-- with keys are replays of dead letters, whose events own their ids. A row whose text cannot be
-- read is left to the writer, which sets it aside.
DO $$
DECLARE
  r record;
  j jsonb;
BEGIN
  FOR r IN SELECT "seq", "kind", "item" FROM "queue"
           WHERE "kind" IN ('track', 'event')
             AND ("item" LIKE '%"client:%' OR "item" LIKE '%"segment:%') LOOP
    BEGIN
      j := r."item"::jsonb;
      INSERT INTO "queue_claims" ("seq", "lost")
      SELECT r."seq",
             coalesce(array_agg(k."index" ORDER BY k."index") FILTER (
               WHERE m."owner"::text IS DISTINCT FROM lower(k."owner")
             ), '{}')
      FROM (
        SELECT (e.i - 1)::int AS "index",
               CASE WHEN r."kind" = 'track' THEN e.ev ->> 4 ELSE e.ev ->> 'key' END AS "key",
               CASE WHEN r."kind" = 'track'
                 THEN left(j ->> 2, 33) || lpad(to_hex((e.i - 1)::int), 3, '0')
                 ELSE e.ev ->> 'id' END AS "owner"
        FROM jsonb_array_elements(CASE WHEN r."kind" = 'track' THEN j -> 3 ELSE j END)
          WITH ORDINALITY AS e(ev, i)
      ) AS k
      LEFT JOIN "message_ids" m
        ON m."hash" = encode(substring(sha256(convert_to(k."key", 'UTF8')) FROM 1 FOR 16), 'hex')::uuid
      WHERE k."key" IS NOT NULL
      HAVING count(*) > 0 AND count(m."hash") = count(*);
    EXCEPTION WHEN others THEN
      NULL;
    END;
  END LOOP;
END $$;--> statement-breakpoint
INSERT INTO "message_id_blocks" ("fps", "created_at")
SELECT string_agg(encode(substring(uuid_send("hash") FROM 1 FOR 8), 'hex'), '' ORDER BY "n"),
       max("received_at")
FROM (
  SELECT "hash", "received_at", row_number() OVER (ORDER BY "received_at", "hash") - 1 AS "n"
  FROM "message_ids"
) AS "claimed"
GROUP BY "n" / 5000
ORDER BY "n" / 5000;--> statement-breakpoint
DROP TABLE "message_ids";
