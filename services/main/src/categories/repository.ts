import { sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { iso } from '../db/index.ts';
import { UUID } from '../slug.ts';

export type CategoryRow = {
  id: string;
  slug: string;
  name: string;
  created_at: string;
  updated_at: string;
};

const COLUMNS = sql.raw(
  `c.id, c.slug, c.name, ${iso('c.created_at')} as created_at, ${iso('c.updated_at')} as updated_at`,
);

/**
 * `lock: 'key share'` keeps the category from being deleted until the caller's transaction ends
 * (a post about to name it); waiting for a delete in progress, it then finds nothing.
 */
export async function findCategory(
  db: Executor,
  idOrSlug: string,
  options: { forUpdate?: boolean; lock?: 'key share' } = {},
): Promise<CategoryRow | undefined> {
  const where = UUID.test(idOrSlug)
    ? sql`c.id = ${idOrSlug.toLowerCase()}`
    : sql`c.slug = ${idOrSlug}`;
  const lock = sql.raw(
    options.forUpdate ? 'for update' : options.lock === 'key share' ? 'for key share' : '',
  );
  const { rows } = await db.execute<CategoryRow>(
    sql`select ${COLUMNS} from categories c where ${where} ${lock}`,
  );
  return rows[0];
}

/**
 * Locks categories in id order (two deletes that each move posts into the other's category take
 * them in the same order, so neither deadlocks), each in its mode: `update` for one about to be
 * deleted, `key share` for one that only must not go away (it blocks deletes, not the posts
 * being moved into it meanwhile). Returns the ids that still exist.
 */
export async function lockCategories(
  db: Executor,
  locks: { id: string; mode: 'update' | 'key share' }[],
): Promise<string[]> {
  const found: string[] = [];
  for (const { id, mode } of [...locks].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const { rows } = await db.execute<{ id: string }>(
      sql`select id from categories where id = ${id} for ${sql.raw(mode === 'update' ? 'update' : 'key share')}`,
    );
    if (rows[0]) found.push(rows[0].id);
  }
  return found;
}

/** Counts come from the (category_id, status, …) index: one range per category. */
export async function listCategories(db: Executor) {
  const { rows } = await db.execute<CategoryRow & { post_count: number }>(sql`
    select ${COLUMNS}, (select count(*)::int from posts p
      where p.category_id = c.id and p.status = 'published') as post_count
    from categories c order by c.name, c.id`);
  return rows;
}

/** Undefined when the slug is taken. */
export async function insertCategory(db: Executor, values: { slug: string; name: string }) {
  const { rows } = await db.execute<CategoryRow>(sql`
    insert into categories as c (slug, name) values (${values.slug}, ${values.name})
    on conflict (slug) do nothing returning ${COLUMNS}`);
  return rows[0];
}

/** The categories at `slug` and at slugs that extend it (`slug-…`): where a name may be held. */
export async function namesAtSlug(db: Executor, slug: string) {
  const { rows } = await db.execute<{ slug: string; name: string }>(sql`
    select slug, name from categories where slug = ${slug} or slug like ${`${slug}-%`}`);
  return rows;
}

/**
 * Undefined when the slug is taken by another category, also by one that another transaction
 * was giving that slug: the `not exists` cannot see it before it commits, the unique index can;
 * and when the category is gone. No slug keeps the row's own as it is when updated (not as it
 * was read: a rename committed meanwhile stays).
 */
export async function updateCategory(
  db: Executor,
  id: string,
  values: { slug?: string | undefined; name: string },
) {
  const slug = sql`coalesce(${values.slug ?? null}::text, c.slug)`;
  try {
    const { rows } = await db.execute<CategoryRow>(sql`
      update categories c set slug = ${slug}, name = ${values.name}, updated_at = now()
      where c.id = ${id}
        and not exists (select 1 from categories o where o.slug = ${slug} and o.id <> ${id})
      returning ${COLUMNS}`);
    return rows[0];
  } catch (error) {
    if ((error as { cause?: { code?: string } })?.cause?.code === '23505') return undefined;
    throw error;
  }
}

export async function countPosts(
  db: Executor,
  categoryId: string,
  options: { publishedOnly?: boolean } = {},
): Promise<number> {
  const status = options.publishedOnly ? sql`and status = 'published'` : sql``;
  const { rows } = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from posts where category_id = ${categoryId} ${status}`,
  );
  return rows[0]?.n ?? 0;
}

/**
 * Moves every post of one category to another and records a `post.updated` event for each, in
 * one statement each way however many posts there are (the caller holds the transaction).
 *
 * The posts are locked first, in id order, as the deletion of an account locks its posts
 * (lockPostsByAuthor): the UPDATE alone locked them in the order its scan met them, so a move
 * holding one post of an author whose deletion held another waited for each other (40P01, a 500).
 * No post joins `from` meanwhile: its caller holds it for update, which a post naming it waits for.
 */
export async function movePosts(
  db: Executor,
  from: string,
  to: string,
  actorId: string,
): Promise<number> {
  await db.execute(sql`select id from posts where category_id = ${from} order by id for update`);
  const result = await db.execute(sql`
    with moved as (
      update posts set category_id = ${to}, version = version + 1, updated_at = now()
      where category_id = ${from}
      returning id, slug, status, author_id, category_id, tags
    )
    insert into outbox (type, payload)
    select 'post.updated', jsonb_build_object('post_id', id, 'slug', slug, 'status', status,
      'author_id', author_id, 'actor_id', ${actorId}::uuid, 'category_id', category_id, 'tags', tags)
    from moved`);
  return result.rowCount ?? 0;
}

export async function deleteCategory(db: Executor, id: string): Promise<void> {
  await db.execute(sql`delete from categories where id = ${id}`);
}
