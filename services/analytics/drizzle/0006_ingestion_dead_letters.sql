CREATE TABLE "ingestion_dead_letters" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"queue_seq" bigint NOT NULL,
	"kind" text NOT NULL,
	"item" text NOT NULL,
	"error" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
