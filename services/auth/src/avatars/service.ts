import { createHash } from 'node:crypto';
import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { getUser } from '../users/service.ts';
import { AVATAR_TYPE } from './image.ts';
import { deleteAvatar, findAvatar, saveAvatar } from './repository.ts';

/** Stores an image made by `toAvatar` as the user's avatar. */
export async function setAvatar(ctx: AuthContext, userId: string, image: Buffer) {
  // The hash names the content: it is the ETag and the ?v= that lets caches keep it for a year.
  const etag = createHash('sha256').update(image).digest('hex').slice(0, 16);
  if (!(await saveAvatar(ctx.db, userId, { image, contentType: AVATAR_TYPE, etag }))) {
    throw problems.notFound('The user does not exist.');
  }
  return getUser(ctx, userId);
}

export async function getAvatar(ctx: AuthContext, userId: string) {
  const avatar = await findAvatar(ctx.db, userId);
  if (!avatar) throw problems.notFound('This user has no avatar.');
  return avatar;
}

export async function removeAvatar(ctx: AuthContext, userId: string): Promise<void> {
  await deleteAvatar(ctx.db, userId);
}
