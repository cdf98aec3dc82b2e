import { createHash } from 'node:crypto';
import { problems } from '@platform/http';
import type { AuthContext } from '../context.ts';
import { getUser } from '../users/service.ts';
import { AVATAR_TYPE } from './image.ts';
import { deleteAvatarRow, findAvatar, setAvatarEtag, upsertAvatar } from './repository.ts';

/** Stores an image made by `toAvatar` as the user's avatar. */
export async function setAvatar(ctx: AuthContext, userId: string, image: Buffer) {
  // The hash names the content: it is the ETag and the ?v= that lets caches keep it for a year.
  const etag = createHash('sha256').update(image).digest('hex').slice(0, 16);
  const avatar = { image, contentType: AVATAR_TYPE, etag };
  // The image and the user's pointer to it change together.
  const stored = await ctx.db.transaction(async (tx) => {
    const now = new Date();
    if (!(await setAvatarEtag(tx, userId, etag, now))) return false;
    await upsertAvatar(tx, userId, avatar, now);
    return true;
  });
  if (!stored) throw problems.notFound('The user does not exist.');
  return getUser(ctx, userId);
}

export async function getAvatar(ctx: AuthContext, userId: string) {
  const avatar = await findAvatar(ctx.db, userId);
  if (!avatar) throw problems.notFound('This user has no avatar.');
  return avatar;
}

export async function removeAvatar(ctx: AuthContext, userId: string): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await deleteAvatarRow(tx, userId);
    await setAvatarEtag(tx, userId, null, new Date());
  });
}
