import { setImmediate as turn } from 'node:timers/promises';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';
import { currentTraceContext } from '@platform/telemetry';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import type { AcceptedEvent } from '../events.ts';
import { storableText } from '../storable.ts';
import { numbered, type PointNumbers } from './point-numbers.ts';
import type { Row } from './queue-rows.ts';
import { eventsRow, type NewRow, ROW_ITEMS } from './queue-rows.ts';
import { packRowAsync, unpackRow } from './row-packing.ts';

/** A row with the point number of its first item (point-numbers.ts numbered). */
export type NumberedRow = NewRow & { point: number };

/** Rows per insert at most, and their text in characters, when appends are coalesced. */
const MAX_ROWS_PER_INSERT = 64;
const MAX_CHARS_PER_INSERT = 16_000_000;

/** A row with its text packed (packRows), ready to go in a transaction. */
export type PackedRow = NumberedRow & { packed: Buffer };

/**
 * Packs rows for insertRows. In a transaction, pack them before it opens: a large row takes up
 * to 140 ms on the thread pool, and packed inside, the transaction held a pooled connection,
 * idle, all that time (under load, every connection of the pool; review).
 */
export async function packRows(rows: NumberedRow[]): Promise<PackedRow[]> {
  const packed = await Promise.all(rows.map((r) => packRowAsync(r.text)));
  return rows.map((r, i) => ({ ...r, packed: packed[i]! }));
}

/**
 * The database itself, never a transaction. Drizzle's transaction extends its database, so a Tx
 * is a Db as far as types go and passed the Db overload of insertRows with unpacked rows; a Tx
 * has `rollback`, which this type forbids.
 */
type NotTx = Db & { rollback?: never };

/**
 * Appends rows to the durable queue in the caller's transaction (or as one statement), each
 * accepted request as one row holding its items: one small insert per request instead of one
 * row per event is what lets ingestion keep up with the store. The text is stored packed
 * (packRow; node-pg sends a Buffer as a binary parameter, not as hex): in a transaction, rows
 * packed beforehand (packRows); on their own, packed here, before the statement takes a
 * connection. Each row stores its items' first point number (point-numbers.ts). Rows come back
 * in the order given.
 */
export function insertRows(tx: Tx, rows: PackedRow[]): Promise<Row[]>;
export function insertRows(db: NotTx, rows: (NumberedRow | PackedRow)[]): Promise<Row[]>;
export async function insertRows(tx: Tx | Db, rows: (NumberedRow & { packed?: Buffer })[]) {
  for (const row of rows) {
    if (row.item.length > ROW_ITEMS) throw new Error(`at most ${ROW_ITEMS} items per queue row`);
  }
  // The request's trace context is read before anything is awaited.
  const traces = rows.map((r) => (r.trace === undefined ? currentTraceContext() : r.trace));
  const packed = await Promise.all(rows.map((r) => r.packed ?? packRowAsync(r.text)));
  const values = sql.join(
    rows.map((r, i) => sql`(${r.kind}, ${packed[i]!}, ${traces[i]!}, ${r.point})`),
    sql`, `,
  );
  const { rows: out } = await tx.execute<{ seq: number }>(
    sql`insert into queue (kind, packed, trace_context, point_base) values ${values}
        returning seq::float8 as seq`,
  );
  // The sequence numbers rows in the order of the VALUES list, whatever order RETURNING uses.
  const seqs = out.map((r) => r.seq).sort((a, b) => a - b);
  return rows.map((r, i): Row => ({ seq: seqs[i]!, kind: r.kind, item: r.item, point: r.point }));
}

export interface Queue {
  /** Appends a row on its own; resolves once it is committed (undefined when it is empty). */
  append(row: NewRow): Promise<Row | undefined>;
}

/**
 * Group commit: an append that arrives while an insert is in flight waits for it, then goes in
 * the next insert with every other one that waited. Under load a commit (and its WAL flush)
 * serves several requests — 1.6 on average with bench:analytics' four clients, more with more —
 * while an append on an idle queue goes at once. A failed insert fails all of its appends.
 * Message ids are not claimed here but by the writer, in batches (writer-claims.ts).
 */
export function createQueue(db: Db, points: PointNumbers): Queue {
  let waiting: {
    row: NewRow;
    packed: Promise<Buffer>;
    resolve: (row: Row | undefined) => void;
    reject: (e: unknown) => void;
  }[] = [];
  let busy = false;

  async function flush() {
    busy = true;
    while (waiting.length) {
      let chars = 0;
      let count = 0;
      while (count < waiting.length && count < MAX_ROWS_PER_INSERT) {
        const row = waiting[count]!.row;
        chars += row.text.length;
        if (count > 0 && chars > MAX_CHARS_PER_INSERT) break;
        count += 1;
      }
      const batch = waiting.slice(0, count);
      waiting = waiting.slice(count);
      try {
        const packed = await Promise.all(batch.map((w) => w.packed));
        const rows = await insertRows(
          db,
          await numbered(
            batch.map((w, i) => ({ ...w.row, packed: packed[i]! })),
            points,
          ),
        );
        for (const [i, w] of batch.entries()) w.resolve(rows[i]!);
      } catch (error) {
        for (const w of batch) w.reject(error);
      }
    }
    busy = false;
  }

  return {
    append(row) {
      if (row.item.length === 0) return Promise.resolve(undefined);
      // The insert may run in another request's turn (group commit): its context is taken now.
      row.trace ??= currentTraceContext();
      // Packed from now on, while the insert in flight (if any) waits for its commit: off the
      // event loop, a row's packing overlaps other requests' work instead of following it.
      const packed = packRowAsync(row.text);
      // Awaited by flush; a failure there fails this append, never an unhandled rejection.
      packed.catch(() => {});
      const appended = new Promise<Row | undefined>((resolve, reject) => {
        waiting.push({ row, packed, resolve, reject });
      });
      if (!busy) void flush();
      return appended;
    },
  };
}

/**
 * Events in one row on their own (in a transaction: packRows, then insertRows), numbered from
 * `point` (at least as many numbers reserved); undefined when there are none.
 */
export const enqueueEvents = async (db: Db, events: AcceptedEvent[], point: number) =>
  events.length ? (await insertRows(db, [{ ...eventsRow(events), point }]))[0] : undefined;

/**
 * The due rows' heads, oldest first, locked (see lockDueRows). Ordered by `queue.seq`, the
 * column: a bare `seq` is the float8 output column, which no index holds, so every pass read and
 * sorted the whole queue — a heap page per waiting row since a packed row fills one. Due by the
 * clock as the statement runs, not `now()`, the time the pass's transaction began: a row whose
 * transaction began later (due from its own `now()`) and committed before this statement was
 * not due to it, so the pass found nothing and its writer forgot its remembered rows as gone
 * (writer.ts take; test queue-due-rows).
 */
export const dueRowsStatement = (limit: number) =>
  sql`select seq::float8 as seq, kind, trace_context from queue
      where next_attempt_at <= clock_timestamp()
      order by queue.seq limit ${limit} for update skip locked`;

/**
 * The due rows' heads, oldest first, locked for this pass (SKIP LOCKED: other passes and
 * replicas take the next ones), with the trace context each was queued under.
 */
export async function lockDueRows(tx: Tx, limit: number) {
  const { rows } = await tx.execute<
    Omit<Row, 'item'> & { trace_context: string | null } & Record<string, unknown>
  >(dueRowsStatement(limit));
  return rows;
}

/** Rows after `seq`, oldest first, locked (see lockRowsAfter); `queue.seq` as in dueRowsStatement. */
export const rowsAfterStatement = (seq: number, limit: number) =>
  sql`select seq::float8 as seq, kind from queue where seq > ${seq} and kind <> 'sample'
      order by queue.seq limit ${limit} for update skip locked`;

/**
 * Rows after `seq` that may hold message ids (not samples), oldest first, locked (SKIP LOCKED:
 * those a pass holds are its own to claim): the writer claims ahead with them while the store is
 * down.
 */
export async function lockRowsAfter(tx: Tx, seq: number, limit: number) {
  const { rows } = await tx.execute<Omit<Row, 'item'> & Record<string, unknown>>(
    rowsAfterStatement(seq, limit),
  );
  return rows;
}

/** A queue row as stored: its text as it is (rows of earlier versions) or packed (packRow). */
export type StoredRow = Omit<Row, 'item'> & {
  item: string | null;
  packed: Buffer | null;
} & Record<string, unknown>;

/** Rows this pass holds locked, as stored. One text parameter, not one per row. */
export async function storedRows(tx: Tx, seqs: number[]) {
  const { rows } = await tx.execute<StoredRow>(
    sql`select seq::float8 as seq, kind, item, packed, point_base::float8 as point from queue
        where seq = any(string_to_array(${seqs.join(',')}, ',')::bigint[])`,
  );
  return rows;
}

/** A stored row's text; throws when it is packed in bytes that cannot be unpacked. */
export const storedText = (row: Pick<StoredRow, 'item' | 'packed'>): string =>
  row.item ?? unpackRow(row.packed!);

const unpackOffLoop = promisify(brotliDecompress);

/**
 * Rows read back (after a crash, a refusal, a full cache), as the writer takes them: each row's
 * text unpacked on libuv's thread pool, then its items read (readRow), the event loop let go
 * between rows. A client's largest row (~4 MB that Brotli cannot shrink) takes 30–130 ms to
 * unpack: in line, a pass of 20 such rows stalled every request of the process for over a
 * second (12 rows: ~0.7 s; now the longest stall is one row's readRow). A row that cannot be
 * read comes back as its error.
 */
export async function readStoredRows<T>(
  rows: StoredRow[],
  read: (row: StoredRow, text: string) => T,
): Promise<(T | { row: StoredRow; error: Error })[]> {
  // Bytes, not text, as each completes: completions the pool delivers together run in one turn
  // of the event loop, and decoding 20 texts of ~4 MB there stalled it as much as reading them.
  const texts = rows.map((r) =>
    r.item !== null
      ? Promise.resolve(r.item)
      : unpackOffLoop(r.packed!, { chunkSize: 1024 * 1024 }),
  );
  // Each settles on its own: a failed one is looked at in its turn, not left unhandled.
  for (const text of texts) text.catch(() => {});
  const out: (T | { row: StoredRow; error: Error })[] = [];
  for (const [i, row] of rows.entries()) {
    if (i > 0) await turn();
    try {
      out.push(read(row, String(await texts[i]!)));
    } catch (error) {
      out.push({ row, error: error as Error });
    }
  }
  return out;
}

/**
 * What a dead letter keeps of a stored row that cannot be read: its text, unpacked (made
 * storable: the bytes may be anything); bytes that cannot be unpacked in PostgreSQL's hex form
 * of a bytea (`\x…`), so nothing is lost.
 */
export function keptText(row: Pick<StoredRow, 'item' | 'packed'>): string {
  if (row.item !== null) return row.item;
  try {
    return storableText(unpackRow(row.packed!));
  } catch {
    return `\\x${row.packed!.toString('hex')}`;
  }
}

/** Rows done with: their items are in the store or set aside (and their claims' outcome). */
export async function deleteRows(tx: Tx, seqs: number[]) {
  const list = `{${seqs.join(',')}}`;
  await tx.execute(sql`delete from queue where seq = any(${list}::bigint[])`);
  await tx.execute(sql`delete from queue_claims where seq = any(${list}::bigint[])`);
}

/** The claims already decided for these rows: their items that lost, and whether handed over. */
export async function decidedClaims(
  tx: Tx,
  seqs: number[],
): Promise<Map<number, { lost: number[]; handed: boolean }>> {
  const { rows } = await tx.execute<{ seq: number; lost: number[]; handed: boolean }>(
    sql`select seq::float8 as seq, lost, handed from queue_claims
        where seq = any(${`{${seqs.join(',')}}`}::bigint[])`,
  );
  return new Map(rows.map((r) => [r.seq, { lost: r.lost, handed: r.handed }]));
}

/** Records what the claims decided for these rows, in the claims' transaction. */
export async function recordClaims(
  tx: Tx,
  decided: { seq: number; lost: number[]; handed: boolean }[],
) {
  if (decided.length === 0) return;
  await tx.execute(sql`insert into queue_claims (seq, lost, handed)
    select seq, coalesce(string_to_array(nullif(lost, ''), ',')::int[], '{}'), handed
    from unnest(${`{${decided.map((d) => d.seq).join(',')}}`}::bigint[],
                ${`{${decided.map((d) => `"${d.lost.join(',')}"`).join(',')}}`}::text[],
                ${`{${decided.map((d) => d.handed).join(',')}}`}::boolean[]) as x(seq, lost, handed)`);
}

/**
 * What pruneClaims runs: outcomes outside the range of sequence numbers the queue holds, read
 * from the primary key's ends. An outcome inside it whose row left out of order goes once the rows
 * before it have. Looking each outcome's row up instead read a heap page per waiting row (a packed
 * row fills most of one): during an outage with destinations, every waiting row has an outcome.
 */
export const pruneClaimsStatement = sql`delete from queue_claims
  where not seq between coalesce((select min(seq) from queue), 1)
                    and coalesce((select max(seq) from queue), 0)`;

/**
 * Deletes outcomes whose queue row is gone (a row is deleted with its outcome; one left behind by
 * an interrupted upgrade or a race is only clutter: seqs are never used again).
 */
export async function pruneClaims(db: Db) {
  await db.execute(pruneClaimsStatement);
}

/** Marks rows' items handed over; resolves to the rows this call marked (not marked before). */
export async function markHanded(tx: Tx, seqs: number[]): Promise<Set<number>> {
  const { rows } = await tx.execute<{ seq: number }>(
    sql`update queue_claims set handed = true
        where seq = any(${`{${seqs.join(',')}}`}::bigint[]) and not handed
        returning seq::float8 as seq`,
  );
  return new Set(rows.map((r) => r.seq));
}
