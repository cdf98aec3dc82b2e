import type { Principal } from '@platform/auth';
import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { consumeOneTimeToken, holderOfToken } from '../credentials/one-time-tokens.ts';
import { assertAcceptablePassword } from '../credentials/policy.ts';
import { spendEmailTokensExcept, spendOutstandingTokens } from '../credentials/repository.ts';
import type { Executor } from '../db/index.ts';
import { problem } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { describeError } from '../mail/errors.ts';
import {
  deleteSecondFactor,
  deleteSignInsInFlight,
  setMfaEnabled,
} from '../second-factor/repository.ts';
import { publishRevocations, revokeUserSessions } from '../sessions/revocations.ts';
import { requireLiveSession } from '../sessions/service.ts';
import {
  deleteIdentitiesOf,
  deletePasskeysOf,
  hasFactorIn,
  type Scope,
} from '../users/methods-repository.ts';
import {
  clearPendingEmail,
  lockUser,
  markEmailVerified,
  setPasswordHash,
} from '../users/repository.ts';
import { confirmPassword } from './reauthenticate.ts';

type Via = 'change' | 'reset';

/**
 * Stores the new hash and, in the same transaction, revokes sessions (all but `keepSession`),
 * spends pending reset tokens, ends sign-ins waiting for a second step or an OIDC code exchange, cancels a pending email change (the notice of one tells the owner
 * to do this) and records the event. Returns what to publish after commit.
 */
async function storePassword(
  ctx: AuthContext,
  tx: Executor,
  input: { userId: string; passwordHash: string; via: Via; keepSession?: string },
  client: AuditClient,
) {
  await setPasswordHash(tx, input.userId, input.passwordHash);
  await spendOutstandingTokens(tx, input.userId, 'reset-password');
  // An mfa_token proved the old password: a sign-in waiting for its second step ends here too.
  await deleteSignInsInFlight(tx, input.userId);
  const email = await clearPendingEmail(tx, input.userId);
  if (email) await spendEmailTokensExcept(tx, input.userId, email);
  const reason = input.via === 'change' ? 'password changed' : 'password reset';
  const revoked = await revokeUserSessions(
    tx,
    input.userId,
    reason,
    ctx.config.ACCESS_TOKEN_MAX_LIFETIME,
    input.keepSession,
  );
  await recordEvent(tx, 'user.password_changed', { user_id: input.userId, via: input.via });
  // A reset proves the mailbox, a change the password: either way it was the user.
  await recordAudit(tx, {
    type: input.via === 'change' ? 'password.changed' : 'password.reset',
    userId: input.userId,
    actorId: input.userId,
    client,
    details: { revoked_sessions: revoked.length },
  });
  return revoked;
}

export async function changePassword(
  ctx: AuthContext,
  principal: Principal,
  input: { current_password: string; new_password: string },
  client: AuditClient & { ip: string; log: FastifyBaseLogger },
): Promise<void> {
  const { log } = client;
  const user = await confirmPassword(ctx, principal.userId, input.current_password, client);
  if (input.new_password === input.current_password) {
    throw problems.badRequest('The new password must differ from the current one.', [
      { field: 'new_password', message: 'must differ from the current password' },
    ]);
  }
  assertAcceptablePassword(input.new_password, 'new_password');
  const passwordHash = await ctx.passwords.hash(input.new_password);
  const revoked = await ctx.db.transaction(async (tx) => {
    // The current password was checked before anything was locked: a reset (or a change from
    // another session) that committed meanwhile revoked this session, and what it signed out must
    // not overwrite the password it set.
    await lockUser(tx, user.id);
    await requireLiveSession(tx, principal.sessionId);
    return storePassword(
      ctx,
      tx,
      {
        userId: user.id,
        passwordHash,
        via: 'change',
        keepSession: principal.sessionId,
      },
      client,
    );
  });
  await publishRevocations(ctx.revocations, revoked, log);
  await notifyPasswordChanged(ctx, user, log);
}

const invalidToken = () =>
  problem('invalid_token', 'The reset token is invalid, expired or already used.', {
    errors: [{ field: 'token', message: 'is invalid, expired or already used' }],
  });

export async function confirmReset(
  ctx: AuthContext,
  input: { token: string; new_password: string },
  client: AuditClient & { log: FastifyBaseLogger },
): Promise<void> {
  const { log } = client;
  // Before the token is spent: a refused password must leave the token usable for a better one.
  assertAcceptablePassword(input.new_password, 'new_password');
  const { user, revoked } = await ctx.db.transaction(async (tx) => {
    // The user's row before the token (holderOfToken says why); locked, MFA changes and passkey
    // registrations of this user wait for the reset too.
    const holder = await holderOfToken(tx, input.token, 'reset-password');
    const owner = holder ? await lockUser(tx, holder) : undefined;
    const spent = owner && (await consumeOneTimeToken(tx, input.token, 'reset-password'));
    // An email change spends the reset tokens it can see, but one issued for the old address by a
    // request that looked the account up just before the change committed is not among them. The
    // token proves that mailbox only: it works while the account still has that address.
    // (Tokens issued before tokens carried an address have none and are taken as they are.)
    const moved = spent?.email && spent.email.toLowerCase() !== owner?.email.toLowerCase();
    if (!owner || !spent || moved) throw invalidToken();
    // The mailbox owner takes over an account whose email was never verified: whatever ways in
    // were added without mailbox proof go, else whoever signed up first with another's address
    // keeps one (account pre-hijacking): provider identities, passkeys, and a TOTP factor (which
    // would otherwise lock the owner out, or keep the intruder's second factor on the account).
    if (!owner.emailVerified) {
      await forgetUnprovenMethods(tx, owner.id, 'all', client);
      // The link reached that mailbox: the address is proven now, so a later reset (of a
      // passkey or factor the owner adds) no longer treats the account as someone else's.
      await markEmailVerified(tx, owner.id);
    } else {
      // Verified since, yet what was added before the first proof still came without it: the
      // owner who clicked the registration mail's link of an account they did not make (finding
      // their address taken) and then resets must not find the intruder's passkey or factor.
      await forgetUnprovenMethods(tx, owner.id, 'unproven', client);
    }
    // Hashed only once the token proved good, so bogus tokens cannot make us burn CPU.
    const revoked = await storePassword(
      ctx,
      tx,
      {
        userId: owner.id,
        passwordHash: await ctx.passwords.hash(input.new_password),
        via: 'reset',
      },
      client,
    );
    return { user: owner, revoked };
  });
  await publishRevocations(ctx.revocations, revoked, log);
  await notifyPasswordChanged(ctx, user, log);
}

/**
 * Removes what could sign in besides the password being reset and came without mailbox proof (all
 * of them on a never-verified account): provider identities, passkeys and the second factor, each
 * audited with `how: password_reset`.
 */
async function forgetUnprovenMethods(
  tx: Executor,
  userId: string,
  scope: Scope,
  client: AuditClient,
) {
  const audit = (
    type: 'identity.unlinked' | 'passkey.removed' | 'mfa.disabled',
    details: Record<string, unknown>,
  ) => recordAudit(tx, { type, userId, actorId: userId, client, details });
  for (const removed of await deleteIdentitiesOf(tx, userId, scope)) {
    await audit('identity.unlinked', {
      provider: removed.provider,
      identity_id: removed.id,
      how: 'password_reset',
    });
  }
  for (const removed of await deletePasskeysOf(tx, userId, scope)) {
    await audit('passkey.removed', { passkey_id: removed.id, how: 'password_reset' });
  }
  if (await hasFactorIn(tx, userId, scope)) {
    await deleteSecondFactor(tx, userId);
    await setMfaEnabled(tx, userId, false);
    await audit('mfa.disabled', { reason: 'password_reset' });
  }
}

/** Tells the owner, so a change they did not make does not go unnoticed. */
async function notifyPasswordChanged(
  ctx: AuthContext,
  user: { id: string; email: string; username: string },
  log: FastifyBaseLogger,
): Promise<void> {
  try {
    await ctx.mailer.send(
      ctx.templates.mail('password-changed', user.email, { username: user.username }),
    );
  } catch (error) {
    log.warn({ user_id: user.id, error: describeError(error) }, 'password change mail not sent');
  }
}
