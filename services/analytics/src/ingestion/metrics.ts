import { sql } from 'drizzle-orm';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../db/index.ts';

/**
 * The writer's backlog, read from the queue table at each scrape, so every replica reports the
 * shared queue (alert on the max): rows waiting, and the age of the oldest (the writer's lag).
 */
export function registerQueueMetrics(db: Db, registry: Registry): void {
  let last: Promise<{ rows: number; oldestSeconds: number }> | undefined;
  // Both gauges are collected in one scrape: one query serves them.
  const read = () => {
    // A database that cannot answer must not fail the whole scrape: NaN says "unknown".
    last ??= queueBacklog(db)
      .catch(() => ({ rows: Number.NaN, oldestSeconds: Number.NaN }))
      .finally(() => {
        setImmediate(() => {
          last = undefined;
        });
      });
    return last;
  };
  new Gauge({
    name: 'analytics_queue_rows',
    help: 'Accepted requests (queue rows, up to 1000 items each) not yet written to the store',
    registers: [registry],
    async collect() {
      this.set((await read()).rows);
    },
  });
  new Gauge({
    name: 'analytics_queue_oldest_seconds',
    help: 'Age of the oldest queue row not yet written to the store: the writer lag',
    registers: [registry],
    async collect() {
      this.set((await read()).oldestSeconds);
    },
  });
}

/**
 * Rows counted one by one at most; past this many, the span of their sequence numbers stands in.
 * A packed row fills most of a heap page (row-packing.ts packRow), so counting reads a page per row:
 * a million rows waiting (an outage) would be 8 GB read at every scrape. Ten thousand is twice
 * what the backlog alert fires at.
 */
export const COUNTED_ROWS = 10_000;

/**
 * What queueBacklog reads: rows counted up to `counted`, the span of the sequence numbers
 * waiting, and the age of the oldest row by sequence number, all through the primary key: a scan
 * of the table (`min(enqueued_at)`, a count without `seq >=`) also read the page of every row
 * deleted since the last vacuum, one per row and some 1200 a second under load, each time.
 */
export const backlogStatement = (counted = COUNTED_ROWS) =>
  sql`select (select count(*) from (select 1 from queue where seq >= (select min(seq) from queue)
                                     limit ${counted}) q)::float8 as counted,
             ((select max(seq) from queue) - (select min(seq) from queue) + 1)::float8 as span,
             extract(epoch from now() - (select enqueued_at from queue order by seq limit 1))::float8
               as oldest`;

/**
 * Rows waiting for the writer, and how long the oldest has waited. Exact up to `counted` rows;
 * past that, the span of their sequence numbers: an upper bound, exact while rows leave oldest
 * first, as the writer takes them (only rows a pass still holds, or numbers an insert that failed
 * used up, lie inside it). The oldest row is the one with the lowest number: rows are numbered as
 * they are inserted, so it is the oldest but for the length of a transaction.
 */
export async function queueBacklog(
  db: Db,
  counted = COUNTED_ROWS,
): Promise<{ rows: number; oldestSeconds: number }> {
  const { rows } = await db.execute<{
    counted: number;
    span: number | null;
    oldest: number | null;
  }>(backlogStatement(counted));
  const row = rows[0]!;
  const waiting = row.counted < counted ? row.counted : Math.max(row.counted, row.span ?? 0);
  return { rows: waiting, oldestSeconds: Math.max(0, row.oldest ?? 0) };
}

/**
 * How long the oldest deleted user's id → pseudonym mapping has been kept (forgotten_users), read
 * at each scrape (the table holds the users being forgotten: a few rows). Deleted after ten
 * minutes, or once the writer's backlog from before the deletion is written: one kept for hours
 * means the final passes fail (a transaction stuck holding destination_deliveries, ingestion/
 * forget.ts) or the writer lags; until it goes, the user's id is linked to their events. 0 with
 * nobody being forgotten.
 */
export function registerForgettingMetrics(db: Db, registry: Registry): void {
  new Gauge({
    name: 'analytics_forgetting_oldest_seconds',
    help: "Age of the oldest deleted user's id to pseudonym mapping still kept (0: none)",
    registers: [registry],
    async collect() {
      try {
        const { rows } = await db.execute<{ oldest: number | null }>(
          sql`select extract(epoch from now() - min(forgotten_at))::float8 as oldest
                from forgotten_users`,
        );
        this.set(Math.max(0, rows[0]?.oldest ?? 0));
      } catch {
        // A database that cannot answer must not fail the whole scrape: NaN says "unknown".
        this.set(Number.NaN);
      }
    },
  });
}
