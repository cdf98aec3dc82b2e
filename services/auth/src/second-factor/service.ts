import type { HttpProblem } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { hashSecret, newSecret } from '../credentials/secrets.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { SealError } from '../keys/sealing.ts';
import { tooManyFailures } from '../throttle/service.ts';
import { hashRecoveryCode } from './recovery-codes.ts';
import {
  claimStep,
  findFactor,
  insertChallenge,
  liveChallenge,
  spendChallenge,
  spendRecoveryCode,
  unusedRecoveryCodes,
} from './repository.ts';
import { matchingStep } from './totp.ts';

export const MFA_METHODS = ['totp', 'recovery_code'] as const;

/** 409: the change needs MFA on (disable, new recovery codes, an admin's reset). */
export const mfaNotEnabled = () => problem('mfa_not_enabled', 'Two-factor sign-in is not on.');
export type MfaMethod = (typeof MFA_METHODS)[number];

export interface MfaRequired {
  mfa_required: true;
  mfa_token: string;
  methods: MfaMethod[];
}

/**
 * A provider account a sign-in through it links to the account once the sign-in completes (its
 * verified email matched the account's; oidc/linking.ts): until then the login code, then the
 * challenge, carry it, and an abandoned sign-in leaves no link.
 */
export interface PendingLink {
  provider: string;
  subject: string;
  email: string;
}

/** A TOTP code, or one of the recovery codes. */
export type Proof = { code: string } | { recovery_code: string };

/** The sealing context of a user's TOTP secret: a sealed secret copied to another user fails. */
export const secretContext = (userId: string) => `totp:${userId}`;

/**
 * The first factor was proved: records a short-lived, single-use challenge bound to the user and
 * returns what `/login` answers instead of tokens. Only a hash of `mfa_token` is stored. `from`:
 * the provider identity an OIDC first factor signed in with, or the link it is to make.
 */
export async function openChallenge(
  ctx: AuthContext,
  db: Executor,
  userId: string,
  firstFactor: string,
  from: { identityId?: string | undefined; link?: PendingLink | undefined } = {},
): Promise<MfaRequired> {
  const { token, hash } = newSecret();
  await insertChallenge(db, {
    tokenHash: hash,
    userId,
    method: firstFactor,
    identityId: from.identityId ?? null,
    linkProvider: from.link?.provider ?? null,
    linkSubject: from.link?.subject ?? null,
    linkEmail: from.link?.email ?? null,
    expiresAt: new Date(Date.now() + ctx.config.MFA_CHALLENGE_TTL * 1000),
  });
  return { mfa_required: true, mfa_token: token, methods: [...MFA_METHODS] };
}

/**
 * The user a live challenge is for, how their first factor was proved, and the identity it
 * signed in with or the link it makes; `lock` holds the challenge until the caller commits.
 */
export async function openedChallenge(db: Executor, mfaToken: string, lock = false) {
  const row = await liveChallenge(db, hashSecret(mfaToken), lock);
  if (!row) return undefined;
  const { linkProvider, linkSubject, linkEmail, ...challenge } = row;
  const link: PendingLink | undefined =
    linkProvider && linkSubject && linkEmail
      ? { provider: linkProvider, subject: linkSubject, email: linkEmail }
      : undefined;
  return { ...challenge, link };
}

/**
 * Checks a proof against the user's verified factor and spends it, inside the caller's
 * transaction: a TOTP code claims its step (refused when that step or a later one was used), a
 * recovery code is marked used. Returns the method that worked, or undefined. `change`: the
 * proof is for a change to MFA itself (disabling it, new recovery codes), where the code that
 * turned the factor on is refused too; only the first sign-in may use it again.
 */
export async function spendProof(
  ctx: AuthContext,
  tx: Executor,
  userId: string,
  proof: Proof,
  log: FastifyBaseLogger,
  change = false,
): Promise<MfaMethod | undefined> {
  if ('recovery_code' in proof) {
    const spent = await spendRecoveryCode(
      tx,
      userId,
      hashRecoveryCode(userId, proof.recovery_code),
    );
    return spent ? 'recovery_code' : undefined;
  }
  const factor = await findFactor(tx, userId);
  if (!factor?.verifiedAt) return undefined;
  let secret: string;
  try {
    secret = ctx.sealer.open(factor.secretSealed, secretContext(userId));
  } catch (error) {
    if (!(error instanceof SealError)) throw error;
    // Another KEY_ENCRYPTION_KEY, or an altered row: no code can match; recovery codes still do.
    log.error({ user_id: userId }, 'TOTP secret does not open with KEY_ENCRYPTION_KEY');
    return undefined;
  }
  const step = matchingStep(secret, proof.code);
  if (step === undefined) return undefined;
  return (await claimStep(tx, userId, step, change)) ? 'totp' : undefined;
}

/**
 * A spent recovery code audited on its own (`mfa.recovery_code_used`), beside the event of what it
 * proved (a sign-in, MFA turned off): one the owner did not use is the sign that the codes' paper
 * was stolen. Nothing for a TOTP code. In the caller's transaction, as spendProof.
 */
export async function auditRecoveryCodeUse(
  tx: Executor,
  method: MfaMethod,
  userId: string,
  client: AuditClient,
  details: Record<string, unknown>,
) {
  if (method !== 'recovery_code') return;
  await recordAudit(tx, {
    type: 'mfa.recovery_code_used',
    userId,
    actorId: userId,
    client,
    details,
  });
}

/** The throttle's accounts of code checks: `mfa:user:<id>`, apart from the password's. */
export const CODE_ACCOUNTS = 'mfa:user:';

export interface CodeClient {
  ip: string;
  log: FastifyBaseLogger;
  /** Whether the user signed in from this address before (spares it at the account and address locks). */
  knownAddress: () => Promise<boolean>;
  /** Called (and awaited) when the throttle refuses, and when a code is wrong: to audit them. */
  onRefused?: () => Promise<unknown>;
  onWrong?: () => Promise<unknown>;
}

/**
 * Runs `check` (which answers undefined for a wrong code) under the sign-in throttle: wrong codes
 * count like wrong passwords, per account and address (what an attacker meets), per account (a
 * ceiling that spares addresses the owner signed in from) and per address. Codes have their own
 * account key: a correct password must not reset the count of wrong codes. Their ceiling is their
 * own too (MFA_MAX_FAILURES_PER_ACCOUNT per MFA_FAILURE_WINDOW): at the password's (100 per 15
 * minutes) whoever has the password, from enough addresses, guessed a code in weeks.
 */
export async function throttledCodeCheck<T>(
  ctx: AuthContext,
  userId: string,
  client: CodeClient,
  check: () => Promise<T | undefined>,
  wrong: () => HttpProblem,
): Promise<T> {
  const account = `${CODE_ACCOUNTS}${userId}`;
  const attempt = await ctx.throttle.check(account, client.ip, client.knownAddress, {
    limit: ctx.config.MFA_MAX_FAILURES_PER_ACCOUNT,
    windowSeconds: ctx.config.MFA_FAILURE_WINDOW,
  });
  const { refusal } = attempt;
  if (refusal && !refusal.spared) {
    client.log.warn({ scope: refusal.scope }, 'code refused: too many failures');
    await client.onRefused?.();
    throw tooManyFailures(refusal);
  }
  let result: T | undefined;
  try {
    result = await check();
  } catch (error) {
    // Refused before the code was judged (or failed): not a wrong code, so not counted as one.
    await attempt.release();
    throw error;
  }
  if (result === undefined) {
    await attempt.recordFailure();
    await client.onWrong?.();
    // Spared from a lock (a known address), a wrong code still meets that lock.
    throw refusal ? tooManyFailures(refusal) : wrong();
  }
  await attempt.recordSuccess();
  return result;
}

/**
 * A wrong, replayed or spent code. At sign-in (no session yet) 401 `invalid_mfa_code`, like
 * wrong credentials; on a signed-in request 403 `mfa_code_incorrect`, like a wrong
 * `current_password`: the access token is fine, a client must not sign out over it.
 */
export const invalidCode = (during: 'sign-in' | 'signed-in', field = 'code') =>
  problem(
    during === 'sign-in' ? 'invalid_mfa_code' : 'mfa_code_incorrect',
    'The code is incorrect, expired or already used.',
    { errors: [{ field, message: 'is incorrect, expired or already used' }] },
  );

/** Spends the challenge (inside the transaction that opens the session). */
export const spendChallengeOf = (tx: Executor, mfaToken: string) =>
  spendChallenge(tx, hashSecret(mfaToken));

/** How many of the user's recovery codes are still unused. */
export const remainingRecoveryCodes = (db: Executor, userId: string) =>
  unusedRecoveryCodes(db, userId);
