-- Users whose mapping a final forgetting pass deleted, whose Segment profiles and links are removed
-- once more (src/ingestion/forget.ts): noted in the transaction that deletes the mapping, so a
-- removal that failed is retried at the next tick rather than lost with the mapping.
CREATE TABLE "forgotten_identities" (
	"user_id" text PRIMARY KEY NOT NULL,
	"noted_at" timestamp with time zone DEFAULT now() NOT NULL
);
