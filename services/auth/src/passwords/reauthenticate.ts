import { problems } from '@platform/http';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { verifyPassword } from '../credentials/hashing.ts';
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
 * sign-ins: a token must not give a guesser an unthrottled way to test passwords.
 */
export async function confirmPassword(
  ctx: AuthContext,
  userId: string,
  password: string,
  client: { ip: string; log: FastifyBaseLogger },
): Promise<UserRow> {
  const user = await findUserById(ctx.db, userId);
  if (!user) throw problems.unauthorized();
  const account = `user:${user.id}`;
  const refusal = await ctx.throttle.check(account, client.ip, () =>
    signedInFrom(ctx, user.id, client.ip),
  );
  if (refusal) {
    client.log.warn({ scope: refusal.scope }, 're-authentication refused: too many failures');
    throw tooManyFailures(refusal);
  }
  if (!(await verifyPassword(user.passwordHash, password))) {
    await ctx.throttle.recordFailure(account, client.ip);
    throw wrongPassword();
  }
  await ctx.throttle.recordSuccess(account, client.ip);
  return user;
}
