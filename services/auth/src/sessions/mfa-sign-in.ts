import type { FastifyBaseLogger } from 'fastify';
import { recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import { recordEvent } from '../events/outbox.ts';
import { describeError } from '../mail/errors.ts';
import {
  auditRecoveryCodeUse,
  invalidCode,
  openedChallenge,
  type Proof,
  remainingRecoveryCodes,
  spendChallengeOf,
  spendProof,
  throttledCodeCheck,
} from '../second-factor/service.ts';
import { lockUser, type UserRow } from '../users/repository.ts';
import { completeLink, identityStillLinked, noticeOfLink } from './pending-link.ts';
import { type ClientInfo, signedInFrom, startSession } from './service.ts';
import { failedSignIn } from './sign-in.ts';

// The second step of a sign-in for a user with MFA on: the `mfa_token` signIn (sign-in.ts)
// answered, with a TOTP or recovery code.

const invalidMfaToken = () =>
  problem('invalid_mfa_token', 'The sign-in has expired or was already completed; sign in again.', {
    errors: [{ field: 'mfa_token', message: 'is invalid, expired or already used' }],
  });

/**
 * `POST /login/mfa`: the second factor for a challenge from `signIn`. A wrong code leaves the
 * challenge open for another try (within the throttle); a right one spends the challenge and
 * the code and opens the session, all in one transaction.
 */
export async function completeMfaSignIn(
  ctx: AuthContext,
  input: { mfaToken: string; proof: Proof },
  client: ClientInfo & { log: FastifyBaseLogger },
) {
  const challenge = await openedChallenge(ctx.db, input.mfaToken);
  if (!challenge) throw invalidMfaToken();
  const { userId, method: firstFactor } = challenge;
  const field = 'recovery_code' in input.proof ? 'recovery_code' : 'code';
  const method = field === 'code' ? 'totp' : 'recovery_code';
  const done = await throttledCodeCheck(
    ctx,
    userId,
    {
      ...client,
      knownAddress: () => signedInFrom(ctx, userId, client.ip, true),
      onRefused: () => failedSignIn(ctx, userId, 'rate_limited', client, method),
      onWrong: () => failedSignIn(ctx, userId, 'invalid_mfa_code', client, method),
    },
    () =>
      ctx.db.transaction(async (tx) => {
        // The user's row first, as in signIn (a role reduction cannot miss this session); MFA
        // changes lock it before the factor and the challenges, so this order.
        const user = await lockUser(tx, userId);
        if (!user) throw invalidMfaToken();
        // Locked: of two requests with the same token, the second waits and finds it spent.
        const locked = await openedChallenge(tx, input.mfaToken, true);
        if (!locked) throw invalidMfaToken();
        const method = await spendProof(ctx, tx, userId, input.proof, client.log);
        if (!method) return undefined;
        await spendChallengeOf(tx, input.mfaToken);
        // The provider identity it signed in with, still linked (else it opens no session: the
        // transaction rolls back, the code unspent); or the link it makes, only now.
        let identityId = locked.identityId ?? undefined;
        if (identityId && !(await identityStillLinked(tx, userId, identityId))) {
          throw invalidMfaToken();
        }
        const linked = locked.link && (await completeLink(tx, userId, locked.link, client));
        if (locked.link && !linked) throw invalidMfaToken();
        if (linked) identityId = linked.identityId;
        const tokens = await startSession(ctx, tx, user, client, { identityId });
        await recordEvent(tx, 'user.logged_in', {
          user_id: user.id,
          session_id: tokens.sessionId,
          method: firstFactor,
          second_factor: method,
        });
        await recordAudit(tx, {
          type: 'login.succeeded',
          userId: user.id,
          actorId: user.id,
          client,
          details: { session_id: tokens.sessionId, method: firstFactor, second_factor: method },
        });
        await auditRecoveryCodeUse(tx, method, user.id, client, { session_id: tokens.sessionId });
        return { response: tokens.response, method, user, linked };
      }),
    () => invalidCode('sign-in', field),
  );
  if (done.method === 'recovery_code') await recoveryCodeNotice(ctx, done.user, client.log);
  await noticeOfLink(ctx, done.linked, client.log);
  return done;
}

/** A recovery code is what a thief of the password and the codes' paper would use: say so. */
async function recoveryCodeNotice(ctx: AuthContext, user: UserRow, log: FastifyBaseLogger) {
  try {
    const remaining = await remainingRecoveryCodes(ctx.db, user.id);
    await ctx.mailer.send(
      ctx.templates.mail('recovery-code-used', user.email, { username: user.username, remaining }),
    );
  } catch (error) {
    log.warn({ user_id: user.id, error: describeError(error) }, 'recovery code notice not sent');
  }
}
