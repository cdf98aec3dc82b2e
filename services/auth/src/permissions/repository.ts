import { and, eq, inArray, notInArray, sql } from 'drizzle-orm';
import type { Tx } from '../db/index.ts';
import { permissions, rolePermissions, roles } from '../db/schema.ts';

export interface PermissionRow {
  name: string;
  description: string;
  roles: string[];
}

/** Replicas of one service (and auth itself) declare at the same time when they start. */
export async function lockDeclarations(tx: Tx): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext('permissions'))`);
}

export async function existingRoles(tx: Tx, names: string[]): Promise<Set<string>> {
  if (!names.length) return new Set();
  const rows = await tx.select({ name: roles.name }).from(roles).where(inArray(roles.name, names));
  return new Set(rows.map((r) => r.name));
}

/** The owning service of each named permission that exists (null: added by hand). */
export async function ownersOf(tx: Tx, names: string[]): Promise<Map<string, string | null>> {
  if (!names.length) return new Map();
  const rows = await tx
    .select({ name: permissions.name, service: permissions.service })
    .from(permissions)
    .where(inArray(permissions.name, names));
  return new Map(rows.map((r) => [r.name, r.service]));
}

/** Makes `declared` exactly what `service` owns, grants included; run under the lock. */
export async function replaceDeclared(
  tx: Tx,
  service: string,
  declared: PermissionRow[],
): Promise<void> {
  const names = declared.map((p) => p.name);
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
}
