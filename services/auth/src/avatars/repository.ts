import { eq } from 'drizzle-orm';
import type { Db, Executor } from '../db/index.ts';
import { avatars, users } from '../db/schema.ts';

/** Stores the image and points the user at it in one transaction; false if the user is gone. */
export async function saveAvatar(
  db: Db,
  userId: string,
  avatar: { image: Buffer; contentType: string; etag: string },
): Promise<boolean> {
  return db.transaction(async (tx) => {
    const now = new Date();
    const [user] = await tx
      .update(users)
      .set({ avatarEtag: avatar.etag, updatedAt: now })
      .where(eq(users.id, userId))
      .returning({ id: users.id });
    if (!user) return false;
    await tx
      .insert(avatars)
      .values({ userId, ...avatar, updatedAt: now })
      .onConflictDoUpdate({ target: avatars.userId, set: { ...avatar, updatedAt: now } });
    return true;
  });
}

export async function findAvatar(db: Executor, userId: string) {
  const [row] = await db
    .select({ image: avatars.image, contentType: avatars.contentType, etag: avatars.etag })
    .from(avatars)
    .where(eq(avatars.userId, userId));
  return row;
}

export async function deleteAvatar(db: Db, userId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(avatars).where(eq(avatars.userId, userId));
    await tx
      .update(users)
      .set({ avatarEtag: null, updatedAt: new Date() })
      .where(eq(users.id, userId));
  });
}
