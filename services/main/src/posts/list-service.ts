import type { Principal } from '@platform/auth';
import { isStatementTimeout } from '@platform/db';
import { problems } from '@platform/http';
import { type SQL, sql } from 'drizzle-orm';
import { findCategory } from '../categories/repository.ts';
import type { MainContext } from '../context.ts';
import { listStamp } from '../db/list-stamp.ts';
import { problem } from '../errors.ts';
import { tagSlug } from '../slug.ts';
import { canEditAny } from './access.ts';
import { decodeCursor, encodeCursor, type ListOrder } from './cursor.ts';
import type { ListCache, Page } from './list-cache.ts';
import { pageOf } from './list-cache.ts';
import { type Branch, type ListFilters, type ListRow, listQuery, pageRows } from './list-query.ts';
import { rankedPage } from './rank-query.ts';
import { estimateSearch } from './repository.ts';
import { toPostView } from './rows.ts';
import type { SearchLimiter } from './search-limiter.ts';

export interface ListPostsQuery {
  category?: string;
  tag?: string[];
  author?: string;
  status?: 'draft' | 'published';
  q?: string;
  published_after?: string;
  published_before?: string;
  sort?: Exclude<ListOrder, 'rank'>;
  limit: number;
  cursor?: string;
}

/**
 * Which rows a caller may list, as SQL branches: published posts for everyone, drafts for
 * editors, and a signed-in author's own drafts. Without a status filter both kinds are listed.
 */
function visibleBranches(principal: Principal | null, status: ListPostsQuery['status']): Branch[] {
  const branches: Branch[] = [];
  if (status !== 'draft') branches.push({ status: 'published' });
  if (status !== 'published') {
    if (canEditAny(principal)) branches.push({ status: 'draft' });
    else if (principal) branches.push({ status: 'draft', onlyAuthor: principal.userId });
  }
  return branches;
}

/**
 * The lists that may read far more posts than they answer, and take a search slot: full text
 * (q), and a filter in an order whose index cannot range over it (title, -created_at). Those walk
 * their index testing each post until `limit` match, which for a filter that matches late takes
 * most of the table: `sort=-created_at&published_before=<the median date>` goes through the newer
 * half first, as created_at and published_at go together where the planner cannot see it (0.5 s
 * at 200,000 posts). The date orders range over their indexes, by status, category, author or tag.
 */
function isSearch(query: ListPostsQuery): boolean {
  if (query.q?.trim()) return true;
  if (query.sort !== 'title' && query.sort !== '-created_at') return false;
  return Boolean(
    query.category ||
      query.tag?.length ||
      query.author ||
      query.published_after ||
      query.published_before,
  );
}

const DATE_ONLY = /^\d{4}-\d\d-\d\d$/;

/**
 * A date alone as the start of that day in UTC; a real day of the years 1 to 9999, else a 400. A
 * date-time as its instant in UTC: the format takes offsets up to ±23:59 and PostgreSQL only up
 * to ±15:59 ("time zone displacement out of range"), so `published_after=…T00:00:00+23:59`, sent
 * as written, was a 500 for anyone.
 */
function instant(field: string, value: string | undefined): string | undefined {
  if (value === undefined) return value;
  if (!DATE_ONLY.test(value)) {
    // The format admitted it: a time of the years 1 to 9999 that Date.parse reads. Its fraction of
    // a second is kept as written (offsets are whole minutes): a Date holds milliseconds and
    // PostgreSQL microseconds, so .0005 read as .000 moved the bound before posts of that second.
    const fraction = /\.\d+/.exec(value)?.[0] ?? '';
    const seconds = new Date(Date.parse(value.replace(fraction, ''))).toISOString().slice(0, 19);
    return `${seconds}${fraction}Z`;
  }
  const start = `${value}T00:00:00Z`;
  const ms = Date.parse(start);
  if (
    value.startsWith('0000') ||
    Number.isNaN(ms) ||
    !new Date(ms).toISOString().startsWith(value)
  ) {
    throw problems.badRequest('The query string is invalid.', [
      { field, message: 'must be a date-time or a date (YYYY-MM-DD) that exists' },
    ]);
  }
  return start;
}

export async function listPosts(
  ctx: MainContext,
  principal: Principal | null,
  query: ListPostsQuery,
  searches?: SearchLimiter,
): Promise<{ items: ReturnType<typeof toPostView>[]; next_cursor: string | null }> {
  const start = instant('published_after', query.published_after);
  const end = instant('published_before', query.published_before);
  if (start && end && Date.parse(start) >= Date.parse(end)) {
    throw problems.badRequest('"published_after" must be before "published_before".', [
      { field: 'published_after', message: 'must be before "published_before"' },
    ]);
  }
  const q = query.q?.trim();
  const order: ListOrder = query.sort ?? (q ? 'rank' : '-published_at');
  // Decoded before anything else: a bad cursor is a 400 even when the list would be empty.
  const after = query.cursor ? decodeCursor(query.cursor, order) : undefined;
  const empty = { items: [], next_cursor: null };
  const branches = visibleBranches(principal, query.status);
  if (branches.length === 0) return empty;

  const filters: ListFilters = {};
  if (query.category) {
    const category = await findCategory(ctx.db, query.category);
    if (!category) return empty;
    filters.categoryId = category.id;
  }
  if (query.tag?.length) {
    const slugs = new Set(query.tag.map(tagSlug));
    // A tag with no letter or digit is no post's.
    if (slugs.has('')) return empty;
    const tags = await rarestFirst(ctx, [...slugs]);
    if (!tags) return empty;
    filters.tags = tags;
  }
  if (query.author) filters.authorId = query.author.toLowerCase();
  if (q) filters.q = q;
  if (start) filters.publishedAfter = start;
  if (end) filters.publishedBefore = end;
  // A search takes one of the replica's search slots for its queries of posts (search-limiter.ts),
  // once its input is checked: a bad date or cursor is a 400, and a list known to be empty is
  // answered, at once, even while every slot is busy (not a 503 after SEARCH_WAIT_MS).
  const read = () => readPage(ctx, order, branches, filters, after, query.limit);
  return searches && isSearch(query) ? searches.run(read) : read();
}

/** The queries of posts of one list page, its filters checked and resolved (listPosts). */
async function readPage(
  ctx: MainContext,
  order: ListOrder,
  branches: Branch[],
  filters: ListFilters,
  after: ReturnType<typeof decodeCursor> | undefined,
  limit: number,
): Promise<{ items: ReturnType<typeof toPostView>[]; next_cursor: string | null }> {
  const q = filters.q;
  // Whether to walk the tag or read the word's index (list-query.ts walkTag): only the date
  // orders (and rank, built on -published_at) can walk a tag in order.
  if (q && filters.tags && order !== 'title' && order !== '-created_at') {
    filters.matches = await estimateSearch(ctx.db, q, filters.tags);
  }

  const run = (sqlQuery: SQL) =>
    ctx.db.execute<ListRow>(sqlQuery).catch((error: unknown) => {
      throw tooSlow(error) ?? error;
    });
  if (order === 'rank') {
    // The order is rank only when q is given.
    const ranked = { ...filters, q: q as string };
    const size = ctx.config.SEARCH_RANK_WINDOW;
    const { rows, next } = await rankedPage(run, branches, ranked, after, limit, size);
    return { items: rows.map(toPostView), next_cursor: next ? encodeCursor(next) : null };
  }
  // One row more than asked says whether another page exists without a count query.
  // The page may end short of it, at the byte budget (list-query.ts PAGE_BODY_BYTES).
  const { rows } = await run(listQuery(branches, order, filters, after, limit + 1));
  const { page, more } = pageRows(rows, limit);
  const last = page.at(-1);
  return {
    items: page.map(toPostView),
    next_cursor: more && last ? encodeCursor({ order, value: last.sort_value, id: last.id }) : null,
  };
}

/**
 * A list page as JSON bytes with its validator. Anonymous pages come from the replica's cache
 * when no post or category was written since (list-cache.ts); a signed-in caller's may hold
 * their drafts, so theirs are computed each time.
 */
export async function listPage(
  ctx: MainContext,
  { cache, searches }: { cache: ListCache; searches: SearchLimiter },
  request: { principal: Principal | null; query: ListPostsQuery; url: string },
  serialize: (page: Awaited<ReturnType<typeof listPosts>>) => string,
): Promise<Page> {
  const { principal, query, url } = request;
  if (principal) return pageOf(serialize(await listPosts(ctx, principal, query, searches)));
  // Read before the list: the page is then at least as new as the stamp it is cached under.
  // A busy database can time out even this one-row read: a 503 like the list's own, not a 500.
  const stamp = await listStamp(ctx.db).catch((error: unknown) => {
    throw tooSlow(error) ?? error;
  });
  return cache.page(stamp, url, async () => serialize(await listPosts(ctx, null, query, searches)));
}

/**
 * The version of everything an anonymous list page shows, for the gateway's cache
 * (CACHE_VERSION_PATH): the list stamp, which every write of posts, their tags or categories
 * bumps in its own transaction, on any replica or in a background job.
 */
export const listVersion = (ctx: MainContext): Promise<string> => listStamp(ctx.db);

/**
 * The list walks the first tag's index and checks the others on each row, so the rarest tag goes
 * first. Undefined when a tag was never used: nothing can match.
 */
async function rarestFirst(ctx: MainContext, tags: string[]): Promise<string[] | undefined> {
  if (tags.length === 1) return tags;
  const { rows } = await ctx.db.execute<{ slug: string }>(
    sql`select slug from tags where slug = any(${sql.param(tags)}::text[]) order by post_count, slug`,
  );
  return rows.length === tags.length ? rows.map((r) => r.slug) : undefined;
}

/**
 * A list that outlasts the statement timeout (a broad filter on a busy database) is the
 * caller's query, not a fault: 503 with a hint, never a 500.
 */
function tooSlow(error: unknown) {
  if (!isStatementTimeout(error)) return undefined;
  return problem(
    'query_timeout',
    'The list took too long to compute; add filters, or a sort (sort=-published_at) to a broad q.',
    { headers: { 'retry-after': '5' } },
  );
}
