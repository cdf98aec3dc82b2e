import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.ts';
import type { Db, Tx } from '../db/index.ts';
import type { AcceptedEvent } from '../ingestion/types.ts';

/**
 * Third-party destinations (webhooks). Ingestion calls `enqueue` inside the transaction that
 * queues the accepted events, so an event is forwarded if and only if it was accepted.
 */
export interface Destinations {
  enqueue(tx: Tx, events: AcceptedEvent[]): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export interface DestinationDeps {
  config: Config;
  db: Db;
  log: FastifyBaseLogger;
}

/** Stub until destinations are implemented: forwards nothing. */
export function createDestinations(_deps: DestinationDeps): Destinations {
  return {
    enqueue: async () => {},
    start: () => {},
    close: async () => {},
  };
}
