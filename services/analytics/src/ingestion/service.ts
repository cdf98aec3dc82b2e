import { randomUUID } from 'node:crypto';
import type { Principal } from '@platform/auth';
import { type FieldError, problems } from '@platform/http';
import type { Static } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { unstorable } from '../storable.ts';
import { clientKey, fingerprint } from './dedup.ts';
import { numbered } from './point-numbers.ts';
import { insertRows, packRows } from './queue.ts';
import type { Row } from './queue-rows.ts';
import {
  acceptedOf,
  type NewRow,
  type TrackedEvent,
  type TrackedRequest,
  trackedId,
  trackedRow,
} from './queue-rows.ts';
import { isReserved, MAX_PROPERTIES_BYTES, RESERVED_NAMESPACES, type TrackBody } from './schema.ts';

type Body = Static<typeof TrackBody>;
type Tracked = Pick<Body, 'event' | 'properties' | 'timestamp' | 'anonymous_id' | 'message_id'>;

/** Clocks disagree a little; anything later than this is a client bug. */
const MAX_FUTURE_MS = 5 * 60_000;

/**
 * Whether properties' JSON text may hold what the stores cannot keep: an escaped NUL or lone
 * surrogate (JSON.stringify escapes exactly those, so the text shows them), or a null that was a
 * number too large for JSON.parse. Most properties have neither, and are not walked again.
 */
const SUSPECT = /\\u(?:0000|d[89a-f])|null/i;

/**
 * Validates, then appends the events to the durable queue (and the destinations' outbox) in one
 * transaction: once this resolves, the 202 is a promise the writer keeps. Resolves to the ids of
 * the events stored, and how many were left out as repeats of a `message_id` seen before.
 */
export async function track(
  ctx: AnalyticsContext,
  principal: Principal | null,
  body: Body,
): Promise<{ ids: string[]; duplicates: number }> {
  const single = body.event !== undefined;
  if (single === (body.events !== undefined)) {
    throw problems.badRequest('Send either one event or {events: [...]}.', [
      { field: 'event', message: 'send either "event" or "events"' },
    ]);
  }
  const list: Tracked[] = single ? [body] : (body.events ?? []);
  const request: TrackedRequest = {
    userId: principal?.userId ?? null,
    receivedAt: Date.now(),
    idBase: randomUUID(),
  };
  const now = request.receivedAt;
  const oldest = now - ctx.config.RETENTION_DAYS * 86_400_000;
  const errors: FieldError[] = [];
  const events = list.map((e, i): TrackedEvent => {
    const at = single ? '' : `events.${i}.`;
    if (isReserved(e.event as string)) {
      errors.push({
        field: `${at}event`,
        message: `names under ${RESERVED_NAMESPACES.map((n) => `${n}.`).join(', ')} are reserved to the services that emit them`,
      });
    }
    const time = e.timestamp ? Date.parse(e.timestamp) : null;
    // The date-time format admits a leap second (23:59:60), which Date.parse does not.
    if (Number.isNaN(time)) {
      errors.push({ field: `${at}timestamp`, message: 'must be a valid date-time' });
    } else if (time !== null && time > now + MAX_FUTURE_MS) {
      errors.push({ field: `${at}timestamp`, message: 'must not be in the future' });
    } else if (time !== null && time < oldest) {
      errors.push({
        field: `${at}timestamp`,
        message: `must be within the last ${ctx.config.RETENTION_DAYS} days`,
      });
    }
    const json = e.properties ? JSON.stringify(e.properties) : '{}';
    const bad = SUSPECT.test(json) && unstorable(e.properties, `${at}properties`);
    if (bad) errors.push(bad);
    // Bytes are at most 3 per UTF-16 unit: only long texts need counting.
    if (json.length * 3 > MAX_PROPERTIES_BYTES && Buffer.byteLength(json) > MAX_PROPERTIES_BYTES) {
      errors.push({
        field: `${at}properties`,
        message: `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`,
      });
    }
    return {
      event: e.event as string,
      anonymousId: e.anonymous_id ?? null,
      time,
      propertiesJson: json,
      key:
        e.message_id === undefined
          ? undefined
          : fingerprint(clientKey(request.userId, e.anonymous_id ?? null, e.message_id)),
    };
  });
  if (errors.length) throw problems.badRequest('Some events are invalid.', errors);
  // A known name costs a Set lookup; new ones are registered while the public share has room:
  // anyone may call this route (a token only says which member of the public is calling).
  const refused = await ctx.eventNames.admit(
    list.map((e) => e.event as string),
    (i) => (single ? 'event' : `events.${i}.event`),
    'public',
  );
  if (refused.length) throw problems.badRequest('Some event names cannot be registered.', refused);
  const stored = await accept(ctx, request, events);
  return {
    ids: Array.from({ length: stored }, (_, i) => trackedId(request.idBase, i)),
    duplicates: events.length - stored,
  };
}

/** The request's events without repeats of a key earlier in it: the first stands for the rest. */
function firstOfEachKey(all: TrackedEvent[]): TrackedEvent[] {
  const seen = new Set<string>();
  return all.filter((e) => {
    if (e.key === undefined) return true;
    if (seen.has(e.key)) return false;
    seen.add(e.key);
    return true;
  });
}

/**
 * Queues events (and hands those without a message id to the destinations in the same
 * transaction). Without destinations the one insert is atomic by itself, and shares its commit
 * with the requests arriving meanwhile (ctx.queue). Events carry their message ids'
 * fingerprints, which the writer claims in its passes before writing (writer-claims.ts): a repeat
 * of an id seen before is queued and dropped there, and reaches the destinations only if it took
 * its id then. Resolves to how many were queued (repeats within the request are not).
 */
async function accept(
  ctx: AnalyticsContext,
  request: TrackedRequest,
  all: TrackedEvent[],
): Promise<number> {
  if (all.length === 0) return 0;
  const events = firstOfEachKey(all);
  const row =
    ctx.destinations.list.length === 0
      ? await ctx.queue.append(trackedRow(request, events))
      : await withDestinations(ctx, trackedRow(request, events));
  if (row) ctx.writer.remember(row);
  ctx.writer.wake();
  return row ? events.length : 0;
}

/** Queues the row and hands its events without a message id to the destinations, atomically. */
async function withDestinations(ctx: AnalyticsContext, row: NewRow): Promise<Row | undefined> {
  // Numbered and packed before the transaction begins (see numbered, packRows).
  const rows = await packRows(await numbered([row], ctx.points));
  return ctx.db.transaction(async (tx) => {
    const [queued] = await insertRows(tx, rows);
    const unkeyed = (queued?.item ?? []).filter((item) => item && item.key === undefined);
    if (unkeyed.length)
      await ctx.destinations.enqueue(
        tx,
        unkeyed.map((i) => acceptedOf(i!)),
      );
    return queued;
  });
}
