import { type SQL, sql } from 'drizzle-orm';
import type { ListOrder, Position } from './cursor.ts';
import { POST_COLUMNS, type PostRow } from './rows.ts';

export interface ListFilters {
  categoryId?: string;
  tags?: string[];
  authorId?: string;
  q?: string;
  publishedAfter?: string;
  publishedBefore?: string;
  /** With q and tags: the planner's estimates that pick how a branch reads them (walkTag). */
  matches?: SearchEstimate;
}

/**
 * Rows the planner expects among all posts: holding the first (walked) tag, and holding every
 * tag and matching q (posts/repository.ts estimateSearch).
 */
export interface SearchEstimate {
  tag: number;
  both: number;
}

/**
 * Whether a branch needing `limit` rows with q and tags walks the first tag in list order and
 * checks q on each post (about `limit × tag / both` posts fetched), or reads the posts holding
 * q and every tag from posts_search_tags_idx and sorts them (about `both` posts): the walk when the
 * word is common among the tag's posts, the index when it is rare. Decided here, not by the
 * planner: given both paths in one query it counts the tag twice (on post_tags and on posts)
 * and, believing the walk far longer than it is, sorts tens of thousands of posts instead.
 */
export const walkTag = (m: SearchEstimate | undefined, limit: number) =>
  !m || m.both * m.both >= limit * m.tag;

/** One status per branch; drafts of others are excluded in SQL, not after the fact. */
export interface Branch {
  status: 'draft' | 'published';
  onlyAuthor?: string;
}

interface OrderSpec {
  /** The sort key, given the alias that holds published_sort (posts or post_tags). */
  key(sortAlias: string): SQL;
  /** Postgres's own text of the key: exact, so the next page starts exactly after it. */
  text(key: SQL): SQL;
  cast: string;
  desc: boolean;
}

/** The orders a list walks straight from an index; rank is built on them in rank-query.ts. */
export type KeysetOrder = Exclude<ListOrder, 'rank'>;

/** A timestamp as the cursors hold it: microseconds, UTC, or 'infinity' for a draft. */
export const isoText = (key: SQL) =>
  sql`case when ${key} = 'infinity' then 'infinity' else to_char(${key} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') end`;

const ORDERS: Record<KeysetOrder, OrderSpec> = {
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
};

/**
 * A list row, with what the byte budget made of it (withinBudget): `found`, the rows the page's
 * query found before the cut; `running`, the body bytes up to and with this row; `fits`.
 */
export type ListRow = PostRow & {
  sort_value: string;
  found?: number;
  running?: number;
  fits?: boolean;
};

/**
 * Bytes of post bodies one list page holds at most (octet_length, summed in SQL in list order):
 * the page ends before the post that would take it past this, even short of `limit`, with a
 * `next_cursor`. A first post larger than this still comes, alone: a page is never empty while
 * more follow. 100 posts of 100 KB were a 10 MB page, every one computed, serialised and held in
 * main's memory; 16 such requests at once (a random parameter defeats every cache) took main from
 * 130 MB to 410 MB, past its 384 Mi limit (session-24 hunt). 512 KB keeps a page of ordinary text
 * (bodies plus the other fields) under the 1 MB a page may take in main's list cache and in the
 * gateway's kept answers, so big pages are still cached. The bytes are the body's, not its JSON's:
 * characters JSON escapes (`"`, `\`: 2 bytes; other control characters: 6) make a page of up to
 * ~3 MB, answered but not kept (docs/main.md).
 */
export const PAGE_BODY_BYTES = 512 * 1024;

/**
 * The rows of `inner` (at most `limit` rows, with `bytes`: octet_length of each body) that fit
 * the byte budget in `order`, `spent` bytes of it already taken by rows before them on the same
 * page: a prefix in list order, always with the first row when nothing was spent. Each carries
 * `found` (the rows of `inner`), `running` and `fits`; the first row comes even when it does not
 * fit (`fits` false, one body at most), so that `found` says whether more follow. Postgres reads
 * a text's length from its header: the bodies past the cut are never read.
 */
export function withinBudget(inner: SQL, order: SQL, spent: number): SQL {
  const room = sql`${PAGE_BODY_BYTES - spent}::bigint`;
  const first = spent === 0 ? sql`b.n = 1 or ` : sql``;
  return sql`(select b.*, (${first}b.running <= ${room}) as fits
    from (select i.*, sum(i.bytes) over budget as running, row_number() over budget as n,
        count(*) over () as found
      from ${inner} i
      window budget as (order by ${order} rows between unbounded preceding and current row)) b
    where b.n = 1 or b.running <= ${room})`;
}

/** The budget's side of a page's rows: those that fit, how many the query found, bytes spent. */
export function budgeted<Row extends ListRow>(rows: Row[]) {
  const kept = rows.filter((row) => row.fits !== false);
  return {
    kept,
    found: Number(rows[0]?.found ?? 0),
    spent: Number(kept.at(-1)?.running ?? 0),
  };
}

/** The first `limit` rows of a page whose query asked for `limit + 1`, and whether more follow. */
export function pageRows<Row extends ListRow>(rows: Row[], limit: number) {
  const { kept, found } = budgeted(rows);
  const page = kept.slice(0, limit);
  return { page, more: found > page.length };
}

/** Where a branch starts and ends, in list order: after a position, or from/through one. */
export interface Range {
  after?: Position;
  from?: Position;
  through?: Position;
}

/**
 * The text search configuration posts.search is built with (db/schema.ts, migration 0014):
 * English, accents folded. q must be parsed with the same one, or "crème" would look for a word
 * no post holds.
 */
export const SEARCH_CONFIG = 'posts_search';

export const tsQuery = (q: string) =>
  sql`websearch_to_tsquery(${sql.raw(`'${SEARCH_CONFIG}'`)}, ${q})`;

/**
 * One branch of a list in `order`: `id, sort_key, sort_value` (and `extra`) of at most `limit`
 * rows, read from the index that leads with its status and filter. With a tag and a
 * published_at order, it walks post_tags, whose index is in list order per tag (with q too,
 * unless the word is rare among the tag's posts: see walkTag).
 */
export function branchRows(
  branch: Branch,
  order: KeysetOrder,
  filters: ListFilters,
  range: Range,
  limit: number,
  extra?: SQL,
): SQL {
  const spec = ORDERS[order];
  const dir = sql.raw(spec.desc ? 'desc' : 'asc');
  const [firstTag, ...otherTags] = filters.tags ?? [];
  const viaTags =
    firstTag !== undefined &&
    (order === '-published_at' || order === 'published_at') &&
    (!filters.q || walkTag(filters.matches, limit));
  const sortAlias = viaTags ? 't0' : 'p';
  const key = spec.key(sortAlias);
  const idColumn = sql.raw(viaTags ? 't0.post_id' : 'p.id');
  const where: SQL[] = [sql`p.status = ${branch.status}`];
  if (viaTags) where.push(sql`t0.tag = ${firstTag}`, sql`t0.status = ${branch.status}`);
  const required = viaTags ? otherTags : (filters.tags ?? []);
  if (required.length > 0) where.push(sql`p.tags @> ${sql.param(required)}::text[]`);
  if (branch.onlyAuthor) where.push(sql`p.author_id = ${branch.onlyAuthor}`);
  if (filters.authorId) where.push(sql`p.author_id = ${filters.authorId}`);
  if (filters.categoryId) where.push(sql`p.category_id = ${filters.categoryId}`);
  if (filters.q && viaTags) {
    // Posts whose signature lacks a bit of q's required lexemes cannot match: skipped in the
    // index, without fetching them (migration 0005). search_query_sig is immutable: the planner
    // computes it once, from the query's constants.
    const wanted = sql`search_query_sig(${tsQuery(filters.q)})`;
    where.push(sql`(t0.search_sig & ${wanted}) = ${wanted}`);
  }
  if (filters.q) where.push(sql`p.search @@ ${tsQuery(filters.q)}`);
  // Each bound twice, the same rows either way (published_sort is published_at, or 'infinity' for
  // a draft never published): on published_sort for the index range of the date orders, and on
  // published_at for the planner's estimate. Its statistics of published_sort count those drafts'
  // 'infinity' (a tenth of the posts), so it expected a tenth to be newer than any date; past the
  // newest post, with sort=title or -created_at, it walked that whole index for `limit` matches
  // that never came (1.3–1.5 s at 200,000 posts, anonymous). published_at's know better.
  const published = sql.raw(`${sortAlias}.published_sort`);
  if (filters.publishedAfter) {
    where.push(sql`${published} > ${filters.publishedAfter}::timestamptz`);
    where.push(sql`p.published_at > ${filters.publishedAfter}::timestamptz`);
  }
  if (filters.publishedBefore) {
    where.push(sql`${published} < ${filters.publishedBefore}::timestamptz`);
    where.push(sql`p.published_at < ${filters.publishedBefore}::timestamptz`);
  }
  const beyond = (op: string, at: Position) =>
    sql`(${key}, ${idColumn}) ${sql.raw(op)} (${at.value}::${sql.raw(spec.cast)}, ${at.id}::uuid)`;
  if (range.after) where.push(beyond(spec.desc ? '<' : '>', range.after));
  if (range.from) where.push(beyond(spec.desc ? '<=' : '>=', range.from));
  if (range.through) where.push(beyond(spec.desc ? '>=' : '<=', range.through));
  const from = viaTags ? sql`post_tags t0 join posts p on p.id = t0.post_id` : sql.raw('posts p');
  const columns = [sql`p.id`, sql`${key} as sort_key`, sql`${spec.text(key)} as sort_value`];
  if (extra) columns.push(extra);
  return sql`(select ${sql.join(columns, sql`, `)}
    from ${from} where ${sql.join(where, sql` and `)}
    order by ${key} ${dir}, ${idColumn} ${dir} limit ${limit})`;
}

/**
 * Keyset pagination: each branch reads its own index from the cursor onwards and stops after
 * `limit` rows; the union of at most two such branches is merged in the same order, and cut where
 * its bodies would pass the page's byte budget (withinBudget; `spent`: bytes the page already
 * holds, ranked rows before these).
 */
export function listQuery(
  branches: Branch[],
  order: KeysetOrder,
  filters: ListFilters,
  after: Position | undefined,
  limit: number,
  spent = 0,
): SQL {
  const dir = sql.raw(ORDERS[order].desc ? 'desc' : 'asc');
  const bytes = sql`octet_length(p.body) as bytes`;
  const parts = branches.map((b) => branchRows(b, order, filters, { after }, limit, bytes));
  const rows = sql`(select u.id, u.sort_key, u.sort_value, u.bytes
    from (${sql.join(parts, sql` union all `)}) u
    order by u.sort_key ${dir}, u.id ${dir}
    limit ${limit})`;
  const page = withinBudget(rows, sql`i.sort_key ${dir}, i.id ${dir}`, spent);
  return sql`select ${POST_COLUMNS}, page.sort_value, page.found::int as found,
      page.running::bigint as running, page.fits
    from ${page} page
    join posts p on p.id = page.id
    left join categories c on c.id = p.category_id
    order by page.sort_key ${dir}, page.id ${dir}`;
}
