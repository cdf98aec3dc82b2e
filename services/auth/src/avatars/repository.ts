import { eq } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { avatars, users } from '../db/schema.ts';

export interface StoredAvatar {
  image: Buffer;
  contentType: string;
  etag: string;
}

/** Points the user at the avatar with this etag (null: none); false if the user is gone. */
export async function setAvatarEtag(
  db: Executor,
  userId: string,
  etag: string | null,
  now: Date,
): Promise<boolean> {
  const [user] = await db
    .update(users)
    .set({ avatarEtag: etag, updatedAt: now })
    .where(eq(users.id, userId))
    .returning({ id: users.id });
  return Boolean(user);
}

export async function upsertAvatar(
  db: Executor,
  userId: string,
  avatar: StoredAvatar,
  now: Date,
): Promise<void> {
  await db
    .insert(avatars)
    .values({ userId, ...avatar, updatedAt: now })
    .onConflictDoUpdate({ target: avatars.userId, set: { ...avatar, updatedAt: now } });
}

export async function findAvatar(db: Executor, userId: string) {
  const [row] = await db
    .select({ image: avatars.image, contentType: avatars.contentType, etag: avatars.etag })
    .from(avatars)
    .where(eq(avatars.userId, userId));
  return row;
}

export async function deleteAvatarRow(db: Executor, userId: string): Promise<void> {
  await db.delete(avatars).where(eq(avatars.userId, userId));
}
