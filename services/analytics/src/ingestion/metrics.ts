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

/** Rows waiting for the writer (counted up to a million), and how long the oldest has waited. */
export async function queueBacklog(db: Db): Promise<{ rows: number; oldestSeconds: number }> {
  const { rows } = await db.execute<{ rows: number; oldest: number | null }>(
    sql`select (select count(*) from (select 1 from queue limit 1000000) q)::float8 as rows,
               extract(epoch from now() - (select min(enqueued_at) from queue))::float8 as oldest`,
  );
  return { rows: rows[0]?.rows ?? 0, oldestSeconds: Math.max(0, rows[0]?.oldest ?? 0) };
}
