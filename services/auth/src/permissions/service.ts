import { type FieldError, problems } from '@platform/http';
import type { Db } from '../db/index.ts';
import { problem } from '../errors.ts';
import { existingRoles, lockDeclarations, ownersOf, replaceDeclared } from './repository.ts';

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
    await lockDeclarations(tx);
    const known = await existingRoles(tx, [...new Set(declared.flatMap((p) => p.roles))]);
    const unknown: FieldError[] = declared.flatMap((p, i) =>
      p.roles.flatMap((role, j) =>
        known.has(role)
          ? []
          : [{ field: `permissions.${i}.roles.${j}`, message: `"${role}" is not a role` }],
      ),
    );
    if (unknown.length) throw problems.badRequest('Some roles do not exist.', unknown);

    const owners = await ownersOf(tx, names);
    const taken: FieldError[] = declared.flatMap((p, i) => {
      const owner = owners.get(p.name);
      return owner && owner !== service
        ? [{ field: `permissions.${i}.name`, message: `"${p.name}" belongs to ${owner}` }]
        : [];
    });
    if (taken.length) {
      throw problem('permission_taken', 'Some permissions belong to another service.', {
        errors: taken,
      });
    }
    await replaceDeclared(tx, service, declared);
  });
}
