import { sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';

/**
 * Tags at least one published post carries, most used first. Counts are kept by the writes
 * (posts/repository.ts syncTags), so this reads one small table; a tag only drafts carry is left
 * out for everyone, or the list would tell what unpublished posts are about.
 */
export async function listPublishedTags(db: Executor) {
  const { rows } = await db.execute<{ slug: string; post_count: number }>(
    sql`select slug, post_count from tags where post_count > 0 order by post_count desc, slug`,
  );
  return rows;
}
