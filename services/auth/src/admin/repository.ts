import { and, asc, eq, exists, ilike, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { roles, sessions, userRoles, users } from '../db/schema.ts';
import { isLive } from '../sessions/repository.ts';
import { permissionsOf } from '../users/access-repository.ts';
import type { UserRow } from '../users/repository.ts';
import type { UserCursor } from './cursor.ts';

export interface UserFilter {
  q?: string;
  role?: string;
  after?: UserCursor;
  limit: number;
}

/** `%`, `_` and `\` typed by the caller are matched literally (backslash is LIKE's escape). */
const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Users in (created_at, id) order after the cursor, each with its cursor position. The position
 * is read as text with microseconds: a JS Date would drop them and break ties between pages.
 */
export async function findUsers(
  db: Executor,
  filter: UserFilter,
): Promise<{ user: UserRow; at: string }[]> {
  const conditions: SQL[] = [];
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`;
    conditions.push(
      or(
        // Emails and usernames in ASCII letter case, as they are unique and signed in with
        // (db/columns.ts sameLetters): the database's locale may fold I to the dotless ı.
        sql`${users.email} collate "C" ilike ${pattern}`,
        sql`${users.username} collate "C" ilike ${pattern}`,
        ilike(users.displayName, pattern),
      )!,
    );
  }
  if (filter.role) {
    const withRole = db
      .select({ one: sql`1` })
      .from(userRoles)
      .where(and(eq(userRoles.userId, users.id), eq(userRoles.role, filter.role)));
    conditions.push(exists(withRole));
  }
  if (filter.after) {
    conditions.push(
      sql`(${users.createdAt}, ${users.id}) > ((${filter.after.at}::timestamp at time zone 'UTC'), ${filter.after.id}::uuid)`,
    );
  }
  return db
    .select({
      user: users,
      at: sql<string>`to_char(${users.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')`,
    })
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.createdAt), asc(users.id))
    .limit(filter.limit);
}

export async function existingRoles(db: Executor, names: string[]): Promise<Set<string>> {
  const rows = await db.select({ name: roles.name }).from(roles).where(inArray(roles.name, names));
  return new Set(rows.map((r) => r.name));
}

/**
 * Whether the caller's session is live and what the caller may do, in one statement and so one
 * snapshot: read apart, a demotion committing between the two reads showed the demoted caller's
 * session still live and their admin role already gone, a 403 where a signed-out caller gets 401.
 */
export async function callerAccess(
  db: Executor,
  sessionId: string,
  userId: string,
): Promise<{ live: boolean; permissions: string[] }> {
  const live = db
    .select({ one: sql`1` })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), isLive()));
  const { rows } = await db.execute<{ live: boolean; permissions: string[] }>(
    sql`select exists (${live}) as live, ${permissionsOf(userId)} as permissions`,
  );
  return rows[0]!;
}

/**
 * Held to commit: role changes run one at a time. They are rare, and each reads state another
 * may be changing: its caller's session and roles, and how many admins are left.
 */
export async function lockRoleChanges(db: Executor): Promise<void> {
  await db.execute(sql`select pg_advisory_xact_lock(hashtext('user-roles'))`);
}

/** The ids of all admins; role changes run one at a time (lockRoleChanges), so this stays true. */
export async function adminIds(db: Executor): Promise<string[]> {
  const rows = await db
    .select({ userId: userRoles.userId })
    .from(userRoles)
    .where(eq(userRoles.role, 'admin'));
  return rows.map((r) => r.userId);
}

export async function currentRoles(db: Executor, userId: string): Promise<string[]> {
  const rows = await db
    .select({ role: userRoles.role })
    .from(userRoles)
    .where(eq(userRoles.userId, userId));
  return rows.map((r) => r.role);
}

/** Changes only the rows that differ, so a kept role's row (and any lock on it) is untouched. */
export async function replaceRoles(
  db: Executor,
  userId: string,
  from: string[],
  to: string[],
): Promise<void> {
  const removed = from.filter((r) => !to.includes(r));
  const added = to.filter((r) => !from.includes(r));
  if (removed.length > 0) {
    await db
      .delete(userRoles)
      .where(and(eq(userRoles.userId, userId), inArray(userRoles.role, removed)));
  }
  if (added.length > 0) {
    await db
      .insert(userRoles)
      .values(added.map((role) => ({ userId, role })))
      .onConflictDoNothing();
  }
  await db.update(users).set({ updatedAt: new Date() }).where(eq(users.id, userId));
}
