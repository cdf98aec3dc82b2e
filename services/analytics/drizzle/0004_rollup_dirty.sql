CREATE TABLE "rollup_dirty" (
	"store" text NOT NULL,
	"minute" timestamp with time zone NOT NULL,
	"marked_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "rollup_dirty_store_minute_pk" PRIMARY KEY("store","minute")
);
