import { type SQL, sql } from 'drizzle-orm';
import type { Cursor, Position, RankWindow } from './cursor.ts';
import {
  type Branch,
  branchRows,
  budgeted,
  isoText,
  type ListFilters,
  type ListRow,
  listQuery,
  pageRows,
  tsQuery,
  withinBudget,
} from './list-query.ts';
import { POST_COLUMNS } from './rows.ts';

/** The edges of the window, read on the first page only (every row carries the same). */
type RankRow = ListRow & {
  window_size?: number;
  newest_value?: string;
  newest_id?: string;
  oldest_value?: string;
  oldest_id?: string;
};

export type Run = (query: SQL) => Promise<{ rows: RankRow[] }>;

/**
 * Relevance without scoring every match. ts_rank needs each match's tsvector, so ranking a word
 * found in a fifth of a million posts means reading 200,000 of them. Instead a walk ranks a window:
 * the `size` newest matches when it begins (the published_sort index walked with the @@ filter
 * for a common word, the GIN index for a rare one; the planner picks). Once the window is
 * exhausted the older matches follow newest first, as sort=-published_at lists them, read from
 * the same indexes. The cursor carries the window's edges, so later pages rank the same posts,
 * and posts added meanwhile (newer than the window) neither repeat nor push any out.
 */
export async function rankedPage(
  run: Run,
  branches: Branch[],
  filters: ListFilters & { q: string },
  cursor: Cursor | undefined,
  limit: number,
  size: number,
): Promise<{ rows: ListRow[]; next: Cursor | null }> {
  const recent = async (after: Position, count: number, spent: number) =>
    (await run(listQuery(branches, '-published_at', filters, after, count, spent))).rows;
  if (cursor?.stage === 'recent') {
    const { page, more } = pageRows(await recent(cursor, limit + 1, 0), limit);
    return paged(page, more, 0, undefined);
  }
  const window = cursor?.stage;
  const ranked = budgeted(
    (await run(rankedQuery(branches, filters, window, cursor, limit + 1, size))).rows,
  );
  const edges = window ?? windowOf(ranked.kept[0], size);
  if (!edges) return { rows: [], next: null };
  let rows = ranked.kept;
  let found = ranked.found;
  // The window's rows all came (none left, none cut by the byte budget): older matches follow,
  // in what is left of the page's budget.
  if (ranked.found <= limit && ranked.kept.length === ranked.found && edges.more) {
    const older = budgeted(await recent(edges.oldest, limit + 1 - ranked.found, ranked.spent));
    rows = [...rows, ...older.kept];
    found += older.found;
  }
  const page = rows.slice(0, limit);
  return paged(page, found > page.length, ranked.kept.length, edges);
}

/** The page's rows, and the cursor after them when more follow. */
function paged(
  page: ListRow[],
  more: boolean,
  rankedCount: number,
  window?: RankWindow,
): { rows: ListRow[]; next: Cursor | null } {
  const last = page.at(-1);
  if (!more || !last) return { rows: page, next: null };
  const stage = page.length <= rankedCount && window ? window : 'recent';
  return { rows: page, next: { order: 'rank', value: last.sort_value, id: last.id, stage } };
}

function windowOf(row: RankRow | undefined, size: number): RankWindow | undefined {
  if (!row?.newest_value || !row.newest_id || !row.oldest_value || !row.oldest_id) return;
  return {
    newest: { value: row.newest_value, id: row.newest_id },
    oldest: { value: row.oldest_value, id: row.oldest_id },
    more: (row.window_size ?? 0) >= size,
  };
}

/**
 * A page of the window in rank order. Without a window (the first page) it is the `size` newest
 * matches, and every row carries the window's size and edges. With one, it is the posts between
 * its edges; the cap of twice its size only bounds what a forged cursor can make Postgres rank.
 */
export function rankedQuery(
  branches: Branch[],
  filters: ListFilters & { q: string },
  window: RankWindow | undefined,
  after: Position | undefined,
  limit: number,
  size: number,
): SQL {
  const cap = window ? 2 * size : size;
  const range = window ? { from: window.newest, through: window.oldest } : {};
  const parts = branches.map((b) =>
    branchRows(
      b,
      '-published_at',
      filters,
      range,
      cap,
      sql`p.search, octet_length(p.body) as bytes`,
    ),
  );
  // ts_rank runs above the limit, on the window's rows only.
  const scored = sql`select m.id, m.sort_key, m.bytes, ts_rank(m.search, ${tsQuery(filters.q)}) as rank
    from (select u.id, u.sort_key, u.search, u.bytes from (${sql.join(parts, sql` union all `)}) u
      order by u.sort_key desc, u.id desc limit ${cap}) m
    offset 0`;
  // One pass over the window in its own order gives its size and both edges.
  const edges = window
    ? sql``
    : sql`, count(*) over edges as window_size,
      first_value(w.sort_key) over edges as newest_key, first_value(w.id) over edges as newest_id,
      last_value(w.sort_key) over edges as oldest_key, last_value(w.id) over edges as oldest_id`;
  const windows = window
    ? sql``
    : sql`window edges as (order by w.sort_key desc, w.id desc
      rows between unbounded preceding and unbounded following)`;
  const beyond = after
    ? sql`where (w.rank, w.id) < (${after.value}::real, ${after.id}::uuid)`
    : sql``;
  const edgeColumns = window
    ? sql``
    : sql`, r.window_size::int, ${isoText(sql`r.newest_key`)} as newest_value, r.newest_id,
      ${isoText(sql`r.oldest_key`)} as oldest_value, r.oldest_id`;
  // Cut at the page's byte budget (list-query.ts withinBudget), in rank order.
  const page = withinBudget(
    sql`(select w.id, w.rank, w.bytes ${edges} from (${scored}) w ${beyond} ${windows}
      order by w.rank desc, w.id desc limit ${limit})`,
    sql`i.rank desc, i.id desc`,
    0,
  );
  return sql`select ${POST_COLUMNS}, r.rank::text as sort_value ${edgeColumns},
      r.found::int as found, r.running::bigint as running, r.fits
    from ${page} r
    join posts p on p.id = r.id
    left join categories c on c.id = p.category_id
    order by r.rank desc, r.id desc`;
}
