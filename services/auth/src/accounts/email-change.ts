import { createHash } from 'node:crypto';
import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { issueOneTimeToken } from '../credentials/one-time-tokens.ts';
import { spendEmailTokensExcept, spendOutstandingTokens } from '../credentials/repository.ts';
import type { Executor } from '../db/index.ts';
import type { MailMessage } from '../mail/mailer.ts';
import { countAttempt, lockedFor } from '../throttle/repository.ts';
import { emailUsedByAnother, promotePendingEmail, type UserRow } from '../users/repository.ts';
import { addressInUse, changeNotice, confirmationMail } from './mails.ts';

const CONFIRM_TTL = 24 * 3600;

/**
 * The same address in other ASCII letters. Not toLowerCase: it folds other scripts too (the Kelvin
 * sign U+212A to k), and such a respelling takes the new address without a mailed proof.
 */
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
export const sameAddress = (a: string, b: string) => asciiLower(a) === asciiLower(b);
const limitKey = (userId: string) => `email-change:user:${userId}`;
/**
 * Email-change mails one address is sent per window, whatever accounts ask: each account has its
 * own limit, and many accounts naming one victim's address would otherwise flood that mailbox.
 * The key holds a hash, not the address.
 */
const MAILS_PER_RECIPIENT = 3;
const recipientKey = (email: string) =>
  `email-change:to:${createHash('sha256').update(asciiLower(email)).digest('hex')}`;
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

  // Past the recipient's limit the new address is sent nothing (no token either); the answer and
  // the notice to the current address stay the same, so the caller learns nothing from it.
  const sent = await countAttempt(
    tx,
    recipientKey(email),
    MAILS_PER_RECIPIENT,
    ctx.config.LOGIN_FAILURE_WINDOW,
  );
  const toNewAddress =
    sent > MAILS_PER_RECIPIENT
      ? []
      : [
          (await emailUsedByAnother(tx, email, user.id))
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
              ),
        ];
  return {
    columns: { pendingEmail: email },
    mails: [...toNewAddress, changeNotice(ctx, user, email)],
  };
}

/**
 * Makes the pending address the account's email once its token came back. The caller's
 * transaction fails with the unique violation when another account took the address meanwhile.
 * Reset links mailed to the old address stop working with it.
 */
export async function completeEmailChange(tx: Executor, user: UserRow) {
  const email = user.pendingEmail!;
  await promotePendingEmail(tx, user.id, email);
  await spendEmailTokensExcept(tx, user.id, email);
  await spendOutstandingTokens(tx, user.id, 'reset-password');
}
