import { problems } from '@platform/http';
import { and, eq, ne, sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { AuthContext } from '../context.ts';
import { issueOneTimeToken } from '../credentials/one-time-tokens.ts';
import { spendEmailTokensExcept, spendOutstandingTokens } from '../credentials/repository.ts';
import type { Executor } from '../db/index.ts';
import { users } from '../db/schema.ts';
import { describeError } from '../mail/errors.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { countAttempt, lockedFor } from '../throttle/repository.ts';
import type { UserRow } from './repository.ts';

const CONFIRM_TTL = 24 * 3600;

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
const limitKey = (userId: string) => `email-change:user:${userId}`;
const tooMany = (retryAfter: number) =>
  problems.tooManyRequests(retryAfter, 'Too many email changes; try again later.');

/** Refuses early, before any password is checked, when the account has used up its changes. */
export async function assertEmailChangeAllowed(ctx: AuthContext, userId: string) {
  const wait = (await lockedFor(ctx.db, [limitKey(userId)])).get(limitKey(userId));
  if (wait) throw tooMany(wait);
}

export interface StagedEmailChange {
  /** The columns to set on the user row. */
  columns: Partial<Pick<UserRow, 'email' | 'pendingEmail'>>;
  /** What to mail once the change has committed. */
  mails: MailMessage[];
}

/**
 * Inside the profile update's transaction, with the user's row locked. The same address in
 * other letters is only respelled and cancels a pending change. Any other address becomes
 * `pending_email` (replacing an earlier one, whose link dies) and is mailed a token; the current
 * address is told. The answer is the same when the address already belongs to another account:
 * that mailbox is then told someone tried to use it and gets no token, so the caller cannot tell
 * which addresses have accounts. Each new address counts against the account's limit.
 */
export async function stageEmailChange(
  ctx: AuthContext,
  tx: Executor,
  user: UserRow,
  email: string,
): Promise<StagedEmailChange> {
  await spendEmailTokensExcept(tx, user.id, user.email);
  if (sameAddress(email, user.email)) return { columns: { email, pendingEmail: null }, mails: [] };

  const limit = ctx.config.EMAIL_CHANGE_MAX_PER_ACCOUNT;
  // Under the row lock of the counter, so concurrent requests cannot all slip under the limit.
  const count = await countAttempt(tx, limitKey(user.id), limit, ctx.config.LOGIN_FAILURE_WINDOW);
  if (count > limit) throw tooMany(ctx.config.LOGIN_FAILURE_WINDOW);

  const [owner] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(sql`lower(${users.email}) = lower(${email})`, ne(users.id, user.id)));
  const confirmation = owner
    ? addressInUse(ctx, email)
    : confirmationMail(
        ctx,
        user,
        email,
        await issueOneTimeToken(tx, {
          userId: user.id,
          purpose: 'verify-email',
          ttlSeconds: CONFIRM_TTL,
          email,
        }),
      );
  return {
    columns: { pendingEmail: email },
    mails: [confirmation, changeNotice(user, email)],
  };
}

/**
 * Makes the pending address the account's email once its token came back. The caller's
 * transaction fails with the unique violation when another account took the address meanwhile.
 * Reset links mailed to the old address stop working with it.
 */
export async function completeEmailChange(tx: Executor, user: UserRow) {
  const email = user.pendingEmail!;
  await tx
    .update(users)
    .set({ email, pendingEmail: null, emailVerified: true, updatedAt: new Date() })
    .where(eq(users.id, user.id));
  await spendEmailTokensExcept(tx, user.id, email);
  await spendOutstandingTokens(tx, user.id, 'reset-password');
}

/** A password change or reset cancels a pending email change: the notice says so. */
export async function cancelEmailChange(tx: Executor, userId: string) {
  const [user] = await tx
    .update(users)
    .set({ pendingEmail: null })
    .where(eq(users.id, userId))
    .returning({ email: users.email });
  if (user) await spendEmailTokensExcept(tx, userId, user.email);
}

/** After commit; a mail that cannot be sent is logged (without the address) and left at that. */
export async function sendMails(ctx: AuthContext, mails: MailMessage[], log: FastifyBaseLogger) {
  for (const mail of mails) {
    try {
      await ctx.mailer.send(mail);
    } catch (error) {
      log.warn(
        { error: describeError(error), subject: mail.subject },
        'email change mail not sent',
      );
    }
  }
}

function confirmationMail(
  ctx: AuthContext,
  user: UserRow,
  email: string,
  token: string,
): MailMessage {
  return {
    to: email,
    subject: 'Confirm your new email address',
    text: [
      `Hello ${user.username},`,
      '',
      'You asked to use this address for your account. Confirm that it is yours by sending',
      `this token to POST ${ctx.config.PUBLIC_URL}/accounts/v1/verify-email as {"token": "<token>"}:`,
      '',
      `    ${token}`,
      '',
      'The token is valid for 24 hours. Until then your account keeps its current address.',
      'If you did not ask for this, ignore this mail.',
    ].join('\n'),
  };
}

function addressInUse(ctx: AuthContext, email: string): MailMessage {
  return {
    to: email,
    subject: 'Someone tried to use this address',
    text: [
      'Hello,',
      '',
      'Someone asked to move another account to this email address. This address already',
      'belongs to an account, so nothing was changed.',
      '',
      'If that was you, sign in with this address instead, or reset its password at',
      `${ctx.config.PUBLIC_URL}/accounts/v1/reset-password. Otherwise you can ignore this mail.`,
    ].join('\n'),
  };
}

function changeNotice(user: UserRow, email: string): MailMessage {
  return {
    to: user.email,
    subject: 'Your email address is being changed',
    text: [
      `Hello ${user.username},`,
      '',
      `Someone signed in to your account asked to change its email address to ${email}.`,
      'The change takes effect only when it is confirmed from that address.',
      '',
      'If you did not ask for this, change your password at once (or reset it from this',
      'address): that cancels the change and signs out your other sessions.',
    ].join('\n'),
  };
}
