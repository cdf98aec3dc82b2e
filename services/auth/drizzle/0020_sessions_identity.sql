-- The provider identity that opened a session, or a sign-in waiting for its second factor
-- (oidc/identities.ts unlinkIdentity): unlinking it ends the sessions it opened, as removing a
-- passkey does (0019). Sessions opened before keep none.
ALTER TABLE "mfa_challenges" ADD COLUMN "identity_id" uuid;--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "identity_id" uuid;