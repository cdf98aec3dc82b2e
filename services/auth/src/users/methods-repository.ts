import { eq, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { passkeys, userIdentities, users } from '../db/schema.ts';

/**
 * The ways a user can sign in: a password, linked provider identities, passkeys. Run it in the
 * transaction that removes one, after `lockUser`, so two removals cannot each leave the other.
 */
export async function signInMethods(db: Executor, userId: string) {
  // Written out: inside a select list drizzle leaves columns unqualified, and "id" is ambiguous.
  const { rows } = await db.execute<{
    password: boolean;
    identities: number;
    passkeys: number;
  }>(sql`
    select u.password_hash is not null as password,
      (select count(*)::int from ${userIdentities} i where i.user_id = u.id) as identities,
      (select count(*)::int from ${passkeys} p where p.user_id = u.id) as passkeys
    from ${users} u where u.id = ${userId}`);
  const row = rows[0];
  if (!row) return undefined;
  return { ...row, total: (row.password ? 1 : 0) + row.identities + row.passkeys };
}

/** Unlinks every provider identity of the user; returns what was removed. */
export async function deleteIdentitiesOf(db: Executor, userId: string) {
  return db.delete(userIdentities).where(eq(userIdentities.userId, userId)).returning();
}

/** Removes every passkey of the user; returns what was removed. */
export async function deletePasskeysOf(db: Executor, userId: string) {
  return db.delete(passkeys).where(eq(passkeys.userId, userId)).returning({ id: passkeys.id });
}
