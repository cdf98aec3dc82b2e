import { and, eq, ne, sql } from 'drizzle-orm';
import { sameLetters } from '../db/columns.ts';
import type { Executor } from '../db/index.ts';
import { userRoles, users } from '../db/schema.ts';

export type UserRow = typeof users.$inferSelect;

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

/**
 * The user's row, locked to commit against concurrent changes and sign-ins (but not against rows
 * that merely reference it). Sign-ins take it too, not a shared lock: shared lockers pass a
 * waiting change, so a stream of overlapping sign-ins (whoever holds the password, in a loop)
 * held the owner's password change, a demotion or a deletion back for as long as it went on.
 * This lock queues: a change waits for the sign-ins ahead of it only. One user's sign-ins take
 * turns for the short transaction that opens their session; their argon2 checks run before it.
 */
export async function lockUser(db: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).for('no key update');
  return row;
}

/** Looks a user up by email or username, both case-insensitive. */
export async function findUserByLogin(db: Executor, login: string): Promise<UserRow | undefined> {
  const column = login.includes('@') ? users.email : users.username;
  const [row] = await db.select().from(users).where(sameLetters(column, login));
  return row;
}

export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(sameLetters(users.email, email));
  return row;
}

/** Whether another account than `userId` uses `email` (any letter case). */
export async function emailUsedByAnother(
  db: Executor,
  email: string,
  userId: string,
): Promise<boolean> {
  const [owner] = await db
    .select({ id: users.id })
    .from(users)
    .where(and(sameLetters(users.email, email), ne(users.id, userId)));
  return Boolean(owner);
}

/** A taken email or username fails with the unique violation (see `conflictingField`). */
export async function insertUser(
  db: Executor,
  values: {
    email: string;
    username: string;
    passwordHash: string | null;
    emailVerified: boolean;
    roles: string[];
  },
): Promise<string> {
  const [user] = await db
    .insert(users)
    .values({
      email: values.email,
      username: values.username,
      passwordHash: values.passwordHash,
      emailVerified: values.emailVerified,
      ...(values.emailVerified ? { emailFirstVerifiedAt: sql`now()` } : {}),
    })
    .returning({ id: users.id });
  await db.insert(userRoles).values(values.roles.map((role) => ({ userId: user!.id, role })));
  return user!.id;
}

export type ProfileColumns = Partial<
  Pick<UserRow, 'username' | 'email' | 'pendingEmail' | 'displayName' | 'bio'>
>;

export async function updateProfile(db: Executor, id: string, columns: ProfileColumns) {
  const [row] = await db
    .update(users)
    .set({ ...columns, updatedAt: new Date() })
    .where(eq(users.id, id))
    .returning();
  return row;
}

/** The first proof of an address is kept: ways in added before it came without one. */
const firstProof = sql`coalesce(${users.emailFirstVerifiedAt}, now())`;

export async function markEmailVerified(db: Executor, id: string): Promise<void> {
  await db
    .update(users)
    .set({ emailVerified: true, emailFirstVerifiedAt: firstProof, updatedAt: new Date() })
    .where(eq(users.id, id));
}

/** Makes `email` (the confirmed pending address) the account's verified email. */
export async function promotePendingEmail(db: Executor, id: string, email: string): Promise<void> {
  await db
    .update(users)
    .set({
      email,
      pendingEmail: null,
      emailVerified: true,
      emailFirstVerifiedAt: firstProof,
      updatedAt: new Date(),
    })
    .where(eq(users.id, id));
}

/** Clears a pending email change; returns the account's current email. */
export async function clearPendingEmail(db: Executor, id: string) {
  const [user] = await db
    .update(users)
    .set({ pendingEmail: null })
    .where(eq(users.id, id))
    .returning({ email: users.email });
  return user?.email;
}

export async function setPasswordHash(db: Executor, id: string, passwordHash: string) {
  await db.update(users).set({ passwordHash, updatedAt: new Date() }).where(eq(users.id, id));
}

/** Deletes the user; roles, avatar, sessions and tokens go with it (ON DELETE CASCADE). */
export async function deleteUser(db: Executor, id: string): Promise<void> {
  await db.delete(users).where(eq(users.id, id));
}

/** Postgres unique violations on our two case-insensitive indexes, as the field they concern. */
export function conflictingField(error: unknown): 'email' | 'username' | undefined {
  const e = error as {
    code?: string;
    constraint?: string;
    cause?: { code?: string; constraint?: string };
  };
  const pgError = e.code ? e : e.cause;
  if (pgError?.code !== '23505') return undefined;
  if (pgError.constraint === 'users_email_key') return 'email';
  if (pgError.constraint === 'users_username_key') return 'username';
  return undefined;
}
