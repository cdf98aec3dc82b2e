-- The dedup index becomes one row per claim (a block of 64-bit fingerprints and their owners)
-- instead of a unique-index row per id (src/ingestion/dedup.ts). Ids claimed before stay
-- claimed: a fingerprint is the first 8 bytes of the SHA-256 the old key held 16 of, and blocks
-- of 5000 keep each id's owner (the nil UUID where it had none) and its time.
CREATE TABLE "message_id_blocks" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"fps" text NOT NULL,
	"owners" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);--> statement-breakpoint
-- Hex digits of random bytes hardly compress: spare PostgreSQL the attempt.
ALTER TABLE "message_id_blocks" ALTER COLUMN "fps" SET STORAGE EXTERNAL;--> statement-breakpoint
ALTER TABLE "message_id_blocks" ALTER COLUMN "owners" SET STORAGE EXTERNAL;--> statement-breakpoint
CREATE INDEX "message_id_blocks_created_at_idx" ON "message_id_blocks" USING btree ("created_at");--> statement-breakpoint
INSERT INTO "message_id_blocks" ("fps", "owners", "created_at")
SELECT string_agg(encode(substring(uuid_send("hash") FROM 1 FOR 8), 'hex'), '' ORDER BY "n"),
       string_agg(coalesce("owner", '00000000-0000-0000-0000-000000000000')::text, '' ORDER BY "n"),
       max("received_at")
FROM (
  SELECT "hash", "owner", "received_at", row_number() OVER (ORDER BY "received_at", "hash") - 1 AS "n"
  FROM "message_ids"
) AS "claimed"
GROUP BY "n" / 5000
ORDER BY "n" / 5000;--> statement-breakpoint
DROP TABLE "message_ids";
