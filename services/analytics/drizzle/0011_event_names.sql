CREATE TABLE "event_names" (
	"name" text PRIMARY KEY NOT NULL,
	"first_seen" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Names clients already sent count as registered (PostgreSQL store; on InfluxDB `events` is empty
-- and names register on first use). Segment's fixed names need no registration.
INSERT INTO "event_names" ("name", "first_seen")
SELECT "name", min("occurred_at") FROM "events"
WHERE "source" IN ('client', 'segment')
  AND "name" NOT IN ('page', 'screen', 'identify', 'group', 'alias')
GROUP BY "name"
ON CONFLICT DO NOTHING;
