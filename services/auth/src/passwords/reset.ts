import type { AuthContext } from '../context.ts';
import { issueOneTimeToken } from '../credentials/one-time-tokens.ts';
import { issuedSince } from '../credentials/repository.ts';
import { findUserByEmail } from '../users/repository.ts';

const RESET_TTL = 30 * 60;
/** At most one reset mail per account per this many seconds, so nobody can flood a mailbox. */
const RESET_COOLDOWN = 60;

/**
 * Mails a single-use reset token when an account has this email; does nothing otherwise. Runs
 * after the 202 has been sent, so neither the answer nor its timing tells whether it exists.
 */
export async function mailResetToken(ctx: AuthContext, email: string): Promise<void> {
  const user = await findUserByEmail(ctx.db, email);
  if (!user) return;
  const since = new Date(Date.now() - RESET_COOLDOWN * 1000);
  if (await issuedSince(ctx.db, user.id, 'reset-password', since)) return;
  const token = await issueOneTimeToken(ctx.db, {
    userId: user.id,
    purpose: 'reset-password',
    ttlSeconds: RESET_TTL,
  });
  await ctx.mailer.send({
    to: user.email,
    subject: 'Reset your password',
    text: [
      `Hello ${user.username},`,
      '',
      'Someone asked to reset the password of your account. To choose a new one, send',
      `POST ${ctx.config.PUBLIC_URL}/accounts/v1/reset-password/confirm`,
      'with {"token": "<token>", "new_password": "<your new password>"}, where the token is:',
      '',
      `    ${token}`,
      '',
      'The token works once and for 30 minutes; every session of the account is then signed out.',
      'If you did not ask for this, ignore this mail: your password stays as it is.',
    ].join('\n'),
  });
}
