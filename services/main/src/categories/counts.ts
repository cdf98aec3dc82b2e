import type { MainContext } from '../context.ts';
import { listStamp } from '../db/list-stamp.ts';
import { UUID } from '../slug.ts';
import { type CategoryRow, listCategories } from './repository.ts';

export type CountedCategory = CategoryRow & { post_count: number };

interface Counted {
  /** By name, as `GET /categories` lists them. */
  items: CountedCategory[];
  /** The same rows by id and by slug (`GET /categories/{id or slug}`). */
  byKey: Map<string, CountedCategory>;
}

/**
 * Every category with its number of published posts, as of the list stamp. The counts are an
 * index scan of every published post (≈45 ms at 200,000 posts, five times that at a million),
 * and both reads are public: counted on every request, anyone could keep PostgreSQL busy at the
 * gateway's rate limit (100 requests a second an address) with an answer that only a write
 * changes. Every write of posts, post_tags or categories bumps the stamp in its own transaction
 * (migration 0002_list_stamp), so this replica counts once per stamp, reading the stamp (one
 * row) before each answer, as the anonymous list pages do (posts/list-cache.ts): a write shows
 * in the next read on every replica, and reads that arrive while a count runs share it.
 */
export function categoryCounts(ctx: MainContext) {
  let current: { stamp: string; counted: Promise<Counted> } | undefined;
  const count = async (): Promise<Counted> => {
    const items = await listCategories(ctx.db);
    const byKey = new Map<string, CountedCategory>();
    for (const row of items) byKey.set(row.id, row).set(row.slug, row);
    return { items, byKey };
  };
  const counted = async (): Promise<Counted> => {
    // Read first: what is counted after it is at least as new as the stamp it is kept under.
    const stamp = await listStamp(ctx.db);
    if (current?.stamp === stamp) return current.counted;
    const fresh = count();
    // Stamps only grow: a read that got an older one than is kept counts for itself alone.
    if (current === undefined || BigInt(stamp) > BigInt(current.stamp)) {
      const entry = { stamp, counted: fresh };
      current = entry;
      // A failed count (a timeout, the database away) is not kept: the next read tries again.
      fresh.catch(() => {
        if (current === entry) current = undefined;
      });
    }
    return fresh;
  };
  return {
    /** Every category, by name. */
    all: async () => (await counted()).items,
    /** One by id (any letter case) or slug; undefined when there is none. */
    one: async (idOrSlug: string) =>
      (await counted()).byKey.get(UUID.test(idOrSlug) ? idOrSlug.toLowerCase() : idOrSlug),
  };
}

export type CategoryCounts = ReturnType<typeof categoryCounts>;
