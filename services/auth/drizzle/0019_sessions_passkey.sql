-- The passkey that opened a session (sessions/service.ts startSession): removing the passkey ends
-- the sessions it opened (a lost phone is signed out with it). Sessions opened before keep none.
ALTER TABLE "sessions" ADD COLUMN "passkey_id" uuid;