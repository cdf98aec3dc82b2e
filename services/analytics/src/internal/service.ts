import { type FieldError, problems } from '@platform/http';
import { and, sql } from 'drizzle-orm';
import type { Static } from 'typebox';
import type { AnalyticsContext } from '../context.ts';
import { triedWithin } from '../db/lock-waits.ts';
import { receivedIds } from '../db/schema.ts';
import type { AcceptedEvent, Sample } from '../events.ts';
import { forgetUsers } from '../identity/repository.ts';
import { deletedUserOf, rememberDeletions } from '../ingestion/forget.ts';
import { noteRemovals } from '../ingestion/forget-left.ts';
import { insertRows, packRows } from '../ingestion/queue.ts';
import { eventsRow, samplesRow } from '../ingestion/queue-rows.ts';
import { EARLIEST, unstorable } from '../storable.ts';
import type { EventsBody, SamplesBody } from './schema.ts';

/** A service's clock may run ahead of ours; a day ahead is a bug, not skew. */
const MAX_FUTURE_MS = 86_400_000;

/**
 * 400 unless every value of the body can be stored and every time in it is one: a batch the
 * store would refuse is the sender's to fix, not the queue's to hold.
 */
function checkBody(body: object, times: { field: string; value: string }[]) {
  const latest = Date.now() + MAX_FUTURE_MS;
  const errors: FieldError[] = [];
  const found = unstorable(body, '');
  if (found) errors.push(found);
  for (const { field, value } of times) {
    const ms = Date.parse(value);
    // The date-time format admits a leap second (23:59:60), which Date.parse does not.
    if (!(ms >= EARLIEST && ms <= latest)) {
      errors.push({ field, message: 'must be a valid date-time from 1970 to a day from now' });
    }
  }
  if (errors.length) throw problems.badRequest('Some items cannot be stored.', errors);
}

/**
 * Domain events from other services. Their ids are remembered (DEDUP_DAYS) in the transaction
 * that queues them, so the at-least-once relay's re-sends are no-ops.
 */
export async function receiveEvents(
  ctx: AnalyticsContext,
  body: Static<typeof EventsBody>,
): Promise<number> {
  checkBody(
    body,
    body.events.map((e, i) => ({ field: `events.${i}.occurred_at`, value: e.occurred_at })),
  );
  const unique = [...new Map(body.events.map((e) => [e.id, e])).values()];
  // The row is packed before its transaction opens (queue.ts packRows), so the events it holds
  // are decided first. A re-send (the relay's, after a lost answer) repeats its first id: the
  // ids received before are read then, before anything is packed, and only the others are
  // (a fully repeated batch packs nothing). Otherwise all of them, the common case, at the cost
  // of one index probe; when ids are repeated anyway (a re-send whose first id is new, or a copy
  // committed meanwhile: the insert below takes fewer), the transaction is undone and the batch
  // taken again without the ids received. A received id is committed with its queue row, so
  // leaving it out loses nothing.
  let seen = await received(
    ctx,
    unique.map((e) => e.id),
    true,
  );
  for (;;) {
    const events = unique.filter((e) => !seen.has(e.id)).map(accepted);
    if (events.length === 0) return 0;
    // Numbers reserved before the transaction begins (see numbered): an undone one's go unused.
    const point = await ctx.points.take(events.length);
    const [packed] = await packRows([{ ...eventsRow(events), point }]);
    try {
      const fresh = await ctx.db.transaction(async (tx) => {
        const inserted = await tx
          .insert(receivedIds)
          .values(events.map((e) => ({ id: e.id })))
          .onConflictDoNothing()
          .returning({ id: receivedIds.id });
        if (inserted.length < events.length) throw new Repeated();
        // A deleted account's profile and links go with it; its events are unlinked in the store.
        // A row waited for ROW_LOCK_WAIT_MS at most: a batch stuck mid-transaction holding one
        // of the user's links held the deletion (and the relay behind it) for the statement
        // timeout, then failed it. Left then to a later tick, from a note of its own (a
        // non-UUID id has no mapping, so no pass would remove it). The same user as the mapping
        // noted below (deletedUserOf): the event's user_id removed a user the payload did not
        // name (its actor, by the relay's fallback) while the passes forgot the payload's.
        const deleted = events.flatMap((e) => deletedUserOf(e) ?? []);
        if (deleted.length > 0 && !(await triedWithin(tx, (sp) => forgetUsers(sp, deleted)))) {
          await noteRemovals(tx, deleted);
        }
        await ctx.destinations.enqueue(tx, events);
        const [row] = await insertRows(tx, [packed!]);
        // After the row: its queue_seq (the queue's last number) then covers this batch's own
        // events, the deletion's among them, so the mapping stays until they are written.
        await rememberDeletions(tx, events);
        return row!;
      });
      ctx.writer.remember(fresh);
      ctx.writer.wake();
      return fresh.item.length;
    } catch (error) {
      if (!(error instanceof Repeated)) throw error;
      seen = await received(
        ctx,
        unique.map((e) => e.id),
      );
    }
  }
}

/** A re-send's ids are among the batch's: its transaction is undone (receiveEvents). */
class Repeated extends Error {}

/**
 * Which of these ids were received before; `ifFirst`: none looked up unless the first was (one
 * probe of the index when it was not, PostgreSQL's plan evaluates the condition once).
 */
async function received(
  ctx: AnalyticsContext,
  ids: string[],
  ifFirst = false,
): Promise<Set<string>> {
  // An empty batch (the schema takes one): no first id to probe.
  if (ids.length === 0) return new Set();
  const rows = await ctx.db
    .select({ id: receivedIds.id })
    .from(receivedIds)
    .where(
      and(
        // One array parameter: a statement of 1000 parameters cost more to parse and plan.
        sql`${receivedIds.id} = any(${sql.param(ids)}::text[])`,
        ifFirst
          ? sql`exists (select 1 from ${receivedIds} where ${receivedIds.id} = ${ids[0]})`
          : undefined,
      ),
    );
  return new Set(rows.map((r) => r.id));
}

const accepted = (e: Static<typeof EventsBody>['events'][number]): AcceptedEvent => ({
  id: e.id,
  event: e.type,
  // A tag in InfluxDB, which refuses an empty one.
  source: e.id.indexOf(':') > 0 ? e.id.slice(0, e.id.indexOf(':')) : 'service',
  userId: e.user_id ?? null,
  anonymousId: null,
  properties: e.payload,
  timestamp: new Date(e.occurred_at).toISOString(),
});

/** Numbers and UUIDs in a path would make one series per record; they become `:id`. */
export function routeTemplate(route: string): string {
  const path = route.split('?')[0] ?? route;
  return path
    .split('/')
    .map((s) =>
      /^\d+$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s) ? ':id' : s,
    )
    .join('/');
}

export async function receiveSamples(
  ctx: AnalyticsContext,
  body: Static<typeof SamplesBody>,
): Promise<number> {
  checkBody(
    body,
    body.samples.map((s, i) => ({ field: `samples.${i}.timestamp`, value: s.timestamp })),
  );
  const samples: Sample[] = body.samples.map((s) => ({
    service: s.service,
    // A tag in InfluxDB, which refuses an empty one (a route that was only a query string).
    route: routeTemplate(s.route) || '/',
    method: s.method.toUpperCase(),
    status: s.status,
    durationMs: s.duration_ms,
    timestamp: new Date(s.timestamp).toISOString(),
    requestId: s.request_id ?? null,
    userId: s.user_id ?? null,
    upstream: s.upstream ?? null,
  }));
  const row = await ctx.queue.append(samplesRow(samples));
  if (row) {
    ctx.writer.remember(row);
    ctx.writer.wake();
  }
  return samples.length;
}
