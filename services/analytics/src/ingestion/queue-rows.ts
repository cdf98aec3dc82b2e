import type { AcceptedEvent, Sample } from '../events.ts';

// The forms a queue row takes: what each kind of request appends, and its items decoded again
// from the stored text (queue.ts stores, packs and reads the rows).

/**
 * One accepted request: its items in order; an item already written is null (in rows that
 * earlier versions parked with their refused items left). `kind` is how the row is stored
 * (queue.ts): `event` and `track` rows hold events, `sample` samples.
 */
export interface Row {
  seq: number;
  kind: 'event' | 'track' | 'sample';
  item: (Record<string, unknown> | null)[];
  /**
   * The point number of its first item, the others following (point-numbers.ts); null or
   * absent in rows queued by earlier versions, whose items' `seq` stands in.
   */
  point?: number | null;
}

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
export type QueuedItem = Omit<AcceptedEvent, 'properties'> & {
  properties: string;
  time?: number;
  /**
   * Its message id's dedup key as a fingerprint (16 hex digits; rows of earlier versions: the
   * key), claimed by the writer before it is written (dedup.ts).
   */
  key?: string;
  /** Set by the writer (store/types.ts QueuedEvent); never stored. */
  seq?: number;
  point?: number;
};

/** A row about to be appended: its text (stored packed), and the items the writer takes from it. */
export interface NewRow {
  kind: Row['kind'];
  text: string;
  item: Row['item'];
  /** The traceparent of the request queuing it; taken from the active span when absent. */
  trace?: string | null;
}

/** Events from anywhere (domain events): kind `event`, a JSON array of the items themselves. */
export const eventsRow = (events: AcceptedEvent[], keys?: (string | undefined)[]): NewRow => {
  const items: QueuedItem[] = events.map((e, i) => ({
    ...e,
    properties: JSON.stringify(e.properties),
    ...(keys?.[i] === undefined ? {} : { key: keys[i] }),
  }));
  return { kind: 'event', text: JSON.stringify(items), item: items };
};

/** A queued event as accepted (the destinations' form): properties parsed, queue fields gone. */
export function acceptedOf(item: Record<string, unknown>): AcceptedEvent {
  const { time: _, key: __, seq: ___, point: ____, properties, ...e } = item as QueuedItem;
  return { ...e, properties: JSON.parse(properties) };
}

export const samplesRow = (samples: Sample[]): NewRow => ({
  kind: 'sample',
  text: JSON.stringify(samples),
  item: samples as unknown as Row['item'],
});

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
  /** Its message id's dedup fingerprint (dedup.ts fingerprint), for the writer to claim. */
  key?: string | undefined;
}

/**
 * A `/track-event` request: kind `track`, `[userId, receivedAt, idBase, [[event, anonymousId,
 * time, properties, key?], ...]]`. Ids, source and default times are derived, so a row is about a
 * third of the `event` form; it is built by concatenation around the properties' JSON text,
 * which the size check has already produced. The row's items are the events in the `event` form.
 */
export function trackedRow(request: TrackedRequest, events: TrackedEvent[]): NewRow {
  let text = `[${JSON.stringify(request.userId)},${request.receivedAt},"${request.idBase}",[`;
  for (let i = 0; i < events.length; i += 1) {
    const e = events[i]!;
    text +=
      `${i ? ',' : ''}[${quote(e.event)},${e.anonymousId === null ? 'null' : quote(e.anonymousId)},` +
      `${e.time ?? 'null'},${e.propertiesJson}${e.key === undefined ? '' : `,${quote(e.key)}`}]`;
  }
  return { kind: 'track', text: `${text}]]`, item: trackedItems(request, events) };
}

/** What JSON.stringify leaves as it is: event names and anonymous ids always (their schemas). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what JSON escapes.
const PLAIN = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
/** A JSON string; a test first spares a native JSON.stringify call, a third of a row's cost. */
const quote = (s: string) => (PLAIN.test(s) ? `"${s}"` : JSON.stringify(s));

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
    key: e.key,
  }));
}

/** A queue row's items from its text, whichever form it was stored in. */
export function decodeRow(kind: Row['kind'], text: string): Row['item'] {
  if (kind !== 'track') return JSON.parse(text);
  const [userId, receivedAt, idBase, events] = JSON.parse(text) as [
    string | null,
    number,
    string,
    [string, string | null, number | null, Record<string, unknown>, string?][],
  ];
  return trackedItems(
    { userId, receivedAt, idBase },
    events.map(([event, anonymousId, time, properties, key]) => ({
      event,
      anonymousId,
      time,
      propertiesJson: JSON.stringify(properties),
      key,
    })),
  );
}

/** A queue row's items from its stored text; throws unless it is a list of items. */
export function readRow(kind: Row['kind'], text: string): Row['item'] {
  const item = decodeRow(kind, text) as unknown;
  const items =
    Array.isArray(item) &&
    item.length <= ROW_ITEMS &&
    item.every((v) => v === null || (typeof v === 'object' && !Array.isArray(v)));
  if (!items) throw new Error('the row is not a list of queued items');
  return item as Row['item'];
}
