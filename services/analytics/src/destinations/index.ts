import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Db, Tx } from '../db/index.ts';
import type { AcceptedEvent } from '../events.ts';
import { type Destination, parseDestinations } from './config.ts';
import { unlinkDeliveries, unlinkDeliveriesFinally } from './forget.ts';
import { trackPayload } from './payload.ts';
import { deleteDeadBefore, insertDeliveries } from './repository.ts';
import { createWorker } from './worker.ts';

/**
 * Third-party destinations (webhooks). Ingestion calls `enqueue` inside the transaction that
 * queues the accepted events (an event with a message id: in the writer's claim on it), so an
 * event is forwarded if and only if it was accepted, and a copy never.
 */
export interface Destinations {
  /** The configured destinations (with secrets: never serialise these as they are). */
  readonly list: Destination[];
  enqueue(tx: Tx, events: AcceptedEvent[]): Promise<void>;
  /**
   * Rewrites these users' pending and dead deliveries with their pseudonym (forget.ts); each
   * forgetting pass calls it (ingestion/forget.ts), through the context: ingestion imports no
   * destinations code, destinations import ingestion's types.
   */
  forget(users: { userId: string; pseudonym: string }[]): Promise<void>;
  /**
   * The same, for a pass that ends some users' forgetting: `remove` deletes their mapping in the
   * transaction that rewrites the last deliveries, with every write of deliveries held off, so
   * none committed before the deletion keeps an id (forget.ts unlinkDeliveriesFinally).
   */
  forgetFinally(
    users: { userId: string; pseudonym: string }[],
    remove: (tx: Tx) => Promise<void>,
    /** How long to ask for the table's lock (FINAL_LOCK_TIMEOUT_MS, 5 s, by default). */
    lockTimeoutMs?: number,
  ): Promise<void>;
  /**
   * Deletes dead letters last tried before `before`: the events' retention, as they hold event
   * data (the hourly clean-up, ingestion/retention.ts).
   */
  prune(before: Date): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export interface DestinationDeps {
  config: Config;
  db: Db;
  log: FastifyBaseLogger;
  /** Where the delivery counter is registered (the app's `/metrics`). */
  metrics?: Registry;
}

/** Reads `DESTINATIONS` (a ConfigError stops the service with one line) and builds the worker. */
export function createDestinations(deps: DestinationDeps): Destinations {
  const { config } = deps;
  const list = parseDestinations(config.DESTINATIONS);
  const outcomes = deps.metrics
    ? new Counter({
        name: 'analytics_destination_deliveries_total',
        help: 'Attempts to deliver events to destinations, by outcome (delivered, retry, dead)',
        labelNames: ['destination', 'outcome'] as const,
        registers: [deps.metrics],
      })
    : undefined;
  const worker = createWorker({
    db: deps.db,
    log: deps.log,
    destinations: list,
    maxAttempts: config.DESTINATION_MAX_ATTEMPTS,
    retryBaseMs: config.DESTINATION_RETRY_BASE_MS,
    retryMaxMs: config.DESTINATION_RETRY_MAX_MS,
    timeoutMs: config.DESTINATION_TIMEOUT_MS,
    intervalMs: config.DESTINATION_INTERVAL_MS,
    concurrency: config.DESTINATION_CONCURRENCY,
    outcomes,
  });
  return {
    list,
    prune: (before) => deleteDeadBefore(deps.db, before),
    forget: (users) => unlinkDeliveries(deps.db, users),
    forgetFinally: (users, remove, lockTimeoutMs) =>
      unlinkDeliveriesFinally(deps.db, users, remove, lockTimeoutMs),
    async enqueue(tx, events) {
      if (list.length === 0) return;
      const rows = list.flatMap((destination) =>
        events
          .filter((event) => destination.matches(event.event))
          .map((event) => ({
            destination: destination.name,
            eventId: event.id,
            event: event.event,
            payload: trackPayload(event),
          })),
      );
      await insertDeliveries(tx, rows);
    },
    start() {
      worker.start();
    },
    async close() {
      await worker.close();
    },
  };
}
