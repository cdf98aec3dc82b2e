import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import { StoreRejected } from '../store/errors.ts';
import type { QueuedEvent, QueuedSample, Store } from '../store/types.ts';

export interface Writer {
  start(): void;
  /** Asks for a pass now (after an enqueue) instead of at the next interval. */
  wake(): void;
  /** Resolves once the queue holds nothing that is due (tests, benchmarks). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

interface Row {
  seq: number;
  kind: 'event' | 'sample';
  item: Record<string, unknown>;
}

/** A row the store refuses outright waits this long before it is tried again. */
const PARK = '1 hour';

/**
 * Moves the durable queue into the store in batches, oldest first. A row leaves the queue only in
 * the transaction that saw the store accept it; a failed write leaves it there and the writer
 * backs off (100 ms doubling up to WRITER_MAX_BACKOFF_MS). Rows are locked with SKIP LOCKED, so
 * replicas share the work without writing a row twice at the same time.
 */
export function createWriter(deps: {
  db: Db;
  store: Store;
  config: Config;
  log: FastifyBaseLogger;
}): Writer {
  const { db, store, config, log } = deps;
  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  /** Passes started so far; a drained() waiter needs an empty pass that began after its call. */
  let passes = 0;
  let waiters: { after: number; resolve: () => void }[] = [];

  async function pass(): Promise<number> {
    return db.transaction(async (tx) => {
      const { rows } = await tx.execute<Row & Record<string, unknown>>(
        sql`select seq::float8 as seq, kind, item from queue where next_attempt_at <= now()
            order by seq limit ${config.WRITER_BATCH_SIZE} for update skip locked`,
      );
      if (rows.length === 0) return 0;
      const parked = await write(rows);
      const done = rows.filter((r) => !parked.includes(r.seq)).map((r) => r.seq);
      // One text parameter, not one per row: batches hold thousands.
      if (done.length) {
        await tx.execute(
          sql`delete from queue where seq = any(string_to_array(${done.join(',')}, ',')::bigint[])`,
        );
      }
      if (parked.length) {
        await tx.execute(sql`update queue set attempts = attempts + 1,
            next_attempt_at = now() + ${PARK}::interval
            where seq = any(string_to_array(${parked.join(',')}, ',')::bigint[])`);
      }
      return rows.length;
    });
  }

  /** Writes rows; returns the seqs the store refuses outright, found by halving the batch. */
  async function write(rows: Row[]): Promise<number[]> {
    try {
      const events = rows.filter((r) => r.kind === 'event');
      const samples = rows.filter((r) => r.kind === 'sample');
      if (events.length) {
        await store.writeEvents(events.map((r) => ({ ...r.item, seq: r.seq }) as QueuedEvent));
      }
      if (samples.length) {
        await store.writeSamples(samples.map((r) => ({ ...r.item, seq: r.seq }) as QueuedSample));
      }
      return [];
    } catch (error) {
      if (!(error instanceof StoreRejected)) throw error;
      if (rows.length === 1) {
        log.error({ err: error, seq: rows[0]!.seq }, 'the store refused a queued item; parked');
        return [rows[0]!.seq];
      }
      const half = Math.ceil(rows.length / 2);
      return [...(await write(rows.slice(0, half))), ...(await write(rows.slice(half)))];
    }
  }

  async function run() {
    let backoff = 100;
    while (running) {
      let moved = 0;
      const number = ++passes;
      try {
        moved = await pass();
        backoff = 100;
      } catch (err) {
        log.warn({ err, retryInMs: backoff }, 'writing the queue to the store failed; will retry');
        await sleep(backoff);
        backoff = Math.min(backoff * 2, config.WRITER_MAX_BACKOFF_MS);
        continue;
      }
      if (moved > 0) continue;
      const ready = waiters.filter((w) => w.after < number);
      waiters = waiters.filter((w) => w.after >= number);
      for (const w of ready) w.resolve();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, config.WRITER_INTERVAL_MS);
        wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wakeUp = undefined;
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      loop = run();
    },
    wake() {
      wakeUp?.();
    },
    drained() {
      const waiting = new Promise<void>((resolve) => waiters.push({ after: passes, resolve }));
      wakeUp?.();
      return waiting;
    },
    async close() {
      running = false;
      wakeUp?.();
      await loop;
      for (const w of waiters.splice(0)) w.resolve();
    },
  };
}
