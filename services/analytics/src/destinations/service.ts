import { problems } from '@platform/http';
import type { Db } from '../db/index.ts';
import { inOneSnapshot } from '../db/snapshot.ts';
import { problem } from '../errors.ts';
import type { Destination } from './config.ts';
import { unlinkedForSending } from './forget.ts';
import { countsByDestination, type Delivery, findById, listDead, revive } from './repository.ts';

export interface DestinationsContext {
  db: Db;
  list: Destination[];
}

export async function describeDestinations(ctx: DestinationsContext) {
  const counts = new Map((await countsByDestination(ctx.db)).map((c) => [c.destination, c]));
  return {
    items: ctx.list.map((d) => ({
      name: d.name,
      url: publicUrl(d.url),
      events: d.events,
      pending: counts.get(d.name)?.pending ?? 0,
      dead: counts.get(d.name)?.dead ?? 0,
    })),
  };
}

export async function deadLetters(
  ctx: DestinationsContext,
  query: { destination?: string | undefined; limit: number; cursor?: string | undefined },
) {
  // As they would be sent (forget.ts): a delivery naming a user being forgotten that went dead
  // after the passes' eager minute (a late event a receiver refused at once) holds the id until
  // the final pass rewrites it, and was listed so, while GET /profiles answered 404 for the user.
  // The page and the lookup in one snapshot (db/snapshot.ts).
  const { rows, page } = await inOneSnapshot(ctx.db, async (tx) => {
    const rows = await listDead(tx, {
      destination: query.destination,
      before: query.cursor === undefined ? undefined : Number(query.cursor),
      limit: query.limit + 1,
    });
    return { rows, page: await unlinkedForSending(tx, rows.slice(0, query.limit)) };
  });
  return {
    items: page.map(toDeadLetter),
    next_cursor: rows.length > query.limit ? String(page.at(-1)!.id) : null,
  };
}

/** Due now with a fresh set of tries; 404 unless it is a dead letter, 409 if its destination left. */
export async function replayOne(ctx: DestinationsContext, id: string) {
  const names = ctx.list.map((d) => d.name);
  if ((await revive(ctx.db, { id: Number(id), destinations: names })) > 0) return { replayed: 1 };
  const row = await findById(ctx.db, Number(id));
  if (row?.status !== 'dead') throw problems.notFound('No such dead letter.');
  throw problem(
    'destination_removed',
    `The destination ${row.destination} is no longer configured; nothing can be sent to it.`,
  );
}

export async function replayAll(ctx: DestinationsContext, destination: string | undefined) {
  if (destination !== undefined && !ctx.list.some((d) => d.name === destination)) {
    throw problems.notFound(`No destination named ${destination}.`);
  }
  const names = destination ? [destination] : ctx.list.map((d) => d.name);
  return { replayed: await revive(ctx.db, { destinations: names }) };
}

function toDeadLetter(row: Delivery) {
  return {
    id: String(row.id),
    destination: row.destination,
    event_id: row.eventId,
    event: row.event,
    attempts: row.attempts,
    last_error: row.lastError,
    payload: row.payload,
    created_at: row.createdAt.toISOString(),
    failed_at: row.updatedAt.toISOString(),
  };
}

function publicUrl(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
