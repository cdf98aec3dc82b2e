import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { userRoles, users } from '../db/schema.ts';
import { recordEvent } from '../events/outbox.ts';
import { hashPassword } from '../passwords/hashing.ts';
import { assertAcceptablePassword } from '../passwords/policy.ts';
import { conflictingField, loadUserWithAccess, toUserView } from '../users/repository.ts';

export async function register(
  ctx: AuthContext,
  input: { email: string; username: string; password: string },
  roles: string[] = ['user'],
) {
  assertAcceptablePassword(input.password);
  const passwordHash = await hashPassword(input.password);
  const userId = await ctx.db
    .transaction(async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ email: input.email, username: input.username, passwordHash })
        .returning({ id: users.id });
      await tx.insert(userRoles).values(roles.map((role) => ({ userId: user!.id, role })));
      await recordEvent(tx, 'user.registered', { user_id: user!.id });
      return user!.id;
    })
    .catch((error: unknown) => {
      const field = conflictingField(error);
      if (field)
        throw problems.conflict(`That ${field} is already taken.`, [
          { field, message: 'is already taken' },
        ]);
      throw error;
    });
  const created = await loadUserWithAccess(ctx.db, userId);
  return toUserView(created!, ctx.config.PUBLIC_URL);
}
