import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';

/** Numbers per block: the increment of sequence `queue_point_blocks` (migration 0014). */
export const POINT_BLOCK = 65_536;

/**
 * Point numbers: the sub-millisecond digits of an item's InfluxDB points (number modulo 10⁶,
 * line-protocol.ts pointTime). An InfluxDB point is its series and its time, so two events of one
 * series and millisecond — a client's own timestamps, an import stamped to the second — must
 * differ there. A queue row's items get `point_base + index` (queue.ts insertRows), stored with
 * the row, so a row written again (a retry, another replica, after a crash) lands on the same
 * points. Numbers are dense across rows: the digits repeat only about a million numbers apart.
 * (The items' `seq` — row × 1000 + index, which PostgreSQL keys on — left 999 of every 1000 of
 * them unused, and repeated every 1000 rows.)
 */
export interface PointNumbers {
  /**
   * The first of `count` consecutive numbers that no other call, process or replica gets;
   * a number when the process's block has room (nearly always), else once it has a new one.
   */
  take(count: number): number | Promise<number>;
}

/**
 * Numbers in blocks of POINT_BLOCK reserved from a PostgreSQL sequence, one round trip per block
 * (on the pool, never in a caller's transaction: a reservation is never undone, and needs none).
 * Callers that find the block full wait for one refill together. A row's numbers are never split
 * across blocks; what is left of a block (less than a row, or at exit) is skipped. A replica
 * that has been idle may still hand out numbers from a block reserved long before, which is
 * why the limit above is counted in numbers, not time.
 */
export function createPointNumbers(db: Db): PointNumbers {
  let next = 0;
  /** The end of the block (exclusive); 0 before the first. */
  let end = 0;
  let refill: Promise<void> | undefined;

  function fill(): Promise<void> {
    refill ??= reserveBlock(db)
      .then((start) => {
        next = start;
        end = next + POINT_BLOCK;
      })
      .finally(() => {
        refill = undefined;
      });
    return refill;
  }

  function take(count: number): number | Promise<number> {
    if (count > POINT_BLOCK) throw new Error(`at most ${POINT_BLOCK} point numbers at once`);
    if (next + count <= end) {
      const base = next;
      next += count;
      return base;
    }
    // Waiters share the refill; one that finds it used up by the others waits for the next.
    return fill().then(() => take(count));
  }

  return { take };
}

/**
 * The first number of a new block, its reservation on disk before it is used. A `nextval` alone
 * is not: a transaction without an xid commits without flushing the WAL, so after a crash of
 * PostgreSQL (the process, still holding the block, numbering on) the sequence could hand the
 * same block to the next process that asks (test/point-numbers-crash.test.ts). Taking an xid and
 * committing with synchronous_commit `local`, whatever the server's, flushes it to the server's
 * own disk (`local`, not `on`: a refill never waits for a standby that may be down while the
 * rows' own commits do not). Still one statement, in a transaction of its own: the setting holds
 * until its commit.
 */
async function reserveBlock(db: Db): Promise<number> {
  const { rows } = await db.execute<{ start: number }>(
    sql`select set_config('synchronous_commit', 'local', true),
               nextval('queue_point_blocks')::float8 as start, pg_current_xact_id()`,
  );
  return rows[0]!.start;
}

/**
 * Rows with the point number of their first item (what insertRows stores). Reserve them before
 * opening the transaction the rows go in: a refill takes a pool connection of its own, which
 * transactions holding every other one would wait for (pg's pool is bounded).
 */
export async function numbered<R extends { item: readonly unknown[] }>(
  rows: R[],
  points: PointNumbers,
): Promise<(R & { point: number })[]> {
  const out: (R & { point: number })[] = [];
  for (const row of rows) {
    // Nearly always a number at hand: awaited only while a block is being reserved.
    const base = points.take(row.item.length);
    out.push({ ...row, point: typeof base === 'number' ? base : await base });
  }
  return out;
}
