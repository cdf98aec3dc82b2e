import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import type { Executor } from '../db/index.ts';
import { passkeys, totpFactors, userIdentities, users } from '../db/schema.ts';

/**
 * Which of the user's ways in a reset removes: `all` (an account whose email was never verified),
 * or `unproven`, those added before an address of the account was first proven from its mailbox
 * (none when that time is unknown: accounts verified before it was recorded).
 */
export type Scope = 'all' | 'unproven';

const inScope = (scope: Scope, userId: string, createdAt: PgColumn): SQL | undefined =>
  scope === 'all'
    ? undefined
    : sql`${createdAt} < (select ${users.emailFirstVerifiedAt} from ${users} where ${users.id} = ${userId})`;

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

/** Unlinks the user's provider identities (`scope`); returns what was removed. */
export async function deleteIdentitiesOf(db: Executor, userId: string, scope: Scope = 'all') {
  return db
    .delete(userIdentities)
    .where(and(eq(userIdentities.userId, userId), inScope(scope, userId, userIdentities.createdAt)))
    .returning();
}

/** Removes the user's passkeys (`scope`); returns what was removed. */
export async function deletePasskeysOf(db: Executor, userId: string, scope: Scope = 'all') {
  return db
    .delete(passkeys)
    .where(and(eq(passkeys.userId, userId), inScope(scope, userId, passkeys.createdAt)))
    .returning({ id: passkeys.id });
}

/** Whether the user has a TOTP factor (pending or on) in `scope`. */
export async function hasFactorIn(db: Executor, userId: string, scope: Scope): Promise<boolean> {
  const [row] = await db
    .select({ userId: totpFactors.userId })
    .from(totpFactors)
    .where(and(eq(totpFactors.userId, userId), inScope(scope, userId, totpFactors.createdAt)));
  return row !== undefined;
}

/**
 * Whether the user's identity `id` still exists, held (key share) until commit: a session opened
 * for it in this transaction is then seen by whatever removes it (and revokes what it opened).
 */
export async function holdIdentity(db: Executor, userId: string, id: string): Promise<boolean> {
  const [row] = await db
    .select({ id: userIdentities.id })
    .from(userIdentities)
    .where(and(eq(userIdentities.id, id), eq(userIdentities.userId, userId)))
    .for('key share');
  return row !== undefined;
}

/**
 * Links the provider account to the user, unless it is linked already: then the row that is
 * (another sign-in of the same account committed it first; it may be another user's). `created`:
 * this call made it. The insert waits for a concurrent one of the same (provider, subject).
 */
export async function linkIdentity(
  db: Executor,
  values: { userId: string; provider: string; subject: string; email: string },
) {
  const [created] = await db
    .insert(userIdentities)
    .values({ ...values, lastUsedAt: new Date() })
    .onConflictDoNothing({ target: [userIdentities.provider, userIdentities.subject] })
    .returning({ id: userIdentities.id, userId: userIdentities.userId });
  if (created) return { ...created, created: true };
  const [existing] = await db
    .select({ id: userIdentities.id, userId: userIdentities.userId })
    .from(userIdentities)
    .where(
      and(eq(userIdentities.provider, values.provider), eq(userIdentities.subject, values.subject)),
    )
    .for('key share');
  return existing && { ...existing, created: false };
}
