import type { Executor } from '../db/index.ts';
import {
  holderOfOneTimeToken,
  insertOneTimeToken,
  type Purpose,
  spendOneTimeToken,
} from './repository.ts';
import { hashSecret, newSecret } from './secrets.ts';

/** Creates a single-use token; only its hash is stored. Returns the token to mail. */
export async function issueOneTimeToken(
  db: Executor,
  input: { userId: string; purpose: Purpose; ttlSeconds: number; email?: string },
): Promise<string> {
  const { token, hash } = newSecret();
  await insertOneTimeToken(db, {
    tokenHash: hash,
    userId: input.userId,
    purpose: input.purpose,
    email: input.email,
    expiresAt: new Date(Date.now() + input.ttlSeconds * 1000),
  });
  return token;
}

/**
 * Marks the token used and returns it, or undefined when it is unknown, expired, already used or
 * for another purpose. Two concurrent uses yield one winner.
 */
export const consumeOneTimeToken = (db: Executor, token: string, purpose: Purpose) =>
  spendOneTimeToken(db, hashSecret(token), purpose);

/**
 * The user a live token belongs to, without spending it: a caller locks that user's row before
 * it spends the token. Spending first and locking after deadlocked with a concurrent change of
 * the same user that holds the row and spends the user's other tokens (two reset links confirmed
 * at once, a reset and an email confirmation): a 500 for one of them.
 */
export const holderOfToken = (db: Executor, token: string, purpose: Purpose) =>
  holderOfOneTimeToken(db, hashSecret(token), purpose);
