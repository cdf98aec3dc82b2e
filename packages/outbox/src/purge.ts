import type pg from 'pg';

/**
 * How published events are deleted. Kept a while (default 7 days, as NServiceBus keeps its outbox
 * records) to inspect or replay recent deliveries, then deleted: otherwise the table, its indexes
 * and every VACUUM of it grow for as long as the service runs.
 */
export interface PurgeOptions {
  /**
   * Published events older than this are deleted (default 7 days); 0 turns purging off.
   * Set-aside events (never published) are never deleted: they wait for an operator.
   */
  retentionMs?: number;
  /** Pause between purges, ±50 % jitter so replicas started together spread out (default 5 min). */
  purgeIntervalMs?: number;
  /** Rows per DELETE (default 5000): each is its own short transaction, holding few locks. */
  purgeBatchSize?: number;
  /** DELETEs per purge at most (default 10); a bigger backlog goes on at the next one. */
  purgeBatches?: number;
}

export const DEFAULT_RETENTION_MS = 7 * 24 * 3600_000;
const DEFAULT_INTERVAL_MS = 5 * 60_000;

/** Any constant this database uses for nothing else: one replica purges at a time. */
const PURGE_LOCK = `hashtext('outbox-purge')`;

/**
 * One batch: published events older than the retention, oldest first, read from
 * `outbox_published_idx` (table.ts), then deleted by primary key. `= any(array(…))`, not `in (…)`:
 * that one is planned as a semi-join over a scan of the whole table, every batch. SKIP LOCKED: a
 * row someone holds (an operator's update) is left for the next purge rather than waited for.
 */
export const PURGE_EVENTS_SQL = `delete from outbox where id = any(array(
  select id from outbox
   where published_at < now() - $1 * interval '1 millisecond' and set_aside_at is null
   order by published_at limit $2 for update skip locked))`;

/**
 * Deletes published events older than the retention, `purgeBatchSize` rows per statement and at
 * most `purgeBatches` statements, each committed on its own (no long transaction, locks held
 * briefly). Under a session advisory lock taken without waiting: while a replica purges, the
 * others skip their turn instead of queueing behind it to find nothing. Returns how many went
 * (0 when off, or when another replica is purging).
 */
export async function purgePublishedEvents(
  pool: pg.Pool,
  options: PurgeOptions = {},
): Promise<number> {
  const retentionMs = options.retentionMs ?? DEFAULT_RETENTION_MS;
  if (retentionMs <= 0) return 0;
  const batchSize = options.purgeBatchSize ?? 5000;
  const batches = options.purgeBatches ?? 10;
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    const { rows } = await client.query<{ locked: boolean }>(
      `select pg_try_advisory_lock(${PURGE_LOCK}) as locked`,
    );
    if (!rows[0]?.locked) return 0;
    try {
      let total = 0;
      for (let i = 0; i < batches; i += 1) {
        const { rowCount } = await client.query(PURGE_EVENTS_SQL, [retentionMs, batchSize]);
        total += rowCount ?? 0;
        if ((rowCount ?? 0) < batchSize) break;
      }
      return total;
    } finally {
      await client.query(`select pg_advisory_unlock(${PURGE_LOCK})`);
    }
  } catch (error) {
    // A connection in an unknown state may still hold the lock: closed, which frees it.
    broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

/** The pause before the next purge: the interval ±50 %. */
export const purgeDelay = (options: PurgeOptions) =>
  (options.purgeIntervalMs ?? DEFAULT_INTERVAL_MS) * (0.5 + Math.random());
