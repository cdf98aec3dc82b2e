-- A provider account whose verified email matches an account's is linked only when the sign-in
-- completes (oidc/linking.ts): until then the login code, and the challenge of a second factor,
-- carry it as a pending link instead of an identity.
ALTER TABLE "oauth_login_codes" ALTER COLUMN "identity_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "mfa_challenges" ADD COLUMN "link_provider" text;--> statement-breakpoint
ALTER TABLE "mfa_challenges" ADD COLUMN "link_subject" text;--> statement-breakpoint
ALTER TABLE "mfa_challenges" ADD COLUMN "link_email" text;--> statement-breakpoint
ALTER TABLE "oauth_login_codes" ADD COLUMN "link_subject" text;--> statement-breakpoint
ALTER TABLE "oauth_login_codes" ADD COLUMN "link_email" text;--> statement-breakpoint
ALTER TABLE "oauth_login_codes" ADD CONSTRAINT "oauth_login_codes_identity_or_link" CHECK ("oauth_login_codes"."identity_id" is not null or "oauth_login_codes"."link_subject" is not null);