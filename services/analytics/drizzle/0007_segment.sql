CREATE TABLE "identity_links" (
	"anonymous_id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"via" text NOT NULL,
	"message_id" text,
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "message_ids" (
	"hash" uuid PRIMARY KEY NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "profiles" (
	"user_id" text PRIMARY KEY NOT NULL,
	"traits" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"traits_at" timestamp with time zone,
	"first_seen" timestamp with time zone NOT NULL,
	"last_seen" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "write_keys" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"name" text NOT NULL,
	"key_hash" text NOT NULL,
	"key_prefix" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	CONSTRAINT "write_keys_keyHash_unique" UNIQUE("key_hash")
);
--> statement-breakpoint
CREATE INDEX "identity_links_user_idx" ON "identity_links" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "message_ids_received_at_brin" ON "message_ids" USING brin ("received_at");--> statement-breakpoint
CREATE INDEX "events_anonymous_time_idx" ON "events" USING btree ("anonymous_id","occurred_at" DESC NULLS LAST,"seq" DESC NULLS LAST);