import { and, asc, count, eq, gt, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { passkeys, webauthnChallenges } from '../db/schema.ts';

export type PasskeyRow = typeof passkeys.$inferSelect;
type Purpose = 'registration' | 'authentication';

export async function insertChallenge(
  db: Executor,
  values: { challenge: string; purpose: Purpose; userId: string | null; expiresAt: Date },
): Promise<string> {
  const [row] = await db
    .insert(webauthnChallenges)
    .values(values)
    .returning({ id: webauthnChallenges.id });
  return row!.id;
}

/** Removes and returns a live sign-in challenge: each is answered at most once. */
export async function takeChallengeById(db: Executor, id: string, purpose: Purpose) {
  const [row] = await db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.id, id),
        eq(webauthnChallenges.purpose, purpose),
        gt(webauthnChallenges.expiresAt, sql`now()`),
      ),
    )
    .returning();
  return row;
}

/** Removes and returns the user's live registration challenge with this value. */
export async function takeRegistrationChallenge(db: Executor, userId: string, challenge: string) {
  const [row] = await db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.userId, userId),
        eq(webauthnChallenges.challenge, challenge),
        eq(webauthnChallenges.purpose, 'registration'),
        gt(webauthnChallenges.expiresAt, sql`now()`),
      ),
    )
    .returning();
  return row;
}

export async function pruneChallenges(db: Executor): Promise<number> {
  const { rowCount } = await db
    .delete(webauthnChallenges)
    .where(lt(webauthnChallenges.expiresAt, sql`now()`));
  return rowCount ?? 0;
}

export async function listPasskeys(db: Executor, userId: string): Promise<PasskeyRow[]> {
  return db
    .select()
    .from(passkeys)
    .where(eq(passkeys.userId, userId))
    .orderBy(asc(passkeys.createdAt), asc(passkeys.id));
}

export async function countPasskeys(db: Executor, userId: string): Promise<number> {
  const [row] = await db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId));
  return row?.n ?? 0;
}

export async function findPasskeyByCredentialId(db: Executor, credentialId: string) {
  const [row] = await db.select().from(passkeys).where(eq(passkeys.credentialId, credentialId));
  return row;
}

/** Fails with a unique violation when the credential is registered already. */
export async function insertPasskey(
  db: Executor,
  values: Omit<typeof passkeys.$inferInsert, 'id' | 'createdAt' | 'lastUsedAt'>,
): Promise<PasskeyRow> {
  const [row] = await db.insert(passkeys).values(values).returning();
  return row!;
}

/**
 * Stores the new signature counter, only if it is still the one the check was made against: of
 * two concurrent uses of one assertion, one wins.
 */
export async function recordUse(
  db: Executor,
  id: string,
  previousCounter: number,
  newCounter: number,
): Promise<boolean> {
  const updated = await db
    .update(passkeys)
    .set({ counter: newCounter, lastUsedAt: new Date() })
    .where(and(eq(passkeys.id, id), eq(passkeys.counter, previousCounter)))
    .returning({ id: passkeys.id });
  return updated.length === 1;
}

export async function renamePasskey(db: Executor, userId: string, id: string, name: string) {
  const [row] = await db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .returning();
  return row;
}

export async function deletePasskey(db: Executor, userId: string, id: string) {
  const [row] = await db
    .delete(passkeys)
    .where(and(eq(passkeys.id, id), eq(passkeys.userId, userId)))
    .returning();
  return row;
}
