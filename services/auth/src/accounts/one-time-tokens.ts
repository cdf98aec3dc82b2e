import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { oneTimeTokens } from '../db/schema.ts';
import { hashSecret, newSecret } from '../sessions/secrets.ts';

type Purpose = 'reset-password' | 'verify-email';

/** Creates a single-use token; only its hash is stored. Returns the token to mail. */
export async function issueOneTimeToken(
  db: Executor,
  input: { userId: string; purpose: Purpose; ttlSeconds: number; email?: string },
): Promise<string> {
  const { token, hash } = newSecret();
  await db.insert(oneTimeTokens).values({
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
 * for another purpose. The conditional update makes two concurrent uses yield one winner.
 */
export async function consumeOneTimeToken(db: Executor, token: string, purpose: Purpose) {
  const [row] = await db
    .update(oneTimeTokens)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(oneTimeTokens.tokenHash, hashSecret(token)),
        eq(oneTimeTokens.purpose, purpose),
        isNull(oneTimeTokens.usedAt),
        gt(oneTimeTokens.expiresAt, new Date()),
      ),
    )
    .returning();
  return row;
}

/** Spends every unused token of the user for `purpose`, e.g. pending reset links once the password changed. */
export async function spendOutstandingTokens(db: Executor, userId: string, purpose: Purpose) {
  await db
    .update(oneTimeTokens)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(oneTimeTokens.userId, userId),
        eq(oneTimeTokens.purpose, purpose),
        isNull(oneTimeTokens.usedAt),
      ),
    );
}

/**
 * Spends the user's unused email tokens for every address but `keep` (the current email), so the
 * link for a replaced or cancelled address change can never complete it.
 */
export async function spendEmailTokensExcept(db: Executor, userId: string, keep: string) {
  await db
    .update(oneTimeTokens)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(oneTimeTokens.userId, userId),
        eq(oneTimeTokens.purpose, 'verify-email'),
        isNull(oneTimeTokens.usedAt),
        sql`lower(${oneTimeTokens.email}) <> lower(${keep})`,
      ),
    );
}
