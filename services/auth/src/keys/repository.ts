import { desc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { signingKeys } from '../db/schema.ts';

export type SigningKeyRow = typeof signingKeys.$inferSelect;

/** Held to commit, so replicas starting or rotating together agree on one new key. */
export async function lockRotation(db: Executor): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('signing-key-rotation'))`);
}

/** Keys stored with their private half in plaintext, from before sealing existed. */
export function plaintextKeys(db: Executor): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).where(isNotNull(signingKeys.privateJwk));
}

/** Replaces a key's plaintext private half with its sealed form. */
export async function storeSealed(db: Executor, kid: string, sealed: string): Promise<void> {
  await db
    .update(signingKeys)
    .set({ privateJwk: null, privateKeySealed: sealed })
    .where(eq(signingKeys.kid, kid));
}

/** The `count` newest keys, newest first. */
export function newestKeys(db: Executor, count: number): Promise<SigningKeyRow[]> {
  return db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).limit(count);
}

export async function insertKey(
  db: Executor,
  key: Pick<SigningKeyRow, 'kid' | 'algorithm' | 'publicJwk'> & { privateKeySealed: string },
): Promise<void> {
  await db.insert(signingKeys).values(key);
}
