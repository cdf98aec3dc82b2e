CREATE TABLE "destination_deliveries" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"destination" text NOT NULL,
	"event_id" text NOT NULL,
	"event" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "destination_deliveries_event_key" ON "destination_deliveries" USING btree ("destination","event_id");--> statement-breakpoint
CREATE INDEX "destination_deliveries_due_idx" ON "destination_deliveries" USING btree ("next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "destination_deliveries_dead_idx" ON "destination_deliveries" USING btree ("id") WHERE status = 'dead';