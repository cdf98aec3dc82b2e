import { sql } from 'drizzle-orm';
import type { Executor } from './index.ts';

/**
 * The number every write of posts, post_tags or categories bumps in its own transaction
 * (migration 0002_list_stamp): read before a list or the category counts, an answer computed
 * after it is at least that new. Shared by posts (list pages) and categories (counts).
 */
export async function listStamp(db: Executor): Promise<string> {
  const { rows } = await db.execute<{ value: string }>(
    sql`select value::text as value from list_stamp`,
  );
  return rows[0]?.value ?? '';
}
