-- The step of the code that turned a factor on (second-factor/repository.ts markFactorVerified): the
-- first sign-in may use that code once more, disabling MFA or making new recovery codes never
-- (RFC 6238 §5.2). Factors turned on before keep none, and for them nothing changes.
ALTER TABLE "totp_factors" ADD COLUMN "enrolled_step" bigint;