import type { AuthContext } from '../context.ts';
import type { Executor } from '../events/outbox.ts';
import { issueOneTimeToken } from './one-time-tokens.ts';

const VERIFY_EMAIL_TTL = 24 * 3600;

/**
 * Mails a link that proves the user owns `email`. Called at registration and when the email
 * changes; the token is bound to the address, so a later change makes an old link useless.
 */
export async function sendEmailVerification(
  ctx: AuthContext,
  db: Executor,
  user: { id: string; email: string; username: string },
): Promise<void> {
  const token = await issueOneTimeToken(db, {
    userId: user.id,
    purpose: 'verify-email',
    ttlSeconds: VERIFY_EMAIL_TTL,
    email: user.email,
  });
  await ctx.mailer.send({
    to: user.email,
    subject: 'Confirm your email address',
    text: [
      `Hello ${user.username},`,
      '',
      'Confirm that this address is yours by sending this token to',
      `POST ${ctx.config.PUBLIC_URL}/accounts/v1/verify-email as {"token": "<token>"}:`,
      '',
      `    ${token}`,
      '',
      `The token is valid for 24 hours. If you did not create an account, ignore this mail.`,
    ].join('\n'),
  });
}
