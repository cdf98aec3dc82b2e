import type { Principal } from '@platform/auth';
import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { confirmPassword } from '../passwords/reauthenticate.ts';
import { newRecoveryCodes } from '../second-factor/recovery-codes.ts';
import {
  deleteSecondFactor,
  lockFactor,
  markFactorVerified,
  replaceRecoveryCodes,
  setMfaEnabled,
  storePendingFactor,
} from '../second-factor/repository.ts';
import {
  auditRecoveryCodeUse,
  invalidCode,
  mfaNotEnabled,
  secretContext,
  spendProof,
  throttledCodeCheck,
} from '../second-factor/service.ts';
import { matchingStep, newTotpSecret, otpauthUrl } from '../second-factor/totp.ts';
import { MFA_ENABLED } from '../sessions/repository.ts';
import { publishRevocations, revokeUserSessions } from '../sessions/revocations.ts';
import { requireLiveSession, signedInFrom } from '../sessions/service.ts';
import { notify } from '../users/notice.ts';
import { lockUser } from '../users/repository.ts';

interface Client {
  ip: string;
  userAgent: string | undefined;
  log: FastifyBaseLogger;
}

/**
 * The code check's client for enrolment, disabling or making new recovery codes: the owner's
 * known addresses spared as at sign-in, and wrong codes, or codes the throttle refused, audited
 * as a failed proof of identity like a sign-in's.
 */
const codeCheckClient = (ctx: AuthContext, userId: string, client: Client, action: string) => {
  const failed = (reason: 'invalid_mfa_code' | 'rate_limited') => () =>
    recordAudit(ctx.db, {
      type: 'login.failed',
      userId,
      actorId: null,
      client,
      details: { reason, method: 'totp', during: action },
    });
  return {
    ...client,
    knownAddress: () => signedInFrom(ctx, userId, client.ip, true),
    onWrong: failed('invalid_mfa_code'),
    onRefused: failed('rate_limited'),
  };
};

const alreadyOn = () =>
  problem(
    'mfa_already_enabled',
    'Two-factor sign-in is already on; turn it off first to set up another app.',
  );

/**
 * Step 1: after the password, a new secret that stays pending (sign-in is unchanged) until a
 * code from it is verified. Asking again replaces a pending secret.
 */
export async function startEnrolment(
  ctx: AuthContext,
  principal: Principal,
  password: string,
  client: Client,
) {
  const user = await confirmPassword(ctx, principal.userId, password, client);
  if (user.mfaEnabled) throw alreadyOn();
  const secret = newTotpSecret();
  await storePendingFactor(ctx.db, user.id, ctx.sealer.seal(secret, secretContext(user.id)));
  return { secret, otpauth_url: otpauthUrl(secret, ctx.config.APP_NAME, user.email) };
}

/**
 * Step 2: a code from the app proves it holds the secret. MFA is then on, ten recovery codes are
 * made (only their hashes kept) and every other session of the user ends, as Supabase Auth does
 * on a first verified factor: a session opened with the password alone (perhaps by whoever made
 * the owner want MFA) must not outlive it. The calling session stays.
 */
export async function verifyEnrolment(
  ctx: AuthContext,
  principal: Principal,
  code: string,
  client: Client,
) {
  const userId = principal.userId;
  const done = await throttledCodeCheck(
    ctx,
    userId,
    codeCheckClient(ctx, userId, client, 'mfa.enable'),
    () =>
      ctx.db.transaction(async (tx) => {
        // The user's row before the factor, the order of everything else that removes a factor
        // (an account deletion's cascade, a reset of a never-verified account, MFA off): the
        // opposite order deadlocked with them into a 500. Gone meanwhile: no factor either.
        await lockUser(tx, userId);
        // Signed out meanwhile (a password reset): the factor it started must not guard the
        // account the reset gave back to its owner.
        await requireLiveSession(tx, principal.sessionId);
        const factor = await lockFactor(tx, userId);
        if (factor?.verifiedAt) throw alreadyOn();
        if (!factor) {
          throw problem(
            'mfa_enrolment_missing',
            'Start with POST /user/mfa/totp to get a secret first.',
          );
        }
        const secret = ctx.sealer.open(factor.secretSealed, secretContext(userId));
        const step = matchingStep(secret, code);
        if (step === undefined) return undefined;
        await markFactorVerified(tx, userId, step);
        await setMfaEnabled(tx, userId, true);
        const { codes, hashes } = newRecoveryCodes(userId);
        await replaceRecoveryCodes(tx, userId, hashes);
        const revoked = await revokeUserSessions(
          tx,
          userId,
          MFA_ENABLED,
          ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
          principal.sessionId,
        );
        await recordAudit(tx, {
          type: 'mfa.enabled',
          userId,
          actorId: userId,
          client,
          details: { method: 'totp', revoked_sessions: revoked.length },
        });
        return { codes, revoked };
      }),
    () => invalidCode('signed-in'),
  );
  await publishRevocations(ctx.revocations, done.revoked, client.log);
  await notify(ctx, userId, 'mfa-enabled', client.log);
  return { recovery_codes: done.codes };
}

/** Needs the password and a current code (or a recovery code, for a lost phone). */
export async function disableMfa(
  ctx: AuthContext,
  principal: Principal,
  input: { current_password: string; code: string },
  client: Client,
) {
  const user = await withMfaOn(ctx, principal, input.current_password, client);
  const proof = /^\d{6}$/.test(input.code.trim())
    ? { code: input.code.trim() }
    : { recovery_code: input.code };
  await throttledCodeCheck(
    ctx,
    user.id,
    codeCheckClient(ctx, user.id, client, 'mfa.disable'),
    () =>
      ctx.db.transaction(async (tx) => {
        await lockMfaOf(tx, user.id, principal.sessionId);
        const method = await spendProof(ctx, tx, user.id, proof, client.log, true);
        if (!method) return undefined;
        await deleteSecondFactor(tx, user.id);
        await setMfaEnabled(tx, user.id, false);
        await recordAudit(tx, {
          type: 'mfa.disabled',
          userId: user.id,
          actorId: user.id,
          client,
          details: { method: 'totp', proved_with: method },
        });
        await auditRecoveryCodeUse(tx, method, user.id, client, { during: 'mfa.disable' });
        return true;
      }),
    () => invalidCode('signed-in'),
  );
  await notify(ctx, user.id, 'mfa-disabled', client.log);
}

/**
 * Ten new recovery codes in place of all earlier ones (used or not), as GitHub and Keycloak offer.
 * Needs the password and a current TOTP code: a recovery code is refused here, so whoever holds a
 * stolen list cannot swap it for a fresh one the owner does not know. Wrong codes count like at
 * sign-in, under the same per-account-and-address limits.
 */
export async function regenerateRecoveryCodes(
  ctx: AuthContext,
  principal: Principal,
  input: { current_password: string; code: string },
  client: Client,
) {
  const user = await withMfaOn(ctx, principal, input.current_password, client);
  const codes = await throttledCodeCheck(
    ctx,
    user.id,
    codeCheckClient(ctx, user.id, client, 'mfa.recovery_codes_regenerate'),
    () =>
      ctx.db.transaction(async (tx) => {
        await lockMfaOf(tx, user.id, principal.sessionId);
        // Only TOTP: anything that is not six digits (a recovery code) matches no step.
        const proof = { code: input.code.trim() };
        const method = await spendProof(ctx, tx, user.id, proof, client.log, true);
        if (!method) return undefined;
        const { codes, hashes } = newRecoveryCodes(user.id);
        await replaceRecoveryCodes(tx, user.id, hashes);
        await recordAudit(tx, {
          type: 'mfa.recovery_codes_regenerated',
          userId: user.id,
          actorId: user.id,
          client,
          details: { count: codes.length },
        });
        return codes;
      }),
    () => invalidCode('signed-in'),
  );
  await notify(ctx, user.id, 'recovery-codes-regenerated', client.log);
  return { recovery_codes: codes };
}

/**
 * The user's row first, as the admin reset does: changes to one user's MFA (disable, new
 * recovery codes, reset) then take turns instead of locking the factor and the recovery codes in
 * opposite orders and deadlocking into a 500. MFA turned off meanwhile is a 409, not a wrong code;
 * the caller's session revoked meanwhile (a password reset) a 401.
 */
async function lockMfaOf(tx: Executor, userId: string, sessionId: string) {
  const user = await lockUser(tx, userId);
  await requireLiveSession(tx, sessionId);
  if (!user?.mfaEnabled) throw mfaNotEnabled();
}

/** The caller, once their password is right and their MFA on (what disabling and new codes need). */
async function withMfaOn(ctx: AuthContext, principal: Principal, password: string, client: Client) {
  const user = await confirmPassword(ctx, principal.userId, password, client);
  if (!user.mfaEnabled) throw mfaNotEnabled();
  return user;
}
