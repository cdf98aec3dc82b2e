import { type FieldError, problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import {
  currentRoles,
  existingRoles,
  findUsers,
  lockAdmins,
  lockUser,
  replaceRoles,
} from './admin-repository.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { toUserView, withAccess } from './repository.ts';
import { getUser } from './service.ts';

export async function listUsers(
  ctx: AuthContext,
  query: { q?: string; role?: string; limit: number; cursor?: string },
) {
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  const q = query.q?.trim();
  // One row more than asked says whether another page exists without a count query.
  const rows = await findUsers(ctx.db, {
    ...(q ? { q } : {}),
    ...(query.role ? { role: query.role } : {}),
    ...(after ? { after } : {}),
    limit: query.limit + 1,
  });
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  const items = await withAccess(
    ctx.db,
    page.map((r) => r.user),
  );
  return {
    items: items.map((u) => toUserView(u, ctx.config.PUBLIC_URL)),
    next_cursor:
      rows.length > query.limit && last ? encodeCursor({ at: last.at, id: last.user.id }) : null,
  };
}

/**
 * Replaces the user's roles. Tokens already issued keep their roles until they are refreshed;
 * the returned user shows the new ones.
 */
export async function setRoles(ctx: AuthContext, userId: string, roles: string[]) {
  const known = await existingRoles(ctx.db, roles);
  const unknown: FieldError[] = roles.flatMap((role, i) =>
    known.has(role) ? [] : [{ field: `roles.${i}`, message: `"${role}" is not a role` }],
  );
  if (unknown.length > 0) throw problems.badRequest('Some roles do not exist.', unknown);

  await ctx.db.transaction(async (tx) => {
    if (!(await lockUser(tx, userId))) throw problems.notFound('The user does not exist.');
    const from = await currentRoles(tx, userId);
    if (from.includes('admin') && !roles.includes('admin')) {
      const admins = await lockAdmins(tx);
      if (!admins.some((id) => id !== userId)) {
        throw problems.conflict('The last admin cannot lose the admin role.', [
          { field: 'roles', message: 'must include admin: this user is the last admin' },
        ]);
      }
    }
    await replaceRoles(tx, userId, from, roles);
  });
  return getUser(ctx, userId);
}
