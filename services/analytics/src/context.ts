import type { Config } from './config.ts';
import type { Db } from './db/index.ts';
import type { Destinations } from './destinations/index.ts';
import type { EventNames } from './event-names/registry.ts';
import type { Dedup } from './ingestion/dedup.ts';
import type { Forgotten } from './ingestion/forgotten.ts';
import type { PointNumbers } from './ingestion/point-numbers.ts';
import type { Queue } from './ingestion/queue.ts';
import type { Writer } from './ingestion/writer.ts';
import type { Store } from './store/types.ts';

/** What the analytics features need, built once in app.ts and passed in explicitly. */
export interface AnalyticsContext {
  db: Db;
  /** The durable queue's appends outside a transaction (group commit). */
  queue: Queue;
  /** The process's point numbers, for rows appended in a transaction (numbered, insertRows). */
  points: PointNumbers;
  config: Config;
  store: Store;
  writer: Writer;
  destinations: Destinations;
  /** The registry of client event names (EVENT_NAMES_MAX). */
  eventNames: EventNames;
  /** The dedup index of message ids (DEDUP_DAYS, DEDUP_MAX_IDS). */
  dedup: Dedup;
  /** Users being forgotten, as the writer looks them up (refreshed by forgetPending). */
  forgotten?: Forgotten;
}
