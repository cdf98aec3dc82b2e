// The writer: its passes, run in a loop with backoff, and the handle the app wakes and hands rows to.
import { setTimeout as sleep } from 'node:timers/promises';
import { withLinkedSpan } from '@platform/telemetry';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Db, Tx } from '../db/index.ts';
import type { Store } from '../store/types.ts';
import { createDedup, type Dedup } from './dedup.ts';
import type { Forgotten } from './forgotten.ts';
import { lockDueRows } from './queue.ts';
import type { Row } from './queue-rows.ts';
import { claimAhead } from './writer-ahead.ts';
import type { Arena } from './writer-arena.ts';
import { type Cached, createRowCache } from './writer-cache.ts';
import type { OnClaimed } from './writer-claims.ts';
import { type Held, load, stored } from './writer-load.ts';
import { write } from './writer-write.ts';

export interface Writer {
  start(): void;
  /** Asks for a pass now (after an enqueue) instead of at the next interval. */
  wake(): void;
  /**
   * Hands over a queue row this process just committed, so the next pass need not read back
   * and parse what it already holds; a store that encodes (Store.encodeEvents) encodes its
   * events now, in the caller's turn. Only a shortcut: the row is still read if need be.
   */
  remember(row: Row): void;
  /** Resolves once the queue holds nothing that is due (tests, benchmarks). */
  drained(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Moves the durable queue into the store, oldest first. A queue row leaves only in the
 * transaction that saw the store accept its items, or set aside as dead letters those it
 * refused (found by halving the write), so one bad item never holds up the rest. While the store
 * is down nothing is set aside: the rows stay and the writer backs off (100 ms doubling up to
 * WRITER_MAX_BACKOFF_MS). Rows are locked with SKIP LOCKED, so replicas, and passes running side
 * by side, share the work without writing a row twice at once.
 */
export function createWriter(deps: {
  db: Db;
  store: Store;
  config: Config;
  log: FastifyBaseLogger;
  /** Where the dead-letter counter is registered (the app's `/metrics`). */
  metrics?: Registry;
  /** The process's dedup index (a writer of its own, as in a test's second replica, makes one). */
  dedup?: Dedup;
  /** Hands events over as their message ids are taken (the destinations; writer-claims.ts). */
  onClaimed?: OnClaimed;
  /** Where the cache keeps bodies (tests; default: an arena of its own, writer-arena.ts). */
  arena?: Arena;
  /** Users being forgotten: their events are written under their pseudonym (forgotten.ts). */
  forgotten?: Forgotten;
}): Writer {
  const { db, store, config, log } = deps;
  const dedup = deps.dedup ?? createDedup({ maxIds: config.DEDUP_MAX_IDS });
  // Without a registry (tests, a second writer in a test) it counts into none.
  const deadLetters = new Counter({
    name: 'analytics_ingestion_dead_letters_total',
    help: 'Queued items the store refused, set aside as dead letters',
    registers: deps.metrics ? [deps.metrics] : [],
  });
  // A row holds up to 1000 items; this many rows make roughly one store write.
  const rowsPerPass = Math.max(1, Math.floor(config.WRITER_BATCH_SIZE / 250));
  // Two passes overlap on InfluxDB: one prepares or commits while the other's write is in the
  // server, whose writes run in parallel. PostgreSQL's writes update shared rollup rows, which
  // concurrent passes would only contend for.
  const concurrency = store.kind === 'influxdb' ? 2 : 1;
  let running = false;
  /** Aborted by close: ends a backoff at once. */
  let stopping = new AbortController();
  let loops: Promise<void>[] = [];
  const sleepers = new Set<() => void>();
  /** Passes started so far; a drained() waiter needs an empty pass that began after its call. */
  let passes = 0;
  let inFlight = 0;
  /** Items remembered since a pass last began to take rows. */
  let arrived = 0;
  let waiters: { after: number; resolve: () => void }[] = [];
  const cache = createRowCache({ store, log, onClaimed: deps.onClaimed, arena: deps.arena });
  const { onClaimed, forgotten } = deps;
  const writeDeps = { db, store, config, log, dedup, onClaimed, forgotten, deadLetters };

  /** The due rows, oldest first, locked; from the cache or else from the table. */
  async function take(
    tx: Tx,
    holding: Cached[],
  ): Promise<{ held: Held[]; traces: (string | null)[] }> {
    // Rows remembered by now are committed, so the select below sees them unless they are gone.
    const known = cache.seqs();
    arrived = 0;
    const heads = await lockDueRows(tx, rowsPerPass);
    // Those older than the oldest due one are done with, not due yet, or another pass's or replica's.
    const oldest = heads[0]?.seq ?? Number.POSITIVE_INFINITY;
    for (const seq of known) if (seq < oldest) cache.forget(seq);
    // Taken from the cache now: while the rest loads, another pass may forget these (they are
    // locked by this one, so older than whatever it sees).
    const cached = new Map(heads.map((h) => [h.seq, cache.hold(h.seq)] as const));
    for (const row of cached.values()) if (row) holding.push(row);
    const loaded = await load(
      tx,
      heads.filter((h) => !cached.get(h.seq)).map((h) => h.seq),
    );
    return {
      held: heads.map((h) => cached.get(h.seq) ?? stored(h, loaded, log)),
      traces: heads.map((h) => h.trace_context),
    };
  }

  async function pass(): Promise<number> {
    const taken: Held[] = [];
    // Cached rows this pass reads, given back when it is done, whatever happened: their bytes
    // are used again then (writer-cache.ts).
    const holding: Cached[] = [];
    try {
      const moved = await db.transaction(async (tx) => {
        const { held, traces } = await take(tx, holding);
        taken.push(...held);
        if (held.length === 0) return 0;
        // With tracing on: the write is a span linked to the requests whose items it carries.
        return withLinkedSpan(
          'analytics write',
          traces,
          { 'analytics.store': store.kind, 'analytics.queue_rows': held.length },
          () => write(writeDeps, tx, held),
        );
      });
      for (const row of taken) cache.forget(row.seq);
      return moved;
    } finally {
      cache.release(holding);
    }
  }

  const claimRowsAhead = claimAhead({
    db,
    dedup,
    onClaimed: deps.onClaimed,
    rowsPerPass,
    running: () => running,
  });

  async function run() {
    let backoff = 100;
    while (running) {
      let moved = 0;
      const number = ++passes;
      inFlight += 1;
      try {
        moved = await pass();
        backoff = 100;
      } catch (err) {
        log.warn({ err, retryInMs: backoff }, 'writing the queue to the store failed; will retry');
        await claimRowsAhead().catch((error: unknown) =>
          log.warn({ err: error }, 'claiming message ids ahead failed; will retry'),
        );
        // Cut short by close only: a request's wake must not end a backoff from a store that is down.
        await sleep(backoff, undefined, { signal: stopping.signal }).catch(() => {});
        backoff = Math.min(backoff * 2, config.WRITER_MAX_BACKOFF_MS);
        continue;
      } finally {
        inFlight -= 1;
      }
      // Rows may have arrived after this pass looked: look again rather than sleep on them.
      if (moved > 0 || arrived > 0) continue;
      // Empty only counts while no other pass holds rows (locked rows are skipped, not seen).
      if (inFlight === 0) {
        const ready = waiters.filter((w) => w.after < number);
        waiters = waiters.filter((w) => w.after >= number);
        for (const w of ready) w.resolve();
      }
      // A pass in flight when close came (its wakeAll found no sleeper) must not go to sleep: close
      // would wait out WRITER_INTERVAL_MS for it.
      if (!running) break;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, config.WRITER_INTERVAL_MS);
        sleepers.add(wake);
      });
    }
  }

  const wakeAll = () => {
    for (const wake of [...sleepers]) wake();
  };
  const wakeOne = () => sleepers.values().next().value?.();

  return {
    start() {
      if (running) return;
      running = true;
      stopping = new AbortController();
      loops = Array.from({ length: concurrency }, run);
    },
    wake() {
      // A pass in flight takes what arrives meanwhile as soon as it is done; waking another pass
      // for each request would make many one-row passes, each with its four round trips. The
      // second pass starts once a whole write is waiting.
      if (inFlight === 0 || (inFlight < concurrency && arrived >= config.WRITER_BATCH_SIZE)) {
        wakeOne();
      }
    },
    remember(row) {
      arrived += row.item.length;
      cache.remember(row);
    },
    drained() {
      const waiting = new Promise<void>((resolve) => waiters.push({ after: passes, resolve }));
      wakeAll();
      return waiting;
    },
    async close() {
      running = false;
      stopping.abort();
      wakeAll();
      await Promise.all(loops);
      for (const w of waiters.splice(0)) w.resolve();
    },
  };
}
