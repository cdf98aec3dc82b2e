import { asc, eq, inArray, sql } from 'drizzle-orm';
import { rolePermissions, userRoles, users } from '../db/schema.ts';
import type { Executor } from '../events/outbox.ts';

export type UserRow = typeof users.$inferSelect;

export interface UserWithAccess {
  user: UserRow;
  roles: string[];
  permissions: string[];
}

export async function findUserById(db: Executor, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

/** Looks a user up by email or username, both case-insensitive. */
export async function findUserByLogin(db: Executor, login: string): Promise<UserRow | undefined> {
  const column = login.includes('@') ? users.email : users.username;
  const [row] = await db.select().from(users).where(sql`lower(${column}) = lower(${login})`);
  return row;
}

export async function rolesAndPermissions(
  db: Executor,
  userId: string,
): Promise<{ roles: string[]; permissions: string[] }> {
  const roleRows = await db
    .select({ role: userRoles.role })
    .from(userRoles)
    .where(eq(userRoles.userId, userId))
    .orderBy(asc(userRoles.role));
  const roles = roleRows.map((r) => r.role);
  if (roles.length === 0) return { roles, permissions: [] };
  const permissionRows = await db
    .selectDistinct({ permission: rolePermissions.permission })
    .from(rolePermissions)
    .where(inArray(rolePermissions.role, roles))
    .orderBy(asc(rolePermissions.permission));
  return { roles, permissions: permissionRows.map((p) => p.permission) };
}

export async function loadUserWithAccess(
  db: Executor,
  id: string,
): Promise<UserWithAccess | undefined> {
  const user = await findUserById(db, id);
  if (!user) return undefined;
  return { user, ...(await rolesAndPermissions(db, id)) };
}

/** Roles and permissions for a page of users in two queries, whatever the page size. */
export async function withAccess(db: Executor, rows: UserRow[]): Promise<UserWithAccess[]> {
  if (rows.length === 0) return [];
  const roleRows = await db
    .select({ userId: userRoles.userId, role: userRoles.role })
    .from(userRoles)
    .where(
      inArray(
        userRoles.userId,
        rows.map((u) => u.id),
      ),
    )
    .orderBy(asc(userRoles.role));
  const roleNames = [...new Set(roleRows.map((r) => r.role))];
  const grants =
    roleNames.length === 0
      ? []
      : await db
          .select({ role: rolePermissions.role, permission: rolePermissions.permission })
          .from(rolePermissions)
          .where(inArray(rolePermissions.role, roleNames));
  return rows.map((user) => {
    const roles = roleRows.filter((r) => r.userId === user.id).map((r) => r.role);
    const permissions = new Set(
      grants.filter((g) => roles.includes(g.role)).map((g) => g.permission),
    );
    return { user, roles, permissions: [...permissions].sort() };
  });
}

/** The public shape of a user; never includes the password hash. */
export function toUserView({ user, roles, permissions }: UserWithAccess, publicUrl: string) {
  return {
    id: user.id,
    email: user.email,
    email_verified: user.emailVerified,
    username: user.username,
    display_name: user.displayName,
    bio: user.bio,
    avatar_url: user.avatarEtag
      ? `${publicUrl}/accounts/v1/users/${user.id}/avatar?v=${user.avatarEtag}`
      : null,
    roles,
    permissions,
    created_at: user.createdAt.toISOString(),
  };
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
