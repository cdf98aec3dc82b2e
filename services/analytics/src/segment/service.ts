// Segment's converted messages admitted by event name and queued, with their side effects, in one transaction.
import { problems } from '@platform/http';
import type { AnalyticsContext } from '../context.ts';
import { fingerprint, segmentKey } from '../ingestion/dedup.ts';
import { numbered } from '../ingestion/point-numbers.ts';
import { insertRows, packRows } from '../ingestion/queue.ts';
import { eventsRow, ROW_ITEMS } from '../ingestion/queue-rows.ts';
import type { Converted } from './convert.ts';
import { recordIdentities } from './identities.ts';
import type { Refusal } from './refusals.ts';

/**
 * Registers the event names of these messages that this replica does not know (track's `event`;
 * the other types' names are fixed) from the key's budget (a server key's trusted, a browser
 * key's public), all of them or none (registry.ts). A single call whose name the full registry
 * could not take is refused with 400 before anything of it is kept; in a batch, the messages
 * bearing such names are set aside and the others (names known, or fixed) pass: the registry is
 * asked once, for every new name of the batch's valid messages, so no message's name is
 * registered in place of another's by the order they came in, and no request holds the
 * registry's lock more than once.
 */
export async function admitNames(
  ctx: AnalyticsContext,
  messages: Converted[],
  options: { batch: boolean; trusted: boolean },
): Promise<{ admitted: Converted[]; refused: Refusal[] }> {
  const errors = await ctx.eventNames.admit(
    messages.map((m) => m.event.event),
    (i) => (options.batch ? `batch.${messages[i]!.index}.event` : 'event'),
    // A server key is a backend of the owners'; a browser key is in every page: anyone's.
    options.trusted ? 'trusted' : 'public',
  );
  if (errors.length === 0) return { admitted: messages, refused: [] };
  if (!options.batch) throw problems.badRequest('Some event names cannot be registered.', errors);
  const byField = new Map(errors.map((e) => [e.field, e]));
  const refused: Refusal[] = [];
  const admitted = messages.filter((m) => {
    const error = byField.get(`batch.${m.index}.event`);
    if (error) refused.push({ index: m.index, errors: [error] });
    return !error;
  });
  return { admitted, refused };
}

/**
 * In one transaction: records profiles and links, hands the events without a message id to the
 * destinations, and queues every event with its message id's fingerprint. The writer claims the
 * ids before it writes (writer-claims.ts): a message seen before is dropped there, so it is
 * stored and counted once on either store, and handed to the destinations only by the claim that
 * took its id. Profiles and links need no claim: a copy changes nothing (a newer identify wins, an
 * older one only fills gaps; the first link stands) — unless the user was deleted meanwhile, so a
 * message whose id a committed claim holds leaves them alone (its answer lost, a client retrying
 * after the account's deletion would bring the profile back; review). Resolves to how many were
 * queued.
 */
export async function ingest(ctx: AnalyticsContext, messages: Converted[]): Promise<number> {
  // The first of a batch's repeats stands for them all.
  const seen = new Set<string>();
  const unique = messages.filter((m) => {
    if (m.messageId === undefined) return true;
    if (seen.has(m.messageId)) return false;
    seen.add(m.messageId);
    return true;
  });
  if (unique.length === 0) return 0;
  const fps = unique.map((m) =>
    m.messageId === undefined ? undefined : fingerprint(segmentKey(m.messageId, m.trusted)),
  );
  const parts = [];
  for (let i = 0; i < unique.length; i += ROW_ITEMS) {
    parts.push(
      eventsRow(
        unique.slice(i, i + ROW_ITEMS).map((m) => m.event),
        fps.slice(i, i + ROW_ITEMS),
      ),
    );
  }
  // Numbered and packed before the transaction begins (see numbered, packRows).
  const numberedParts = await packRows(await numbered(parts, ctx.points));
  const rows = await ctx.db.transaction(async (tx) => {
    await recordIdentities(ctx, tx, unique, fps);
    const unkeyed = unique.filter((m) => m.messageId === undefined).map((m) => m.event);
    if (ctx.destinations.list.length && unkeyed.length) {
      await ctx.destinations.enqueue(tx, unkeyed);
    }
    return insertRows(tx, numberedParts);
  });
  for (const row of rows) ctx.writer.remember(row);
  if (rows.length) ctx.writer.wake();
  return rows.reduce((n, r) => n + r.item.length, 0);
}
