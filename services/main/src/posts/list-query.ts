import { type SQL, sql } from 'drizzle-orm';
import type { Cursor, ListOrder } from './cursor.ts';
import { POST_COLUMNS, type PostRow } from './rows.ts';

export interface ListFilters {
  categoryId?: string;
  tags?: string[];
  authorId?: string;
  q?: string;
  publishedAfter?: string;
  publishedBefore?: string;
}

/** One status per branch; drafts of others are excluded in SQL, not after the fact. */
export interface Branch {
  status: 'draft' | 'published';
  onlyAuthor?: string;
}

interface OrderSpec {
  /** The sort key, given the alias that holds published_sort (posts or post_tags). */
  key(sortAlias: string, query: SQL | undefined): SQL;
  /** Postgres's own text of the key: exact, so the next page starts exactly after it. */
  text(key: SQL): SQL;
  cast: string;
  desc: boolean;
}

const isoText = (key: SQL) =>
  sql`case when ${key} = 'infinity' then 'infinity' else to_char(${key} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') end`;

const ORDERS: Record<ListOrder, OrderSpec> = {
  '-published_at': {
    key: (a) => sql.raw(`${a}.published_sort`),
    text: isoText,
    cast: 'timestamptz',
    desc: true,
  },
  published_at: {
    key: (a) => sql.raw(`${a}.published_sort`),
    text: isoText,
    cast: 'timestamptz',
    desc: false,
  },
  '-created_at': {
    key: () => sql.raw('p.created_at'),
    text: isoText,
    cast: 'timestamptz',
    desc: true,
  },
  title: { key: () => sql.raw('p.title'), text: (k) => k, cast: 'text', desc: false },
  rank: {
    key: (_, query) => sql`ts_rank(p.search, ${query})`,
    text: (k) => sql`${k}::text`,
    cast: 'real',
    desc: true,
  },
};

export type ListRow = PostRow & { sort_value: string };

/**
 * Keyset pagination: each branch reads its own index from the cursor onwards and stops after
 * `limit` rows; the union of at most two such branches is merged in the same order. With a tag
 * and a published_at order, the branch walks post_tags, whose index is in list order per tag.
 */
export function listQuery(
  branches: Branch[],
  order: ListOrder,
  filters: ListFilters,
  after: Cursor | undefined,
  limit: number,
): SQL {
  const spec = ORDERS[order];
  const dir = sql.raw(spec.desc ? 'desc' : 'asc');
  const query = filters.q ? sql`websearch_to_tsquery('english', ${filters.q})` : undefined;
  const parts = branches.map((branch) => {
    const [firstTag, ...otherTags] = filters.tags ?? [];
    const viaTags =
      firstTag !== undefined && (order === '-published_at' || order === 'published_at');
    const sortAlias = viaTags ? 't0' : 'p';
    const key = spec.key(sortAlias, query);
    const idColumn = sql.raw(viaTags ? 't0.post_id' : 'p.id');
    const where: SQL[] = [sql`p.status = ${branch.status}`];
    if (viaTags) where.push(sql`t0.tag = ${firstTag}`, sql`t0.status = ${branch.status}`);
    const required = viaTags ? otherTags : (filters.tags ?? []);
    if (required.length > 0) where.push(sql`p.tags @> ${sql.param(required)}::text[]`);
    if (branch.onlyAuthor) where.push(sql`p.author_id = ${branch.onlyAuthor}`);
    if (filters.authorId) where.push(sql`p.author_id = ${filters.authorId}`);
    if (filters.categoryId) where.push(sql`p.category_id = ${filters.categoryId}`);
    if (query) where.push(sql`p.search @@ ${query}`);
    const published = sql.raw(`${sortAlias}.published_sort`);
    if (filters.publishedAfter) {
      where.push(sql`${published} > ${filters.publishedAfter}::timestamptz`);
      where.push(sql`p.published_at is not null`);
    }
    if (filters.publishedBefore) {
      where.push(sql`${published} < ${filters.publishedBefore}::timestamptz`);
    }
    if (after) {
      const op = sql.raw(spec.desc ? '<' : '>');
      const value = sql`${after.value}::${sql.raw(spec.cast)}`;
      where.push(sql`(${key}, ${idColumn}) ${op} (${value}, ${after.id}::uuid)`);
    }
    const from = viaTags ? sql`post_tags t0 join posts p on p.id = t0.post_id` : sql.raw('posts p');
    return sql`(select p.id, ${key} as sort_key, ${spec.text(key)} as sort_value
      from ${from} where ${sql.join(where, sql` and `)}
      order by ${key} ${dir}, ${idColumn} ${dir} limit ${limit})`;
  });
  return sql`select ${POST_COLUMNS}, page.sort_value
    from (${sql.join(parts, sql` union all `)}) page
    join posts p on p.id = page.id
    left join categories c on c.id = p.category_id
    order by page.sort_key ${dir}, page.id ${dir}
    limit ${limit}`;
}
