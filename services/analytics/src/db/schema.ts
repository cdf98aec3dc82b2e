import { timestamptz, timestamptzNow } from '@platform/db';
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSequence,
  pgTable,
  primaryKey,
  smallint,
  text,
} from 'drizzle-orm/pg-core';

/** The writing transaction of a row (migration 0011): forgetting reads what was written since. */
const writeXid = customType<{ data: string }>({ dataType: () => 'xid8' });

/** Bytes, sent by node-pg as a binary parameter (a Buffer), read back as a Buffer. */
const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });

/**
 * The durable queue behind every 202: accepted events and samples wait here until the background
 * writer has put them in the store. `seq` is assigned once and makes store writes idempotent.
 */
export const queue = pgTable(
  'queue',
  {
    seq: bigserial({ mode: 'number' }).primaryKey(),
    kind: text().notNull().$type<'event' | 'track' | 'sample'>(),
    /**
     * The items of one accepted request, in order, as JSON text (see queue.ts): rows queued by
     * earlier versions. Rows are now queued `packed`; exactly one of the two is set.
     */
    item: text(),
    /**
     * The same JSON text, Brotli-compressed (row-packing.ts packRow): a 500-event `/track-event` row of
     * ~43 KB becomes ~6.7 KB, which stays in its heap page instead of ~22 TOAST chunks (migration
     * 0018: no compression by PostgreSQL, `toast_tuple_target` 8160).
     */
    packed: bytea(),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamptzNow(),
    enqueuedAt: timestamptzNow(),
    /** The traceparent of the request that queued it (null untraced): the writer links to it. */
    traceContext: text(),
    /**
     * The point number of its first item, the others following (ingestion/point-numbers.ts):
     * InfluxDB's sub-millisecond digits. Null in rows queued by earlier versions (their items'
     * seq stands in).
     */
    pointBase: bigint({ mode: 'number' }),
  },
  // No index on next_attempt_at (migration 0018 dropped queue_due_idx): nothing sets it later
  // than its insert, and with one the planner could read the due rows through it and sort them,
  // a heap page per row waiting or deleted since the last vacuum, instead of walking the primary
  // key to the first few (queue.ts dueRowsStatement).
  (t) => [check('queue_item_or_packed', sql`num_nonnulls(${t.item}, ${t.packed}) = 1`)],
);

/**
 * Blocks of point numbers (ingestion/point-numbers.ts): each `nextval` is the first of a block of
 * POINT_BLOCK numbers a process hands out to its queue rows, so they are dense across replicas.
 */
export const queuePointBlocks = pgSequence('queue_point_blocks', {
  startWith: 0,
  minValue: 0,
  increment: 65_536,
});

/**
 * What the writer's claim decided for a queue row (ingestion/writer-claims.ts): the positions of
 * its items whose message id another copy holds. Written with the claim, deleted with the row, so
 * a row written again (its write failed, its pass rolled back) keeps its decision instead of
 * finding its own ids taken.
 */
export const queueClaims = pgTable('queue_claims', {
  seq: bigint({ mode: 'number' }).primaryKey(),
  lost: integer().array().notNull(),
  /**
   * False while the items that took their id still wait to be handed to the destinations: that
   * happens after the claim's commit, outside the dedup lock, and once (the flag is flipped in
   * the transaction that hands them over).
   */
  handed: boolean().notNull().default(true),
});

/** Ids chosen by other services (`auth:42`), remembered for a while so a re-send is a no-op. */
export const receivedIds = pgTable(
  'received_ids',
  { id: text().primaryKey(), receivedAt: timestamptzNow() },
  (t) => [index('received_ids_received_at_idx').on(t.receivedAt)],
);

/**
 * The dedup index of message ids (Segment `messageId`, `/track-event` `message_id`), kept
 * DEDUP_DAYS: one row — a block — per writer pass that claimed any, not one per id
 * (ingestion/dedup.ts). `fps`: the 64-bit fingerprints it claimed (leading bits of the SHA-256
 * of each namespaced id), 16 hex digits each, as text built by concatenation; stored
 * uncompressed. Ids are drawn under the dedup lock, so blocks commit in id order.
 */
export const messageIdBlocks = pgTable(
  'message_id_blocks',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    fps: text().notNull(),
    createdAt: timestamptzNow(),
  },
  (t) => [index('message_id_blocks_created_at_idx').on(t.createdAt)],
);

/** The PostgreSQL store (used when INFLUX_URL is unset): one row per event. */
export const events = pgTable(
  'events',
  {
    seq: bigint({ mode: 'number' }).primaryKey(),
    eventId: text().notNull().unique(),
    name: text().notNull(),
    source: text().notNull(),
    userId: text(),
    anonymousId: text(),
    properties: jsonb().notNull().$type<Record<string, unknown>>(),
    occurredAt: timestamptz().notNull(),
    writeXid: writeXid().notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    index('events_write_xid_idx').on(t.writeXid),
    // Appends arrive roughly in time order, so a BRIN index prunes time ranges for a few pages.
    index('events_occurred_at_brin').using('brin', t.occurredAt),
    index('events_user_time_idx').on(t.userId, t.occurredAt.desc(), t.seq.desc()),
    // A user's activity includes what their linked anonymous ids did (identity stitching).
    index('events_anonymous_time_idx').on(t.anonymousId, t.occurredAt.desc(), t.seq.desc()),
    index('events_name_time_idx').on(t.name, t.occurredAt),
  ],
);

/** The PostgreSQL store: one row per request the gateway saw. */
export const samples = pgTable(
  'samples',
  {
    seq: bigint({ mode: 'number' }).primaryKey(),
    service: text().notNull(),
    route: text().notNull(),
    method: text().notNull(),
    status: smallint().notNull(),
    durationMs: doublePrecision().notNull(),
    requestId: text(),
    userId: text(),
    upstream: text(),
    occurredAt: timestamptz().notNull(),
    writeXid: writeXid().notNull().default(sql`pg_current_xact_id()`),
  },
  (t) => [
    index('samples_write_xid_idx').on(t.writeXid),
    index('samples_occurred_at_brin').using('brin', t.occurredAt),
    index('samples_service_time_idx').on(t.service, t.occurredAt),
  ],
);

/**
 * The PostgreSQL store's rollups of `samples`, per minute and per hour × service × route, kept
 * up to date by the same statement that inserts the samples (see store/postgres.ts). `hist` is a
 * sparse latency histogram, bucket → count (store/histogram.ts); rollups add up to any interval.
 */
const rollup = (name: string) =>
  pgTable(
    name,
    {
      time: timestamptz().notNull(),
      service: text().notNull(),
      route: text().notNull(),
      requests: integer().notNull(),
      errors: integer().notNull(),
      hist: jsonb().notNull().$type<Record<string, number>>(),
    },
    (t) => [primaryKey({ columns: [t.time, t.service, t.route] })],
  );
export const sampleRollups1m = rollup('sample_rollups_1m');
export const sampleRollups15m = rollup('sample_rollups_15m');
export const sampleRollups1h = rollup('sample_rollups_1h');

/**
 * Per InfluxDB database: from when its rollups hold every sample. Earlier samples (written before
 * rollups existed) are answered from the raw points until the backfill has covered them.
 */
export const rollupState = pgTable('rollup_state', {
  store: text().primaryKey(),
  coveredFrom: timestamptz().notNull(),
});

/**
 * Minutes of an InfluxDB database that got samples since their rollups were last computed;
 * `markedAt` tells a mark made during a computation from one it already saw.
 */
export const rollupDirty = pgTable(
  'rollup_dirty',
  { store: text().notNull(), minute: timestamptz().notNull(), markedAt: timestamptzNow() },
  (t) => [primaryKey({ columns: [t.store, t.minute] })],
);

/** Deliveries to third-party destinations (webhooks) and their dead letters. */
export { destinationDeliveries } from '../destinations/tables.ts';
/** The registry of client event names (bounded cardinality). */
export { eventNames } from '../event-names/tables.ts';
/** Profiles and anonymous-id links (identity stitching). */
export { identityLinks, profiles } from '../identity/tables.ts';
/** Queued items the store refused (see ingestion/writer.ts). */
export { ingestionDeadLetters } from '../ingestion/tables.ts';
/** Write keys of the Segment-style endpoints. */
export { writeKeys } from '../write-keys/tables.ts';

/**
 * Users deleted in auth (`user.deleted`) whose stored events are being unlinked: their id becomes
 * `pseudonym` (ingestion/forget.ts). A row goes after the final pass, and the mapping with it.
 */
export const forgottenUsers = pgTable('forgotten_users', {
  userId: text().primaryKey(),
  pseudonym: text().notNull(),
  forgottenAt: timestamptzNow(),
  lastPassAt: timestamptz(),
  /** The store's mark of the user's last pass: the next reads only what was written since. */
  passMark: text(),
  /**
   * The queue's last sequence number when the deletion came (migration 0019): the row, and the
   * writer's substitution with it, stays until the queue holds no row up to this one.
   */
  queueSeq: bigint({ mode: 'number' }),
});

/**
 * Users whose mapping the final pass deleted, their Segment profiles and links to remove once
 * more (migration 0022): a backend's identify during the grace time made them again under the
 * real id. Noted in the final pass's transaction, deleted with the removal (ingestion/forget.ts):
 * a removal that failed is retried at the next tick, not lost with the mapping.
 */
export const forgottenIdentities = pgTable('forgotten_identities', {
  userId: text().primaryKey(),
  notedAt: timestamptzNow(),
});
