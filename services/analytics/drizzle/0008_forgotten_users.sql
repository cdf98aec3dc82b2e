CREATE TABLE "forgotten_users" (
	"user_id" text PRIMARY KEY NOT NULL,
	"pseudonym" text NOT NULL,
	"forgotten_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_pass_at" timestamp with time zone
);
