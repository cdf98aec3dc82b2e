import { type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { UUID } from '../slug.ts';
import { type SearchEstimate, tsQuery } from './list-query.ts';
import { POST_COLUMNS, type PostRow } from './rows.ts';

/** `/posts/{id}` takes either; slugs are never shaped like a uuid (see slugify). */
const byIdOrSlug = (idOrSlug: string): SQL =>
  UUID.test(idOrSlug) ? sql`p.id = ${idOrSlug.toLowerCase()}` : sql`p.slug = ${idOrSlug}`;

export async function findPost(
  db: Executor,
  idOrSlug: string,
  options: { forUpdate?: boolean } = {},
): Promise<PostRow | undefined> {
  const lock = options.forUpdate ? sql.raw('for update of p') : sql.raw('');
  const { rows } = await db.execute<PostRow>(
    sql`select ${POST_COLUMNS} from posts p left join categories c on c.id = p.category_id
        where ${byIdOrSlug(idOrSlug)} ${lock}`,
  );
  return rows[0];
}

export interface PostValues {
  title: string;
  body: string;
  excerpt: string;
  status: 'draft' | 'published';
  categoryId: string | null;
  tags: string[];
}

/** Inserts unless the slug is taken; undefined then, so the caller can try another. */
export async function insertPost(
  db: Executor,
  values: PostValues & { slug: string; authorId: string },
): Promise<string | undefined> {
  const { rows } = await db.execute<{ id: string }>(sql`
    insert into posts (slug, title, body, excerpt, status, author_id, category_id, tags, published_at)
    values (${values.slug}, ${values.title}, ${values.body}, ${values.excerpt}, ${values.status},
      ${values.authorId}, ${values.categoryId}, ${sql.param(values.tags)}::text[],
      ${values.status === 'published' ? sql`now()` : sql`null`})
    on conflict (slug) do nothing
    returning id`);
  return rows[0]?.id;
}

/** Returns false when the new slug is taken by another post. */
export async function updatePost(
  db: Executor,
  id: string,
  values: PostValues & { slug: string },
): Promise<boolean> {
  const { rows } = await db.execute<{ id: string }>(sql`
    update posts set slug = ${values.slug}, title = ${values.title}, body = ${values.body},
      excerpt = ${values.excerpt}, status = ${values.status}, category_id = ${values.categoryId},
      tags = ${sql.param(values.tags)}::text[], version = version + 1, updated_at = now(),
      published_at = coalesce(published_at,
        ${values.status === 'published' ? sql`now()` : sql`null`})
    where id = ${id}
      and not exists (select 1 from posts o where o.slug = ${values.slug} and o.id <> ${id})
    returning id`);
  return rows.length > 0;
}

/** Up to `limit` posts of the author, locked for deletion. */
export async function lockPostsByAuthor(
  db: Executor,
  authorId: string,
  limit: number,
): Promise<PostRow[]> {
  const { rows } = await db.execute<PostRow>(
    sql`select ${POST_COLUMNS} from posts p left join categories c on c.id = p.category_id
        where p.author_id = ${authorId} order by p.id limit ${limit} for update of p`,
  );
  return rows;
}

/**
 * A create by an author and the deletion of that account (`user.deleted`) exclude each other
 * through a transaction-level advisory lock on the author: creates share it, the deletion takes
 * it alone while it records the tombstone. Checking deleted_authors without it is not enough under
 * READ COMMITTED: a create that checked before the tombstone committed may insert after the
 * deletion's delete took its snapshot, and its post outlives its author. With it, a create holding
 * the lock commits before the tombstone does, so the deletion's next statement (a new snapshot)
 * sees its post and deletes it; a create that gets the lock after reads the tombstone, since its
 * check is a statement of its own, after the wait. Shared, so one author's creates never queue on
 * each other here. The two-key form keeps these keys apart from the database's single-key locks
 * (migrations, outbox purge); two authors whose ids hash alike only wait for each other.
 * Returns whether the author's account is deleted; the caller refuses then.
 */
/**
 * The author's half of the lock key: the hash of the UUID as PostgreSQL writes it, so that the
 * token's `sub` and the event's `user_id` take the same lock however each spells the id (upper
 * or lower case: the event's check accepts both, and deleted_authors compares them as UUIDs).
 */
const authorKey = (authorId: string) => sql`hashtext(${authorId}::uuid::text)`;

export async function holdAuthor(db: Executor, authorId: string): Promise<boolean> {
  await db.execute(
    sql`select pg_advisory_xact_lock_shared(hashtext('deleted-authors'), ${authorKey(authorId)})`,
  );
  const { rows } = await db.execute<{ deleted: boolean }>(
    sql`select exists (select 1 from deleted_authors where user_id = ${authorId}) as deleted`,
  );
  return rows[0]?.deleted === true;
}

/**
 * The tombstone of a deleted account, under the author's lock alone (see holdAuthor): once this
 * commits, every create of the author has committed or will be refused. Idempotent.
 */
export async function recordDeletedAuthor(db: Executor, authorId: string): Promise<void> {
  await db.execute(
    sql`select pg_advisory_xact_lock(hashtext('deleted-authors'), ${authorKey(authorId)})`,
  );
  await db.execute(
    sql`insert into deleted_authors (user_id) values (${authorId}) on conflict do nothing`,
  );
}

export async function deletePost(db: Executor, id: string): Promise<void> {
  await db.execute(sql`delete from posts where id = ${id}`);
}

/**
 * Rewrites the post's rows in post_tags from the post as it now is (status, sort key and the
 * signature of its text included: every update of a post comes through here), creates tags on
 * first use, moves the published counts by the difference and deletes the tags no post (draft or
 * published) uses any more, so the table holds only what posts use.
 *
 * Every writer takes its tags' rows in one order (sorted slugs) before it looks at who else uses
 * them, so two posts sharing tags never deadlock, and a tag is never deleted under a post that
 * uses it: a writer adding a tag upserts its row after writing post_tags, holding the row until
 * it commits; the remover's check starts only once it holds the row (read committed: a new
 * snapshot per statement), so it sees that post, or the adder waits and creates the row again.
 * (Today the list stamp, which the first statement here takes, queues every writer of posts
 * anyway (migration 0002); this stays correct without it. Take no tag row before that statement:
 * holding tags while waiting for the stamp could deadlock with a writer that holds it.)
 */
export async function syncTags(
  db: Executor,
  postId: string,
  before: { tags: string[]; published: boolean },
  after: { tags: string[]; published: boolean } | undefined,
): Promise<void> {
  await db.execute(sql`delete from post_tags where post_id = ${postId}`);
  if (after && after.tags.length > 0) {
    await db.execute(sql`
      insert into post_tags (post_id, tag, status, published_sort, search_sig)
      select p.id, t.tag, p.status, p.published_sort, s.sig
      from posts p, search_sig(tsvector_to_array(p.search)) s(sig), unnest(p.tags) t(tag)
      where p.id = ${postId}`);
  }
  const kept = new Set(after?.tags ?? []);
  const delta = new Map<string, number>();
  for (const t of [...before.tags, ...kept]) delta.set(t, 0);
  if (before.published) for (const t of before.tags) delta.set(t, delta.get(t)! - 1);
  if (after?.published) for (const t of kept) delta.set(t, delta.get(t)! + 1);
  for (const [slug, d] of [...delta].sort(([a], [b]) => (a < b ? -1 : 1))) {
    // Both take the row (an update by 0 too): that lock is what orders the writers.
    await db.execute(
      kept.has(slug)
        ? sql`insert into tags (slug, post_count) values (${slug}, ${Math.max(d, 0)})
              on conflict (slug) do update set post_count = tags.post_count + ${d}`
        : sql`update tags set post_count = post_count + ${d} where slug = ${slug}`,
    );
  }
  const dropped = before.tags.filter((t) => !kept.has(t));
  if (dropped.length > 0) {
    await db.execute(sql`
      delete from tags t where t.slug = any(${sql.param(dropped)}::text[])
        and not exists (select 1 from post_tags p where p.tag = t.slug)`);
  }
}

/**
 * The planner's own row estimates (EXPLAIN: planned, never run) for posts holding `tags[0]`, and
 * for those holding every tag and matching q: from the statistics of posts.tags and
 * posts.search, so a list can pick how to read them (list-query.ts walkTag) for a fraction of a
 * millisecond.
 */
export async function estimateSearch(
  db: Executor,
  q: string,
  tags: string[],
): Promise<SearchEstimate> {
  const { rows } = await db.execute<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(sql`
    explain (format json)
    select 1 from posts p where p.tags @> ${sql.param(tags.slice(0, 1))}::text[]
    union all
    select 1 from posts p where p.tags @> ${sql.param(tags)}::text[] and p.search @@ ${tsQuery(q)}`);
  // The Append of the two selects, whether or not a Gather sits above it.
  let node = rows[0]?.['QUERY PLAN'][0].Plan;
  while (node && !node['Node Type'].endsWith('Append')) node = node.Plans?.[0];
  const [tag, both] = (node?.Plans ?? []).map((n) => n['Plan Rows']);
  return { tag: tag ?? 0, both: both ?? 0 };
}

interface PlanNode {
  'Node Type': string;
  'Plan Rows': number;
  Plans?: PlanNode[];
}
