/**
 * The SQL side of `npm run bench:main`: the cursor a walk of the pages reaches, made with the
 * service's own queries, and what EXPLAIN ANALYZE says a page read.
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { Cursor, ListOrder } from '../services/main/src/posts/cursor.ts';
import {
  type ListFilters,
  type ListRow,
  listQuery,
} from '../services/main/src/posts/list-query.ts';
import { rankedPage, rankedQuery } from '../services/main/src/posts/rank-query.ts';
import { estimateSearch } from '../services/main/src/posts/repository.ts';

const dialect = new PgDialect();

export interface Case {
  name: string;
  query: Record<string, string | string[]>;
  order: ListOrder;
  filters: ListFilters;
  /** Default DEEP_PAGE. */
  deepPage?: number;
}

export type Query = Parameters<PgDialect['sqlToQuery']>[0];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows every scan node read (returned plus filtered away), and whether posts was seq-scanned. */
function scanned(node: PlanNode): { rows: number; seqScan: boolean } {
  let rows = 0;
  let seqScan = node['Node Type'] === 'Seq Scan' && node['Relation Name'] === 'posts';
  if (node['Node Type'].includes('Scan')) {
    const loops = node['Actual Loops'] ?? 1;
    rows +=
      ((node['Actual Rows'] ?? 0) +
        (node['Rows Removed by Filter'] ?? 0) +
        (node['Rows Removed by Index Recheck'] ?? 0)) *
      loops;
  }
  for (const child of node.Plans ?? []) {
    const sub = scanned(child);
    rows += sub.rows;
    seqScan ||= sub.seqScan;
  }
  return { rows: Math.round(rows), seqScan };
}

/**
 * The cursor that walking `page`-sized pages reaches before page `wanted` (or the last page when
 * fewer match), made by the service's own queries, and the query the service runs for page 1
 * and for that page.
 */
export async function reach(
  db: pg.Client,
  c: Case,
  wanted: number,
  { page, rankWindow }: { page: number; rankWindow: number },
) {
  const published = [{ status: 'published' as const }];
  // As the service does (list-service.ts): with q and tags, the planner's estimates pick the path.
  if (c.filters.q && c.filters.tags && c.order !== 'title' && c.order !== '-created_at') {
    const execute = (query: Query) => db.query(toQuery(query));
    const executor = { execute } as unknown as Parameters<typeof estimateSearch>[0];
    c.filters.matches = await estimateSearch(executor, c.filters.q, c.filters.tags);
  }
  const skip = (wanted - 1) * page;
  if (c.order !== 'rank') {
    const rows = (
      await db.query(toQuery(listQuery(published, c.order, c.filters, undefined, skip)))
    ).rows as ListRow[];
    const deepPage = rows.length >= skip ? wanted : Math.max(1, Math.ceil(rows.length / page));
    const before = rows[(deepPage - 1) * page - 1];
    const after: Cursor | undefined = before
      ? { order: c.order, value: before.sort_value, id: before.id }
      : undefined;
    return {
      available: rows.length,
      deepPage,
      after,
      plans: {
        first: listQuery(published, c.order, c.filters, undefined, page + 1),
        deep: listQuery(published, c.order, c.filters, after, page + 1),
      },
    };
  }
  const filters = { ...c.filters, q: c.filters.q ?? '' };
  const run = (query: Query) => db.query(toQuery(query));
  // One page of `skip` rows ends where `wanted - 1` pages of `page` rows end: same last row and cursor.
  const walk = async (rows: number) =>
    rows === 0
      ? { rows: [], next: undefined }
      : rankedPage(run, published, filters, undefined, rows, rankWindow);
  let deepPage = wanted;
  let { rows, next } = await walk(skip);
  const available = rows.length;
  if (!next) {
    deepPage = Math.max(1, Math.ceil(available / page));
    ({ rows, next } = await walk((deepPage - 1) * page));
  }
  const after = next ?? undefined;
  const stage = after?.stage;
  return {
    available,
    deepPage,
    after,
    plans: {
      first: rankedQuery(published, filters, undefined, undefined, page + 1, rankWindow),
      deep:
        stage === 'recent'
          ? listQuery(published, '-published_at', filters, after, page + 1)
          : rankedQuery(published, filters, stage, after, page + 1, rankWindow),
    },
  };
}

export function toQuery(query: Query) {
  const { sql, params } = dialect.sqlToQuery(query);
  return { text: sql, values: params as unknown[] };
}

/**
 * p50 / p95 in ms of the query itself, run `samples` times (after 3 unmeasured) on one
 * connection: what a page costs whenever the service computes it — every signed-in caller, and
 * an anonymous one after any write — which the HTTP figures above hide once a page is cached.
 */
export async function timeQuery(db: pg.Client, query: Query, samples: number) {
  const { text, values } = toQuery(query);
  const times: number[] = [];
  for (let i = 0; i < samples + 3; i++) {
    const started = performance.now();
    await db.query(text, values);
    if (i >= 3) times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? NaN;
  return { p50: at(0.5), p95: at(0.95) };
}

export async function explain(db: pg.Client, query: Query) {
  const { text, values } = toQuery(query);
  const { rows } = await db.query(`explain (analyze, format json) ${text}`, values);
  return scanned((rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0]!.Plan);
}
