-- Accounts whose user.deleted main has processed; a create by one of them is refused (see
-- src/posts/repository.ts holdAuthor for how a create and the deletion are serialised).
CREATE TABLE "deleted_authors" (
	"user_id" uuid PRIMARY KEY NOT NULL,
	"deleted_at" timestamp with time zone DEFAULT now() NOT NULL
);
