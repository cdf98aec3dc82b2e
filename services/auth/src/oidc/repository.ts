import { and, asc, eq, gt, lt, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { oauthFlows, oauthLoginCodes, userIdentities } from '../db/schema.ts';

export type IdentityRow = typeof userIdentities.$inferSelect;
export type FlowRow = typeof oauthFlows.$inferSelect;

export async function insertFlow(db: Executor, values: typeof oauthFlows.$inferInsert) {
  await db.insert(oauthFlows).values(values);
}

/** Removes and returns the live flow with this state hash: a state is good for one callback. */
export async function takeFlow(db: Executor, stateHash: Buffer): Promise<FlowRow | undefined> {
  const [row] = await db
    .delete(oauthFlows)
    .where(and(eq(oauthFlows.stateHash, stateHash), gt(oauthFlows.expiresAt, sql`now()`)))
    .returning();
  return row;
}

export async function insertLoginCode(db: Executor, values: typeof oauthLoginCodes.$inferInsert) {
  await db.insert(oauthLoginCodes).values(values);
}

/** The user a live code is for, without taking it. */
export async function userOfLoginCode(db: Executor, codeHash: Buffer) {
  const [row] = await db
    .select({ userId: oauthLoginCodes.userId })
    .from(oauthLoginCodes)
    .where(and(eq(oauthLoginCodes.codeHash, codeHash), gt(oauthLoginCodes.expiresAt, sql`now()`)));
  return row?.userId;
}

/** Removes and returns the live code: of two concurrent exchanges, one wins. */
export async function takeLoginCode(db: Executor, codeHash: Buffer) {
  const [row] = await db
    .delete(oauthLoginCodes)
    .where(and(eq(oauthLoginCodes.codeHash, codeHash), gt(oauthLoginCodes.expiresAt, sql`now()`)))
    .returning();
  return row;
}

export async function findIdentity(
  db: Executor,
  provider: string,
  subject: string,
): Promise<IdentityRow | undefined> {
  const [row] = await db
    .select()
    .from(userIdentities)
    .where(and(eq(userIdentities.provider, provider), eq(userIdentities.subject, subject)));
  return row;
}

export async function insertIdentity(
  db: Executor,
  values: { userId: string; provider: string; subject: string; email: string | null },
): Promise<IdentityRow> {
  const [row] = await db
    .insert(userIdentities)
    .values({ ...values, lastUsedAt: new Date() })
    .returning();
  return row!;
}

/** Records a sign-in with the identity, which stays locked until commit; false when it is gone. */
export async function touchIdentity(
  db: Executor,
  id: string,
  email: string | null,
): Promise<boolean> {
  const touched = await db
    .update(userIdentities)
    .set({ lastUsedAt: new Date(), ...(email ? { email } : {}) })
    .where(eq(userIdentities.id, id))
    .returning({ id: userIdentities.id });
  return touched.length > 0;
}

export async function listIdentities(db: Executor, userId: string): Promise<IdentityRow[]> {
  return db
    .select()
    .from(userIdentities)
    .where(eq(userIdentities.userId, userId))
    .orderBy(asc(userIdentities.createdAt), asc(userIdentities.id));
}

export async function deleteIdentity(
  db: Executor,
  userId: string,
  id: string,
): Promise<IdentityRow | undefined> {
  const [row] = await db
    .delete(userIdentities)
    .where(and(eq(userIdentities.id, id), eq(userIdentities.userId, userId)))
    .returning();
  return row;
}

/**
 * The user's unredeemed login codes that are to link this provider account (their identity's go
 * with it by cascade): unlinked, it is not put back by a sign-in begun before.
 */
export async function deletePendingLinkCodes(
  db: Executor,
  userId: string,
  identity: { provider: string; subject: string },
) {
  await db
    .delete(oauthLoginCodes)
    .where(
      and(
        eq(oauthLoginCodes.userId, userId),
        eq(oauthLoginCodes.provider, identity.provider),
        eq(oauthLoginCodes.linkSubject, identity.subject),
      ),
    );
}

/** Flows and codes nobody came back for. */
export async function pruneOidc(db: Executor): Promise<number> {
  const flows = await db.delete(oauthFlows).where(lt(oauthFlows.expiresAt, sql`now()`));
  const codes = await db.delete(oauthLoginCodes).where(lt(oauthLoginCodes.expiresAt, sql`now()`));
  return (flows.rowCount ?? 0) + (codes.rowCount ?? 0);
}
