import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { mfaChallenges, oauthLoginCodes, recoveryCodes, totpFactors, users } from '../db/schema.ts';

export type TotpFactorRow = typeof totpFactors.$inferSelect;

export async function findFactor(db: Executor, userId: string) {
  const [row] = await db.select().from(totpFactors).where(eq(totpFactors.userId, userId));
  return row;
}

/** The factor's row, locked until commit (enrolment's verification, disabling). */
export async function lockFactor(db: Executor, userId: string) {
  const [row] = await db
    .select()
    .from(totpFactors)
    .where(eq(totpFactors.userId, userId))
    .for('update');
  return row;
}

/** A new pending factor, replacing an earlier pending one (the caller checked none is verified). */
export async function storePendingFactor(db: Executor, userId: string, secretSealed: string) {
  await db
    .insert(totpFactors)
    .values({ userId, secretSealed })
    .onConflictDoUpdate({
      target: totpFactors.userId,
      set: { secretSealed, createdAt: sql`now()`, verifiedAt: null, lastUsedStep: null },
      where: isNull(totpFactors.verifiedAt),
    });
}

/**
 * Turns the pending factor on. The code that proved it (of `step`) is not spent: the first
 * sign-in may use it once (a client enabling MFA and signing in within one 30 s step sends the
 * same code). The step before it is recorded as used, so older codes stay refused (claimStep).
 */
export async function markFactorVerified(db: Executor, userId: string, step: number) {
  await db
    .update(totpFactors)
    .set({ verifiedAt: new Date(), lastUsedStep: step - 1, enrolledStep: step })
    .where(eq(totpFactors.userId, userId));
}

/**
 * Records `step` as the last one used, only when it is later than the last one: false when this
 * code (or a later one) was already accepted. One statement, so two requests racing with the
 * same code cannot both win.
 */
export async function claimStep(
  db: Executor,
  userId: string,
  step: number,
  notEnrolment = false,
): Promise<boolean> {
  const claimed = await db
    .update(totpFactors)
    .set({ lastUsedStep: step })
    .where(
      and(
        eq(totpFactors.userId, userId),
        or(isNull(totpFactors.lastUsedStep), lt(totpFactors.lastUsedStep, step)),
        notEnrolment
          ? or(isNull(totpFactors.enrolledStep), lt(totpFactors.enrolledStep, step))
          : undefined,
      ),
    )
    .returning({ userId: totpFactors.userId });
  return claimed.length > 0;
}

/**
 * Ends the sign-ins in flight without touching the factor (a password reset or change): open
 * challenges, whose `mfa_token` proved the password as it was, and unredeemed OIDC login codes,
 * so a sign-in started before the owner signed everyone out cannot finish after it. Codes first,
 * as in deleteSecondFactor.
 */
export async function deleteSignInsInFlight(db: Executor, userId: string) {
  await db.delete(oauthLoginCodes).where(eq(oauthLoginCodes.userId, userId));
  await db.delete(mfaChallenges).where(eq(mfaChallenges.userId, userId));
}

/**
 * Removes the factor, its recovery codes, and the sign-ins in flight that were issued under it:
 * open challenges (`mfa_token`s) and unredeemed OIDC login codes. Without the factor, a code
 * handed out while MFA was on would be exchanged for tokens with no second step at all. Codes
 * go first: an exchange under way holds its code until it commits, and the challenge it opens
 * is then removed below.
 */
export async function deleteSecondFactor(db: Executor, userId: string) {
  await db.delete(oauthLoginCodes).where(eq(oauthLoginCodes.userId, userId));
  await db.delete(totpFactors).where(eq(totpFactors.userId, userId));
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.delete(mfaChallenges).where(eq(mfaChallenges.userId, userId));
}

/**
 * Ends the sign-ins waiting for their second step that this provider identity started: through
 * it, or, begun before it was linked, to link it (its provider account as their pending link).
 */
export async function deleteChallengesOfIdentity(
  db: Executor,
  userId: string,
  identity: { id: string; provider: string; subject: string },
) {
  await db
    .delete(mfaChallenges)
    .where(
      and(
        eq(mfaChallenges.userId, userId),
        or(
          eq(mfaChallenges.identityId, identity.id),
          and(
            eq(mfaChallenges.linkProvider, identity.provider),
            eq(mfaChallenges.linkSubject, identity.subject),
          ),
        ),
      ),
    );
}

export async function setMfaEnabled(db: Executor, userId: string, enabled: boolean) {
  await db
    .update(users)
    .set({ mfaEnabled: enabled, updatedAt: new Date() })
    .where(eq(users.id, userId));
}

export async function replaceRecoveryCodes(db: Executor, userId: string, hashes: Buffer[]) {
  await db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await db.insert(recoveryCodes).values(hashes.map((codeHash) => ({ codeHash, userId })));
}

/** Spends the code if it is the user's and unused; false otherwise. */
export async function spendRecoveryCode(db: Executor, userId: string, codeHash: Buffer) {
  const spent = await db
    .update(recoveryCodes)
    .set({ usedAt: new Date() })
    .where(
      and(
        eq(recoveryCodes.codeHash, codeHash),
        eq(recoveryCodes.userId, userId),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ userId: recoveryCodes.userId });
  return spent.length > 0;
}

export async function unusedRecoveryCodes(db: Executor, userId: string): Promise<number> {
  const [row] = await db
    .select({ count: sql<number>`count(*)::int` })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.count ?? 0;
}

export async function insertChallenge(
  db: Executor,
  values: {
    tokenHash: Buffer;
    userId: string;
    method: string;
    identityId: string | null;
    linkProvider: string | null;
    linkSubject: string | null;
    linkEmail: string | null;
    expiresAt: Date;
  },
) {
  await db.insert(mfaChallenges).values(values);
}

/** The unspent, unexpired challenge with this hash; `lock` holds it until commit. */
export async function liveChallenge(db: Executor, tokenHash: Buffer, lock = false) {
  const query = db
    .select({
      userId: mfaChallenges.userId,
      method: mfaChallenges.method,
      identityId: mfaChallenges.identityId,
      linkProvider: mfaChallenges.linkProvider,
      linkSubject: mfaChallenges.linkSubject,
      linkEmail: mfaChallenges.linkEmail,
    })
    .from(mfaChallenges)
    .where(
      and(
        eq(mfaChallenges.tokenHash, tokenHash),
        isNull(mfaChallenges.usedAt),
        gt(mfaChallenges.expiresAt, new Date()),
      ),
    );
  const [row] = lock ? await query.for('update') : await query;
  return row;
}

export async function spendChallenge(db: Executor, tokenHash: Buffer) {
  await db
    .update(mfaChallenges)
    .set({ usedAt: new Date() })
    .where(eq(mfaChallenges.tokenHash, tokenHash));
}

export async function pruneChallenges(db: Executor): Promise<number> {
  const { rowCount } = await db.execute(sql`delete from mfa_challenges where expires_at < now()`);
  return rowCount ?? 0;
}
