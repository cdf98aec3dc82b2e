CREATE TABLE "events" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"event_id" text NOT NULL,
	"name" text NOT NULL,
	"source" text NOT NULL,
	"user_id" text,
	"anonymous_id" text,
	"properties" jsonb NOT NULL,
	"occurred_at" timestamp with time zone NOT NULL,
	CONSTRAINT "events_eventId_unique" UNIQUE("event_id")
);
--> statement-breakpoint
CREATE TABLE "queue" (
	"seq" bigserial PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"item" jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"enqueued_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "received_ids" (
	"id" text PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "samples" (
	"seq" bigint PRIMARY KEY NOT NULL,
	"service" text NOT NULL,
	"route" text NOT NULL,
	"method" text NOT NULL,
	"status" smallint NOT NULL,
	"duration_ms" double precision NOT NULL,
	"request_id" text,
	"user_id" text,
	"upstream" text,
	"occurred_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "events_occurred_at_brin" ON "events" USING brin ("occurred_at");--> statement-breakpoint
CREATE INDEX "events_user_time_idx" ON "events" USING btree ("user_id","occurred_at" DESC NULLS LAST,"seq" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "events_name_time_idx" ON "events" USING btree ("name","occurred_at");--> statement-breakpoint
CREATE INDEX "queue_due_idx" ON "queue" USING btree ("next_attempt_at","seq");--> statement-breakpoint
CREATE INDEX "received_ids_received_at_idx" ON "received_ids" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "samples_occurred_at_brin" ON "samples" USING brin ("occurred_at");--> statement-breakpoint
CREATE INDEX "samples_service_time_idx" ON "samples" USING btree ("service","occurred_at");