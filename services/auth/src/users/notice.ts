import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { describeError } from '../mail/errors.ts';
import type { MailName } from '../mail/templates.ts';
import { findUserById } from './repository.ts';

/**
 * A notice to the owner after a change to how their account is protected, so a change they did
 * not make does not go unnoticed. After commit; a mail that cannot be sent is logged (without the
 * address) and left at that.
 */
export async function notify(
  ctx: AuthContext,
  userId: string,
  mail: MailName,
  log: FastifyBaseLogger,
) {
  const user = await findUserById(ctx.db, userId);
  if (!user) return;
  try {
    await ctx.mailer.send(ctx.templates.mail(mail, user.email, { username: user.username }));
  } catch (error) {
    log.warn({ user_id: userId, error: describeError(error), mail }, 'notice mail not sent');
  }
}
