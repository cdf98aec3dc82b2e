import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { writeKeys } from './tables.ts';

export type WriteKey = typeof writeKeys.$inferSelect;

export async function insertWriteKey(
  db: Db,
  key: {
    name: string;
    keyHash: string;
    keyPrefix: string;
    createdBy: string | null;
    kind: 'server' | 'browser';
    origins: string[];
  },
): Promise<WriteKey> {
  const [row] = await db.insert(writeKeys).values(key).returning();
  return row!;
}

/** Keys not revoked, newest first. */
export function listWriteKeys(db: Db): Promise<WriteKey[]> {
  return db
    .select()
    .from(writeKeys)
    .where(isNull(writeKeys.revokedAt))
    .orderBy(desc(writeKeys.createdAt));
}

/** False when there is no such key or it was revoked already. */
export async function revokeWriteKey(db: Db, id: string): Promise<boolean> {
  const done = await db
    .update(writeKeys)
    .set({ revokedAt: new Date() })
    .where(and(eq(writeKeys.id, id), isNull(writeKeys.revokedAt)))
    .returning({ id: writeKeys.id });
  return done.length > 0;
}

/** The live key with this id, if any. */
export async function findWriteKeyById(db: Db | Tx, id: string): Promise<WriteKey | undefined> {
  const [row] = await db
    .select()
    .from(writeKeys)
    .where(and(eq(writeKeys.id, id), isNull(writeKeys.revokedAt)));
  return row;
}

/** The live key with this id, locked until the transaction ends, so no change lands between. */
export async function lockWriteKey(tx: Tx, id: string): Promise<WriteKey | undefined> {
  const [row] = await tx
    .select()
    .from(writeKeys)
    .where(and(eq(writeKeys.id, id), isNull(writeKeys.revokedAt)))
    .for('update');
  return row;
}

/** The key changed, or undefined when there is no such key or it was revoked meanwhile. */
export async function updateWriteKey(
  db: Db | Tx,
  id: string,
  change: { name?: string; origins?: string[] },
): Promise<WriteKey | undefined> {
  const [row] = await db
    .update(writeKeys)
    .set(change)
    .where(and(eq(writeKeys.id, id), isNull(writeKeys.revokedAt)))
    .returning();
  return row;
}

/** The live key with this hash, if any. */
export async function findWriteKey(db: Db, keyHash: string): Promise<WriteKey | undefined> {
  const [row] = await db
    .select()
    .from(writeKeys)
    .where(and(eq(writeKeys.keyHash, keyHash), isNull(writeKeys.revokedAt)));
  return row;
}
