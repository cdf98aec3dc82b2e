import { asc, eq, getTableColumns, inArray, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { rolePermissions, userRoles, users } from '../db/schema.ts';
import type { UserRow } from './repository.ts';

export interface UserWithAccess {
  user: UserRow;
  roles: string[];
  permissions: string[];
}

// Correlated subqueries keep a user, their roles and their permissions to one round trip:
// GET /user and every token issue need all three. ARRAY(subquery), not coalesce(array_agg(… order
// by …)): the roles come sorted from the primary key's index, and neither needs an aggregate,
// each of which PostgreSQL sets up again (and sorts in) at every call — the statement took 11 %
// more instructions per call that way (docs/performance.md, PostgreSQL's share of GET /user).
const rolesOf = (userId: SQL | string) =>
  sql<string[]>`array(select ur.role from ${userRoles} ur
    where ur.user_id = ${userId} order by ur.role)`;
export const permissionsOf = (userId: SQL | string) =>
  sql<string[]>`array(select distinct rp.permission
    from ${userRoles} ur join ${rolePermissions} rp on rp.role = ur.role
    where ur.user_id = ${userId} order by rp.permission)`;

export async function rolesAndPermissions(
  db: Executor,
  userId: string,
): Promise<{ roles: string[]; permissions: string[] }> {
  const { rows } = await db.execute<{ roles: string[]; permissions: string[] }>(
    sql`select ${rolesOf(userId)} as roles, ${permissionsOf(userId)} as permissions`,
  );
  const row = rows[0];
  return { roles: row?.roles ?? [], permissions: row?.permissions ?? [] };
}

const selectWithAccess = (db: Executor) =>
  db
    .select({
      user: getTableColumns(users),
      roles: rolesOf(sql`${users.id}`).as('roles'),
      permissions: permissionsOf(sql`${users.id}`).as('permissions'),
    })
    .from(users)
    .where(eq(users.id, sql.placeholder('id')));

// GET /user runs this on every call: build the SQL once and let PostgreSQL keep the plan.
const prepared = new WeakMap<
  Executor,
  ReturnType<ReturnType<typeof selectWithAccess>['prepare']>
>();

export async function loadUserWithAccess(
  db: Executor,
  id: string,
): Promise<UserWithAccess | undefined> {
  let statement = prepared.get(db);
  if (!statement) {
    statement = selectWithAccess(db).prepare('load_user_with_access');
    prepared.set(db, statement);
  }
  const [row] = await statement.execute({ id });
  return row;
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
