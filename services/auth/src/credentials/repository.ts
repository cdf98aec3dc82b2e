import { and, eq, gt, isNull, not } from 'drizzle-orm';
import { sameLetters } from '../db/columns.ts';
import type { Executor } from '../db/index.ts';
import { oneTimeTokens } from '../db/schema.ts';

export type Purpose = 'reset-password' | 'verify-email';

export async function insertOneTimeToken(
  db: Executor,
  row: { tokenHash: Buffer; userId: string; purpose: Purpose; email?: string; expiresAt: Date },
): Promise<void> {
  await db.insert(oneTimeTokens).values(row);
}

/** The token with this hash for `purpose`, if it is live: neither used nor expired. */
const liveToken = (tokenHash: Buffer, purpose: Purpose) =>
  and(
    eq(oneTimeTokens.tokenHash, tokenHash),
    eq(oneTimeTokens.purpose, purpose),
    isNull(oneTimeTokens.usedAt),
    gt(oneTimeTokens.expiresAt, new Date()),
  );

/** The user a live token with this hash belongs to, without spending it. */
export async function holderOfOneTimeToken(db: Executor, tokenHash: Buffer, purpose: Purpose) {
  const [row] = await db
    .select({ userId: oneTimeTokens.userId })
    .from(oneTimeTokens)
    .where(liveToken(tokenHash, purpose));
  return row?.userId;
}

/** Marks the live token with this hash used and returns it; the conditional update lets one use win. */
export async function spendOneTimeToken(db: Executor, tokenHash: Buffer, purpose: Purpose) {
  const [row] = await db
    .update(oneTimeTokens)
    .set({ usedAt: new Date() })
    .where(liveToken(tokenHash, purpose))
    .returning();
  return row;
}

/** Whether the user was issued a token for `purpose` after `since`. */
export async function issuedSince(
  db: Executor,
  userId: string,
  purpose: Purpose,
  since: Date,
): Promise<boolean> {
  const [recent] = await db
    .select({ createdAt: oneTimeTokens.createdAt })
    .from(oneTimeTokens)
    .where(
      and(
        eq(oneTimeTokens.userId, userId),
        eq(oneTimeTokens.purpose, purpose),
        gt(oneTimeTokens.createdAt, since),
      ),
    )
    .limit(1);
  return Boolean(recent);
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
        not(sameLetters(oneTimeTokens.email, keep)),
      ),
    );
}
