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
    // Bound to the address it is mailed to: see confirmReset.
    email: user.email,
  });
  await ctx.mailer.send(
    ctx.templates.mail('reset-password', user.email, {
      username: user.username,
      token,
      link: ctx.templates.link('reset-password', token),
    }),
  );
}
