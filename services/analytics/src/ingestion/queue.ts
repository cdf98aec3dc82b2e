import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import type { AcceptedEvent, Sample } from './types.ts';
import type { Row } from './writer-batches.ts';

/** Items per queue row at most: every endpoint's batch limit is at or below it. */
export const ROW_ITEMS = 1000;

/** The stable number of the `index`th item of queue row `seq`, which makes writes idempotent. */
export const itemSeq = (seq: number, index: number) => seq * ROW_ITEMS + index;

/**
 * The id of the `index`th event of a `/track-event` request: the request's random UUID with its
 * last three hex digits replaced by the index (at most 500 = 0x1f4). Unique (110 random bits per
 * request), still a well-formed UUID, and derived, so a queue row need not store 500 of them.
 */
export const trackedId = (base: string, index: number) =>
  base.slice(0, 33) + index.toString(16).padStart(3, '0');

/**
 * An event as queued and written: its properties as JSON text, so nothing walks them again, and
 * its time also as a number when known.
 */
export type QueuedItem = Omit<AcceptedEvent, 'properties'> & { properties: string; time?: number };

/**
 * Appends one accepted request to the durable queue in the caller's transaction, as one row
 * holding its items: one small insert per request instead of one row per event is what lets
 * ingestion keep up with the store. The column is text, stored as sent and uncompressed:
 * PostgreSQL spends nothing on what lives only until the writer has moved it.
 */
async function append(
  tx: Tx | Db,
  kind: Row['kind'],
  text: string,
  items: Row['item'],
): Promise<Row | undefined> {
  if (items.length === 0) return undefined;
  if (items.length > ROW_ITEMS) throw new Error(`at most ${ROW_ITEMS} items per queue row`);
  const { rows } = await tx.execute<{ seq: number }>(
    sql`insert into queue (kind, item) values (${kind}, ${text}) returning seq::float8 as seq`,
  );
  return { seq: rows[0]!.seq, kind, item: items };
}

/** Events from anywhere (domain events): kind `event`, a JSON array of the items themselves. */
export const enqueueEvents = (tx: Tx | Db, events: AcceptedEvent[]) => {
  const items: QueuedItem[] = events.map((e) => ({
    ...e,
    properties: JSON.stringify(e.properties),
  }));
  return append(tx, 'event', JSON.stringify(items), items);
};

export const enqueueSamples = (tx: Tx | Db, samples: Sample[]) =>
  append(tx, 'sample', JSON.stringify(samples), samples as unknown as Row['item']);

/** What one `/track-event` request shares: whose it is, when it came, its id base. */
export interface TrackedRequest {
  userId: string | null;
  receivedAt: number;
  idBase: string;
}

/** One tracked event as the row keeps it; `time` null means the request's `receivedAt`. */
export interface TrackedEvent {
  event: string;
  anonymousId: string | null;
  time: number | null;
  propertiesJson: string;
}

/**
 * A `/track-event` request: kind `track`, `[userId, receivedAt, idBase, [[event, anonymousId,
 * time, properties], ...]]`. Ids, source and default times are derived, so a row is about a
 * third of the `event` form; it is built by concatenation around the properties' JSON text,
 * which the size check has already produced. The row's items are the events in the `event` form.
 */
export function enqueueTracked(tx: Tx | Db, request: TrackedRequest, events: TrackedEvent[]) {
  let text = `[${JSON.stringify(request.userId)},${request.receivedAt},"${request.idBase}",[`;
  for (let i = 0; i < events.length; i += 1) {
    const e = events[i]!;
    text +=
      `${i ? ',' : ''}[${JSON.stringify(e.event)},${JSON.stringify(e.anonymousId)},` +
      `${e.time ?? 'null'},${e.propertiesJson}]`;
  }
  return append(tx, 'track', `${text}]]`, trackedItems(request, events));
}

/** A request's tracked events in the form the writer and the stores take. */
export function trackedItems(r: TrackedRequest, events: TrackedEvent[]): QueuedItem[] {
  const receivedIso = new Date(r.receivedAt).toISOString();
  return events.map((e, index) => ({
    id: trackedId(r.idBase, index),
    event: e.event,
    source: 'client',
    userId: r.userId,
    anonymousId: e.anonymousId,
    properties: e.propertiesJson,
    timestamp: e.time === null ? receivedIso : new Date(e.time).toISOString(),
    time: e.time ?? r.receivedAt,
  }));
}

/** A queue row's items from its text, whichever form it was stored in. */
export function decodeRow(kind: Row['kind'], text: string): Row['item'] {
  if (kind !== 'track') return JSON.parse(text);
  const [userId, receivedAt, idBase, events] = JSON.parse(text) as [
    string | null,
    number,
    string,
    [string, string | null, number | null, Record<string, unknown>][],
  ];
  return trackedItems(
    { userId, receivedAt, idBase },
    events.map(([event, anonymousId, time, properties]) => ({
      event,
      anonymousId,
      time,
      propertiesJson: JSON.stringify(properties),
    })),
  );
}
