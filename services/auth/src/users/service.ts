import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { loadUserWithAccess, toUserView } from './repository.ts';

export async function getUser(ctx: AuthContext, userId: string) {
  const found = await loadUserWithAccess(ctx.db, userId);
  if (!found) throw problems.notFound('The user does not exist.');
  return toUserView(found, ctx.config.PUBLIC_URL);
}
