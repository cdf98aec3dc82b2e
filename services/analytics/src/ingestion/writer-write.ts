// What a pass does with the rows it took: repeats dropped, forgotten users unlinked, written, deleted.
import type { FastifyBaseLogger } from 'fastify';
import type { Counter } from 'prom-client';
import type { Config } from '../config.ts';
import type { Db, Tx } from '../db/index.ts';
import { mentions } from '../pseudonyms.ts';
import type { Store } from '../store/types.ts';
import { type Refused, setAside, type Unreadable } from './dead-letters.ts';
import type { Dedup } from './dedup.ts';
import { type Forgotten, unlinkItem } from './forgotten.ts';
import { deleteRows } from './queue.ts';
import type { Row } from './queue-rows.ts';
import { chunksOf, type EncodedRow, type Item } from './writer-batches.ts';
import { lostItems, type OnClaimed } from './writer-claims.ts';
import { type Held, isEncoded, isRow, load, stored } from './writer-load.ts';
import { isRefusal, writeItems } from './writer-refusals.ts';

/** What a pass's write works with: the writer's own dependencies (writer.ts createWriter). */
export interface WriteDeps {
  db: Db;
  store: Store;
  config: Config;
  log: FastifyBaseLogger;
  dedup: Dedup;
  onClaimed?: OnClaimed | undefined;
  forgotten?: Forgotten | undefined;
  /** analytics_ingestion_dead_letters_total. */
  deadLetters: Counter;
}

/**
 * Writes the encoded rows' bodies, about WRITER_BATCH_SIZE events at a time, and returns the
 * rows to write item by item: the others, and, when the store refuses a body, every encoded
 * row as stored (halving then finds what it refuses; writing again what it took is idempotent).
 */
async function writeEncoded(deps: WriteDeps, tx: Tx, held: Held[]): Promise<Held[]> {
  const { store, config, log } = deps;
  const rows = held.filter((r) => !isEncoded(r));
  const encoded = held.filter(isEncoded);
  try {
    let bodies: (string | Buffer)[] = [];
    let events = 0;
    for (const row of encoded) {
      if (bodies.length && events + row.count > config.WRITER_BATCH_SIZE) {
        await store.writeEncoded!(bodies);
        bodies = [];
        events = 0;
      }
      bodies.push(row.body);
      events += row.count;
    }
    if (bodies.length) await store.writeEncoded!(bodies);
    return rows;
  } catch (error) {
    if (!(await isRefusal(store, error))) throw error;
    const loaded = await load(
      tx,
      encoded.map((r) => r.seq),
    );
    return [...rows, ...encoded.map((r) => stored(r, loaded, log))];
  }
}

/**
 * The held rows without the items whose message id another copy holds (writer-claims.ts): a
 * row's items become null where they lost, an encoded row with a loser is read back for that.
 */
async function withoutRepeats(deps: WriteDeps, tx: Tx, held: Held[]): Promise<Held[]> {
  const { db, dedup, log } = deps;
  const claimable = held.filter((r) => !('unreadable' in r) && r.kind !== 'sample') as (
    | Row
    | EncodedRow
  )[];
  const lost = await lostItems(db, dedup, claimable, deps.onClaimed);
  if (lost.size === 0) return held;
  const encoded = held.filter((r) => isEncoded(r) && lost.has(r.seq));
  const loaded = await load(
    tx,
    encoded.map((r) => r.seq),
  );
  return held.map((r) => {
    const losers = lost.get(r.seq);
    if (!losers) return r;
    const row = isEncoded(r) ? stored(r, loaded, log) : r;
    if (!isRow(row)) return row;
    const item = [...row.item];
    for (const index of losers) item[index] = null;
    return { ...row, item };
  });
}

/**
 * The held rows with the pseudonym of every user being forgotten (forgotten_users) for their
 * id: an event queued before the deletion (during a store outage, a backlog) or replayed from a
 * dead letter is never written under the real id, whenever it is written. An encoded row that
 * mentions one is read back for that. Nothing to do, and nothing read, while nobody is.
 */
async function unlinked(deps: WriteDeps, tx: Tx, held: Held[]): Promise<Held[]> {
  const { log } = deps;
  const ids = deps.forgotten?.ids;
  if (!ids || ids.size === 0) return held;
  const named = new Set(
    held.filter((r) => isEncoded(r) && mentions(r.body.toString(), ids)).map((r) => r.seq),
  );
  const loaded = await load(tx, [...named]);
  return held.map((r) => {
    const row = named.has(r.seq) ? stored(r, loaded, log) : r;
    if (!isRow(row)) return row;
    let changed = false;
    const item = row.item.map((value) => {
      if (!value) return value;
      const out = unlinkItem(value, ids);
      if (out !== value) changed = true;
      return out;
    });
    return changed ? { ...row, item } : row;
  });
}

/** Puts the held rows in the store (or sets aside what it refuses) and deletes them. */
export async function write(deps: WriteDeps, tx: Tx, taken: Held[]): Promise<number> {
  const { store, config, log, deadLetters } = deps;
  const held = await unlinked(deps, tx, await withoutRepeats(deps, tx, taken));
  const rows = await writeEncoded(deps, tx, held);
  const items: Item[] = [];
  for (const row of rows.filter(isRow)) {
    row.item.forEach((value, index) => {
      if (value) items.push({ row, index, value });
    });
  }
  const refusals: Refused[] = [];
  for (const chunk of chunksOf(items, config.WRITER_BATCH_SIZE)) {
    refusals.push(...(await writeItems(store, chunk, log)));
  }
  const unreadable = rows.filter((r): r is Unreadable => 'unreadable' in r);
  const aside = await setAside(tx, refusals, unreadable);
  // Every row taken is done with: its items are in the store or set aside.
  await deleteRows(
    tx,
    held.map((r) => r.seq),
  );
  deadLetters.inc(aside);
  return held.length;
}
