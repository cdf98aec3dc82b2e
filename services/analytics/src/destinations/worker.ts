import { withLinkedSpan } from '@platform/telemetry';
import type { FastifyBaseLogger } from 'fastify';
import type { Counter } from 'prom-client';
import type { Db } from '../db/index.ts';
import type { Destination } from './config.ts';
import { unlinkedForSending } from './forget.ts';
import { claimDue, type Delivery, deleteDelivered, recordFailure } from './repository.ts';
import { send } from './send.ts';

export interface WorkerOptions {
  db: Db;
  log: FastifyBaseLogger;
  destinations: Destination[];
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  timeoutMs: number;
  intervalMs: number;
  /** Deliveries in flight at once, across destinations. */
  concurrency: number;
  outcomes?: Counter<'destination' | 'outcome'> | undefined;
}

/** Before the nth retry: base·2^(n-1), capped, with jitter so receivers that recover are not stampeded. */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random = Math.random()) {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
  return Math.round(exponential * (0.75 + random * 0.25));
}

/**
 * Delivers due rows in the background. Each row is claimed with a lease longer than the send
 * timeout; success deletes it, failure schedules the next try or, after the last, dead-letters it.
 */
export function createWorker(options: WorkerOptions) {
  const { db, log, destinations } = options;
  const byName = new Map(destinations.map((d) => [d.name, d]));
  const names = [...byName.keys()];
  const active = new Set<Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let running = false;
  let filling: Promise<void> | undefined;

  async function deliver(row: Delivery): Promise<void> {
    const destination = byName.get(row.destination)!;
    const attempt = row.attempts + 1;
    // With tracing on, each attempt is a span linked to the work that queued the delivery.
    const result = await withLinkedSpan(
      'destination deliver',
      [row.traceContext],
      { 'analytics.destination': row.destination, 'analytics.attempt': attempt },
      () => send(destination, row.payload, { timeoutMs: options.timeoutMs, attempt }),
    );
    const where = { destination: row.destination, event_id: row.eventId, attempt };
    if (result.ok) {
      await deleteDelivered(db, row.id);
      options.outcomes?.inc({ destination: row.destination, outcome: 'delivered' });
      return;
    }
    const last = result.permanent || attempt >= options.maxAttempts;
    const delay = Math.max(
      backoffMs(attempt, options.retryBaseMs, options.retryMaxMs),
      Math.min(result.retryAfterMs ?? 0, options.retryMaxMs),
    );
    await recordFailure(db, row.id, attempt, result.error, last ? null : delay);
    options.outcomes?.inc({ destination: row.destination, outcome: last ? 'dead' : 'retry' });
    if (last) log.warn({ ...where, error: result.error }, 'destination delivery dead-lettered');
    else
      log.info(
        { ...where, error: result.error, retry_in_ms: delay },
        'destination delivery failed',
      );
  }

  async function fill(): Promise<void> {
    const free = options.concurrency - active.size;
    if (!running || free <= 0) return;
    const lease = options.timeoutMs + 30_000;
    // A deleted user's deliveries go out under the pseudonym (forget.ts). Claimed and looked up
    // in one transaction: a final forgetting pass that rewrites the rows and deletes the mapping
    // (unlinkDeliveriesFinally) comes wholly before it or after, never between the two.
    const rows = await db.transaction(async (tx) =>
      unlinkedForSending(tx, await claimDue(tx, names, free, lease)),
    );
    for (const row of rows) {
      const task = deliver(row)
        .catch((err: unknown) =>
          log.error({ err, delivery_id: row.id }, 'destination delivery failed'),
        )
        .finally(() => {
          active.delete(task);
          // A full claim suggests more rows are due: keep going instead of waiting for the timer.
          if (rows.length === free) kick();
        });
      active.add(task);
    }
  }

  function kick() {
    if (filling || !running) return;
    filling = fill()
      .catch((err: unknown) => log.warn({ err }, 'reading due destination deliveries failed'))
      .finally(() => {
        filling = undefined;
      });
  }

  return {
    start() {
      if (running || names.length === 0) return;
      running = true;
      timer = setInterval(kick, options.intervalMs);
      timer.unref();
      kick();
    },
    /** Stops claiming and waits for the sends in flight (each is bounded by the timeout). */
    async close() {
      running = false;
      clearInterval(timer);
      await filling;
      await Promise.allSettled([...active]);
    },
  };
}
