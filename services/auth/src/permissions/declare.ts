import { type FieldError, problems } from '@platform/http';
import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { permissions, rolePermissions, roles } from '../db/schema.ts';

export interface DeclaredPermission {
  name: string;
  description: string;
  /** Exactly the roles that hold it: a role left out loses it. */
  roles: string[];
}

/**
 * Makes `declared` the whole set of permissions `service` owns, in one transaction: new ones are
 * added, descriptions and role grants follow the declaration, and the ones it declared before
 * but no longer does are removed (with their grants). Declaring the same set again changes
 * nothing. A name another service owns is a 409; a role that does not exist is a 400.
 * Tokens pick the change up when they are next minted (sign-in or refresh).
 */
export async function declarePermissions(
  db: Db,
  service: string,
  declared: DeclaredPermission[],
): Promise<void> {
  const duplicates = declared.flatMap((p, i) =>
    declared.findIndex((q) => q.name === p.name) < i
      ? [{ field: `permissions.${i}.name`, message: `"${p.name}" is declared twice` }]
      : [],
  );
  if (duplicates.length) throw problems.badRequest('A permission is declared twice.', duplicates);
  const names = declared.map((p) => p.name);

  await db.transaction(async (tx) => {
    // Replicas of one service (and auth itself) declare at the same time when they start.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('permissions'))`);
    const wanted = [...new Set(declared.flatMap((p) => p.roles))];
    const known = new Set(
      wanted.length
        ? (
            await tx.select({ name: roles.name }).from(roles).where(inArray(roles.name, wanted))
          ).map((r) => r.name)
        : [],
    );
    const unknown: FieldError[] = declared.flatMap((p, i) =>
      p.roles.flatMap((role, j) =>
        known.has(role)
          ? []
          : [{ field: `permissions.${i}.roles.${j}`, message: `"${role}" is not a role` }],
      ),
    );
    if (unknown.length) throw problems.badRequest('Some roles do not exist.', unknown);

    const owners = new Map(
      names.length
        ? (
            await tx
              .select({ name: permissions.name, service: permissions.service })
              .from(permissions)
              .where(inArray(permissions.name, names))
          ).map((r) => [r.name, r.service])
        : [],
    );
    const taken: FieldError[] = declared.flatMap((p, i) => {
      const owner = owners.get(p.name);
      return owner && owner !== service
        ? [{ field: `permissions.${i}.name`, message: `"${p.name}" belongs to ${owner}` }]
        : [];
    });
    if (taken.length) {
      throw problems.conflict('Some permissions belong to another service.', taken);
    }

    // Grants of dropped permissions go with them (on delete cascade).
    await tx
      .delete(permissions)
      .where(
        names.length
          ? and(eq(permissions.service, service), notInArray(permissions.name, names))
          : eq(permissions.service, service),
      );
    if (!declared.length) return;
    await tx
      .insert(permissions)
      .values(declared.map((p) => ({ name: p.name, description: p.description, service })))
      .onConflictDoUpdate({
        target: permissions.name,
        set: { description: sql`excluded.description`, service: sql`excluded.service` },
      });
    await tx.delete(rolePermissions).where(inArray(rolePermissions.permission, names));
    const grants = declared.flatMap((p) => p.roles.map((role) => ({ role, permission: p.name })));
    if (grants.length) await tx.insert(rolePermissions).values(grants);
  });
}
