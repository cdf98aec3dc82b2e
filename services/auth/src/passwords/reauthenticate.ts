import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import { type AuditClient, recordAudit } from '../audit/service.ts';
import type { AuthContext } from '../context.ts';
import { problem } from '../errors.ts';
import { signedInFrom } from '../sessions/service.ts';
import { tooManyFailures } from '../throttle/service.ts';
import { findUserById, type UserRow } from '../users/repository.ts';

/**
 * 403, not 401: the access token is fine (a client must not sign out or refresh over this); the
 * action needs more proof than the token gives.
 */
const wrongPassword = () =>
  problem('current_password_incorrect', 'The current password is incorrect.', {
    errors: [{ field: 'current_password', message: 'is incorrect' }],
  });

/**
 * Checks `current_password` for the signed-in user before a sensitive change, so an access token
 * alone (a stolen one) is not enough. Wrong passwords count against the same limits as failed
 * sign-ins: a token must not give a guesser an unthrottled way to test passwords. They are also
 * audited as failed sign-ins (`during` names the action): a valid token with a wrong password is
 * what a stolen token looks like, and the owner and the admins read the audit log, not the
 * throttle's counters.
 */
export async function confirmPassword(
  ctx: AuthContext,
  userId: string,
  password: string,
  client: AuditClient & { ip: string; log: FastifyBaseLogger },
  during = 'reauthentication',
): Promise<UserRow> {
  const user = await findUserById(ctx.db, userId);
  if (!user) throw problems.unauthorized();
  const failed = (reason: 'invalid_password' | 'rate_limited') =>
    recordAudit(ctx.db, {
      type: 'login.failed',
      userId: user.id,
      actorId: null,
      client: { ip: client.ip, userAgent: client.userAgent },
      details: { reason, method: 'password', during },
    });
  const account = `user:${user.id}`;
  const attempt = await ctx.throttle.check(account, client.ip, () =>
    signedInFrom(ctx, user.id, client.ip),
  );
  const { refusal } = attempt;
  if (refusal && !refusal.spared) {
    client.log.warn({ scope: refusal.scope }, 're-authentication refused: too many failures');
    await failed('rate_limited');
    throw tooManyFailures(refusal);
  }
  if (!(await ctx.passwords.verify(user.passwordHash, password))) {
    await attempt.recordFailure();
    await failed('invalid_password');
    // Spared from a lock (a known address), a wrong password still meets that lock.
    throw refusal ? tooManyFailures(refusal) : wrongPassword();
  }
  await attempt.recordSuccess();
  return user;
}
