import { sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import type { TagPosition } from './cursor.ts';

/**
 * Tags at least one published post carries, most used first, `limit` of them after `after`
 * (keyset pagination on the list's order, read from tags_listed_idx). Counts are kept by the
 * writes (posts/repository.ts syncTags), so this reads one small table; a tag only drafts carry
 * is left out for everyone, or the list would tell what unpublished posts are about.
 */
export async function listPublishedTags(
  db: Executor,
  limit: number,
  after: TagPosition | undefined,
) {
  const from = after
    ? sql`and post_count <= ${after.postCount}
          and (post_count < ${after.postCount} or slug > ${after.slug})`
    : sql``;
  const { rows } = await db.execute<{ slug: string; post_count: number }>(
    sql`select slug, post_count from tags where post_count > 0 ${from}
        order by post_count desc nulls last, slug limit ${limit}`,
  );
  return rows;
}
