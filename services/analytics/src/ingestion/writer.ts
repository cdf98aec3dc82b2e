import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Db } from '../db/index.ts';
import { StoreRejected } from '../store/errors.ts';
import type { QueuedEvent, QueuedSample, Store } from '../store/types.ts';
import { itemSeq } from './queue.ts';

export interface Writer {
  start(): void;
  /** Asks for a pass now (after an enqueue) instead of at the next interval. */
  wake(): void;
  /** Resolves once the queue holds nothing that is due (tests, benchmarks). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

/** One accepted request: its items in order; an item already written is null (see park). */
interface Row {
  seq: number;
  kind: 'event' | 'sample';
  item: (Record<string, unknown> | null)[];
}

interface Item {
  row: Row;
  index: number;
  value: Record<string, unknown>;
}

/**
 * Store writes of about `size` items made of whole queue rows. Whatever else a retry brings
 * along, a row is then always written whole or in the same halves (see halves), which the
 * InfluxDB store's rollups rely on: their points are keyed by the items of one write.
 */
function chunksOf(items: Item[], size: number): Item[][] {
  const chunks: Item[][] = [];
  let chunk: Item[] = [];
  for (let i = 0; i < items.length; i += 1) {
    const item = items[i]!;
    const rowStarts = i === 0 || items[i - 1]!.row !== item.row;
    if (rowStarts && chunk.length > 0 && chunk.length + item.row.item.length > size) {
      chunks.push(chunk);
      chunk = [];
    }
    chunk.push(item);
  }
  if (chunk.length) chunks.push(chunk);
  return chunks;
}

/** Two parts of a refused write: split between rows while it spans several, else in the middle. */
function halves(items: Item[]): [Item[], Item[]] {
  const boundaries: number[] = [];
  for (let i = 1; i < items.length; i += 1) {
    if (items[i]!.row !== items[i - 1]!.row) boundaries.push(i);
  }
  const middle = items.length / 2;
  const at = boundaries.length
    ? boundaries.reduce((best, b) => (Math.abs(b - middle) < Math.abs(best - middle) ? b : best))
    : Math.ceil(middle);
  return [items.slice(0, at), items.slice(at)];
}

/** Items the store refuses outright wait this long before they are tried again. */
const PARK = '1 hour';

/**
 * Moves the durable queue into the store, oldest first. A queue row leaves only in the
 * transaction that saw the store accept its items; a failed write leaves it there and the writer
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
  // A row holds up to 1000 items; this many rows make roughly one store write.
  const rowsPerPass = Math.max(1, Math.floor(config.WRITER_BATCH_SIZE / 250));
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
            order by seq limit ${rowsPerPass} for update skip locked`,
      );
      if (rows.length === 0) return 0;
      const items = rows.flatMap((row) =>
        row.item.flatMap((value, index) => (value ? [{ row, index, value }] : [])),
      );
      const refused = new Set<Item>();
      for (const chunk of chunksOf(items, config.WRITER_BATCH_SIZE)) {
        for (const r of await write(chunk)) refused.add(r);
      }
      const done = rows.filter((row) => !items.some((i) => i.row === row && refused.has(i)));
      // One text parameter, not one per row.
      if (done.length) {
        const seqs = done.map((r) => r.seq).join(',');
        await tx.execute(
          sql`delete from queue where seq = any(string_to_array(${seqs}, ',')::bigint[])`,
        );
      }
      for (const row of rows.filter((r) => !done.includes(r))) {
        const left = row.item.map((value, index) =>
          [...refused].some((i) => i.row === row && i.index === index) ? value : null,
        );
        await tx.execute(sql`update queue set item = ${JSON.stringify(left)}::jsonb,
            attempts = attempts + 1, next_attempt_at = now() + ${PARK}::interval
            where seq = ${row.seq}`);
      }
      return rows.length;
    });
  }

  /** Writes items; returns those the store refuses outright, found by halving the batch. */
  async function write(items: Item[]): Promise<Item[]> {
    const queued = (i: Item) => ({ ...i.value, seq: itemSeq(i.row.seq, i.index) });
    try {
      const events = items.filter((i) => i.row.kind === 'event').map(queued);
      const samples = items.filter((i) => i.row.kind === 'sample').map(queued);
      if (events.length) await store.writeEvents(events as QueuedEvent[]);
      if (samples.length) await store.writeSamples(samples as QueuedSample[]);
      return [];
    } catch (error) {
      if (!(error instanceof StoreRejected)) throw error;
      if (items.length === 1) {
        const seq = itemSeq(items[0]!.row.seq, items[0]!.index);
        log.error({ err: error, seq }, 'the store refused a queued item; parked');
        return items;
      }
      const [left, right] = halves(items);
      return [...(await write(left)), ...(await write(right))];
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
