ALTER TABLE "destination_deliveries" ADD COLUMN "trace_context" text;--> statement-breakpoint
ALTER TABLE "queue" ADD COLUMN "trace_context" text;