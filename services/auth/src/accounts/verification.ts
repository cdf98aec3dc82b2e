import { problems } from '@platform/http';
import { and, eq, sql } from 'drizzle-orm';
import type { AuthContext } from '../context.ts';
import { users } from '../db/schema.ts';
import type { Executor } from '../events/outbox.ts';
import { consumeOneTimeToken, issueOneTimeToken } from './one-time-tokens.ts';

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

/** Unknown, expired, spent and outdated tokens get one answer: telling them apart helps no user. */
const invalidToken = () =>
  problems.badRequest('The verification token is invalid, expired or already used.', [
    { field: 'token', message: 'is invalid, expired or already used' },
  ]);

/**
 * Spends the token and marks the email verified, provided the user's email is still the one the
 * token was mailed to. Both happen in one transaction: a token for an outdated address is
 * refused and stays unspent (it can never succeed anyway).
 */
export async function verifyEmail(ctx: AuthContext, token: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const spent = await consumeOneTimeToken(tx, token, 'verify-email');
    if (!spent?.email) throw invalidToken();
    const [verified] = await tx
      .update(users)
      .set({ emailVerified: true, updatedAt: new Date() })
      .where(and(eq(users.id, spent.userId), sql`lower(${users.email}) = lower(${spent.email})`))
      .returning({ id: users.id });
    if (!verified) throw invalidToken();
  });
}
