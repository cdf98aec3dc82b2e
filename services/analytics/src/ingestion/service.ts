import { randomUUID } from 'node:crypto';
import type { Principal } from '@platform/auth';
import { type FieldError, problems } from '@platform/http';
import type { Static } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { enqueueEvents } from './queue.ts';
import { MAX_PROPERTIES_BYTES, type TrackBody } from './schema.ts';
import type { AcceptedEvent } from './types.ts';

type Body = Static<typeof TrackBody>;
type Tracked = Pick<Body, 'event' | 'properties' | 'timestamp' | 'anonymous_id'>;

/** Clocks disagree a little; anything later than this is a client bug. */
const MAX_FUTURE_MS = 5 * 60_000;

/**
 * Validates, then appends the events to the durable queue (and the destinations' outbox) in one
 * transaction: once this resolves, the 202 is a promise the writer keeps.
 */
export async function track(
  ctx: AnalyticsContext,
  principal: Principal | null,
  body: Body,
): Promise<AcceptedEvent[]> {
  const single = body.event !== undefined;
  if (single === (body.events !== undefined)) {
    throw problems.badRequest('Send either one event or {events: [...]}.', [
      { field: 'event', message: 'send either "event" or "events"' },
    ]);
  }
  const list: Tracked[] = single ? [body] : (body.events ?? []);
  const now = Date.now();
  const nowIso = new Date(now).toISOString();
  const errors: FieldError[] = [];
  const propertiesJson: string[] = [];
  const userId = principal?.userId ?? null;
  const accepted = list.map((e, i) => {
    const at = single ? '' : `events.${i}.`;
    const time = e.timestamp ? Date.parse(e.timestamp) : now;
    if (time > now + MAX_FUTURE_MS) {
      errors.push({ field: `${at}timestamp`, message: 'must not be in the future' });
    } else if (time < now - ctx.config.RETENTION_DAYS * 86_400_000) {
      errors.push({
        field: `${at}timestamp`,
        message: `must be within the last ${ctx.config.RETENTION_DAYS} days`,
      });
    }
    const properties = e.properties ?? {};
    const json = JSON.stringify(properties);
    propertiesJson.push(json);
    // Bytes are at most 3 per UTF-16 unit: only long texts need counting.
    if (json.length * 3 > MAX_PROPERTIES_BYTES && Buffer.byteLength(json) > MAX_PROPERTIES_BYTES) {
      errors.push({
        field: `${at}properties`,
        message: `must be at most ${MAX_PROPERTIES_BYTES} bytes as JSON`,
      });
    }
    return {
      id: randomUUID(),
      event: e.event as string,
      source: 'client',
      userId,
      anonymousId: e.anonymous_id ?? null,
      properties,
      timestamp: e.timestamp ? new Date(time).toISOString() : nowIso,
    } satisfies AcceptedEvent;
  });
  if (errors.length) throw problems.badRequest('Some events are invalid.', errors);
  await accept(ctx, accepted, propertiesJson);
  return accepted;
}

/**
 * Queues events and hands them to the destinations in the same transaction; without
 * destinations the one insert is atomic by itself, two round trips fewer per request.
 */
async function accept(
  ctx: AnalyticsContext,
  events: AcceptedEvent[],
  propertiesJson: string[],
): Promise<void> {
  if (events.length === 0) return;
  const row =
    ctx.destinations.list.length === 0
      ? await enqueueEvents(ctx.db, events, propertiesJson)
      : await ctx.db.transaction(async (tx) => {
          await ctx.destinations.enqueue(tx, events);
          return enqueueEvents(tx, events, propertiesJson);
        });
  if (row) ctx.writer.remember(row);
  ctx.writer.wake();
}
