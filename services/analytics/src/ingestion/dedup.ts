import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db, Tx } from '../db/index.ts';
import { createFingerprints } from './fingerprints.ts';

/**
 * Exactly once: the dedup index of message ids, claimed by the writer's passes only
 * (writer-claims.ts, which records each queue row's outcome so a row written again is not
 * claimed again). PostgreSQL keeps every claim as one row per claim — a block of 64-bit
 * fingerprints (`message_id_blocks`) — not a unique-index row per id, which cost 4–5 µs of
 * PostgreSQL's CPU per id, more than the rest of ingestion. Each process keeps the fingerprints
 * in memory (fingerprints.ts, 16–32 bytes an id, at most DEDUP_MAX_IDS) and decides there. Claims
 * of every process run one at a time under one advisory lock, each first reading the blocks
 * others committed since it last looked — block numbers are drawn under the lock, so blocks
 * commit in number order and "after the last one read" is exactly what a process has not seen.
 * Memory may hold more than PostgreSQL (a claim rolled back with its transaction), never less: a
 * fingerprint found counts only if its block exists. Memory names a block only for fingerprints
 * in it (read from it, or put there by the claim that made it), so existing is enough.
 */

export interface Dedup {
  /**
   * Claims fingerprints (16 hex digits each) in the caller's transaction, which holds the dedup
   * lock until it ends: per fingerprint, whether it was free. Within one call the first of a
   * fingerprint wins and later copies lose.
   */
  claim(tx: Tx, fps: readonly string[]): Promise<boolean[]>;
  /**
   * Per fingerprint, whether a committed claim holds it, without claiming and without the lock:
   * what a request accepts beside the event (Segment profiles and links) is left alone for a
   * copy whose id was taken before.
   */
  taken(tx: Tx, fps: readonly string[]): Promise<boolean[]>;
  /** Forgets blocks created before `before` (DEDUP_DAYS), in PostgreSQL and in memory. */
  prune(db: Db, before: Date): Promise<void>;
}

/** Any constant this database uses for nothing else. */
const LOCK = sql`hashtext('message-id-claims')`;
/**
 * Blocks read per statement when catching up at most, and their fingerprints' characters (a
 * block holds 1 to WRITER_BATCH_SIZE ids, 16 characters each): a restart reads the window in
 * pages of ~4 MB, whether its blocks are passes of one id or of thousands.
 */
const BLOCKS_PER_READ = 10_000;
const CHARS_PER_READ = 4_000_000;
const FP = 16;

/** Hex digit values by character code (parseInt on a slice costs several times as much). */
const HEX = new Uint8Array(128);
for (let d = 0; d < 16; d += 1) {
  HEX['0123456789abcdef'.charCodeAt(d)] = d;
  HEX['0123456789ABCDEF'.charCodeAt(d)] = d;
}
/** The 32-bit word of 8 hex digits at `at`. */
function word(hex: string, at: number): number {
  let w = 0;
  for (let i = at; i < at + 8; i += 1) w = (w << 4) | HEX[hex.charCodeAt(i) & 127]!;
  return w >>> 0;
}
const hiOf = (fps: string, at: number) => word(fps, at);
const loOf = (fps: string, at: number) => word(fps, at + 8);

export function createDedup(options: { maxIds: number; metrics?: Registry }): Dedup {
  const memory = createFingerprints({ maxIds: options.maxIds });
  /** The newest block this process has read or written; every older one is in memory. */
  let last = 0;
  /**
   * Memory holds a block's number less `base` (fingerprints.ts keeps 32 bits; ids are 64, and a
   * pass every few milliseconds passes 2³² within years): set by the first block seen, moved up
   * by prune when the numbers remembered pass 2³¹ — fewer than 2³¹ blocks in DEDUP_DAYS assumed.
   */
  let base: number | undefined;
  const local = (id: number) => {
    base ??= id - 1;
    return id - base;
  };
  // Without a registry (tests) it counts into none.
  const evicted = new Counter({
    name: 'analytics_dedup_evicted_total',
    help: 'Message ids forgotten before DEDUP_DAYS because DEDUP_MAX_IDS were remembered',
    registers: options.metrics ? [options.metrics] : [],
  });
  new Gauge({
    name: 'analytics_dedup_ids',
    help: 'Message ids this process remembers for deduplication',
    registers: options.metrics ? [options.metrics] : [],
    collect() {
      this.set(memory.size);
    },
  });

  /**
   * Makes room for `n` more ids: at DEDUP_MAX_IDS the blocks of the oldest quarter of the ids
   * remembered go (or of as many as `n` needs), in one round — the window gets shorter than
   * DEDUP_DAYS, counted in analytics_dedup_evicted_total. Cut by ids, not by block numbers: claims
   * whose ids all lost use a number and leave no block, so anyone sending copies stretched the
   * numbers, and a quarter of them held most of the ids (or, spread thin, took a round and two
   * scans of the table each; review). Each round scans the whole table three times (~0.5 s per
   * million ids): claims make room before they wait for the lock, so under it there is only what
   * arrived meanwhile.
   */
  function makeRoom(n: number) {
    if (memory.size === 0 || memory.size + n <= options.maxIds) return;
    const needed = Math.max(memory.size + n - options.maxIds, Math.ceil(memory.size / 4));
    const dropped = memory.dropBefore(memory.blockAtRank(Math.min(memory.size, needed)) + 1);
    evicted.inc(dropped);
  }

  /**
   * Reads the blocks committed since this process last looked. Two at once (the writer's two
   * passes) only set the same fingerprints twice: memory and `last` take the same values.
   */
  async function catchUp(tx: Tx, pages = Number.POSITIVE_INFINITY) {
    for (let page = 0; page < pages; page += 1) {
      // The next blocks up to CHARS_PER_READ (at least one); `n`: how many the limit let through.
      // Ordered by the table's column (its index): ordered by the float8 output column, each page
      // sorted every block after it (quadratic in the blocks to read; review).
      const { rows } = await tx.execute<{ id: number; fps: string; n: number }>(sql`
        select id::float8 as id, fps, n::int as n from (
          select id, fps, octet_length(fps) as size, count(*) over () as n,
            sum(octet_length(fps)) over (order by id) as upto
          from (
            select id, fps from message_id_blocks where id > ${last}
            order by message_id_blocks.id limit ${BLOCKS_PER_READ}
          ) as page
        ) as sized
        where upto - size < ${CHARS_PER_READ}
        order by sized.id`);
      for (const r of rows) {
        makeRoom(r.fps.length / FP);
        for (let at = 0; at < r.fps.length; at += FP) {
          memory.set(hiOf(r.fps, at), loOf(r.fps, at), local(r.id));
        }
        if (r.id > last) last = r.id;
      }
      const through = rows[0]?.n ?? 0;
      if (rows.length === through && through < BLOCKS_PER_READ) return;
    }
  }

  /** The catch-up of `taken` under way, if any. */
  let peeking: Promise<void> | undefined;

  /** Which of the blocks (numbers) exist: those of claims rolled back or pruned do not. */
  async function existing(tx: Tx, blocks: number[]): Promise<Set<number>> {
    const { rows } = await tx.execute<{ id: number }>(sql`
      select id::float8 as id from message_id_blocks
      where id = any(${`{${[...new Set(blocks)].join(',')}}`}::bigint[])`);
    return new Set(rows.map((r) => r.id));
  }

  return {
    async claim(tx, fps) {
      const won = new Array<boolean>(fps.length).fill(false);
      if (fps.length === 0) return won;
      // Most of what is new is read, and room made, before the lock, so others do not wait for
      // it (a restart reads the whole window, ~1 s per million ids): committed blocks are always
      // every number up to some point, since numbers are drawn under the lock and committed
      // before it goes.
      await catchUp(tx);
      makeRoom(fps.length);
      // The lock first, then the number (evaluated in list order): drawn under the lock, numbers
      // follow commit order.
      const { rows } = await tx.execute<{ next: number }>(
        sql`select pg_advisory_xact_lock(${LOCK}), nextval('message_id_blocks_id_seq')::float8 as next`,
      );
      const next = rows[0]!.next;
      await catchUp(tx);
      makeRoom(fps.length);
      if (next > last) last = next;
      const mine = local(next);
      const his = new Uint32Array(fps.length);
      const los = new Uint32Array(fps.length);
      const hits: number[] = [];
      const blocks: number[] = [];
      for (let i = 0; i < fps.length; i += 1) {
        const hi = hiOf(fps[i]!, 0);
        const lo = loOf(fps[i]!, 0);
        his[i] = hi;
        los[i] = lo;
        const block = memory.add(hi, lo, mine);
        if (block === 0) won[i] = true;
        else if (block !== mine) {
          hits.push(i);
          blocks.push(block + base!);
        }
      }
      if (hits.length) {
        const present = await existing(tx, blocks);
        for (const [k, i] of hits.entries()) {
          // Its block is gone: free, unless a claim before it in this call took it just now.
          if (present.has(blocks[k]!) || memory.get(his[i]!, los[i]!) === mine) continue;
          won[i] = true;
          memory.set(his[i]!, los[i]!, mine);
        }
      }
      let taken = '';
      for (let i = 0; i < fps.length; i += 1) if (won[i]) taken += fps[i];
      if (taken) {
        await tx.execute(sql`insert into message_id_blocks (id, fps) values (${next}, ${taken})`);
      }
      return won;
    },

    async taken(tx, fps) {
      const held = new Array<boolean>(fps.length).fill(false);
      if (fps.length === 0) return held;
      // One page at most, shared by the requests asking meanwhile: a request does not read the
      // window after a restart (the writer's claims do), nor do sixteen at once read it sixteen
      // times. Best effort: a copy not seen here changes nothing unless its user was deleted.
      peeking ??= catchUp(tx, 1).finally(() => {
        peeking = undefined;
      });
      await peeking.catch(() => {});
      const hits: number[] = [];
      const blocks: number[] = [];
      for (let i = 0; i < fps.length; i += 1) {
        const block = memory.get(hiOf(fps[i]!, 0), loOf(fps[i]!, 0));
        if (block === 0) continue;
        hits.push(i);
        blocks.push(block + base!);
      }
      if (hits.length === 0) return held;
      // A block of a claim rolled back, pruned or still open is not a claim.
      const present = await existing(tx, blocks);
      for (const [k, i] of hits.entries()) held[i] = present.has(blocks[k]!);
      return held;
    },

    async prune(db, before) {
      await db.transaction(async (tx) => {
        // What committed so far is read before the lock (the first prune, 10 s after a start,
        // may have days to read); under it, what committed meanwhile.
        await catchUp(tx);
        // Under the lock: no claim of any process is half done meanwhile.
        await tx.execute(sql`select pg_advisory_xact_lock(${LOCK})`);
        await catchUp(tx);
        await tx.execute(sql`delete from message_id_blocks where created_at < ${before}`);
        const { rows } = await tx.execute<{ oldest: number | null }>(
          sql`select min(id)::float8 as oldest from message_id_blocks`,
        );
        // None left: whatever memory holds was pruned or rolled back.
        const oldest = rows[0]?.oldest;
        memory.dropBefore(oldest == null ? 2 ** 32 : local(oldest));
        // Under the lock no claim holds a number made with the old base.
        if (base !== undefined && last - base > 2 ** 31) {
          const delta = (memory.oldestBlock() || local(last)) - 1;
          memory.rebase(delta);
          base += delta;
        }
      });
    },
  };
}

// One-shot hashing where Node has it (20.12+): a third of createHash's cost per id.
const sha256: (data: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) =>
        (crypto as unknown as { hash: (a: string, d: string) => string }).hash('sha256', data)
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * The fingerprint of a dedup key: the first 64 bits of its SHA-256, as 16 hex digits. Two ids
 * share one with a chance of about (ids in the window)² / 2⁶⁵ — one in ~1.5 million with 5 million —
 * and guessing another sender's is as hard as finding a SHA-256 preimage.
 */
export const fingerprint = (key: string): string => sha256(key).slice(0, 16);

/**
 * A queued item's dedup key as the writer claims it: a fingerprint, or (rows queued by earlier
 * versions) the key itself — `client:…`, where a fingerprint is all hex digits — hashed now.
 */
export const fingerprintOf = (key: string): string => (key.includes(':') ? fingerprint(key) : key);

/**
 * The dedup key of a write-key message: one namespace for every server key (rotating keeps it),
 * another for browser keys. A browser key is public: in the one namespace, a page's message with
 * a backend's predictable id (`order-completed-42`) claimed it first and the backend's event was
 * dropped as a copy.
 */
export const segmentKey = (messageId: string, trusted: boolean) =>
  trusted ? `segment:${messageId}` : `segment-browser:${messageId}`;

/**
 * The dedup key of a `/track-event` item's `message_id`: per sender, so nobody can claim the id
 * of someone else's event and have it dropped.
 */
export const clientKey = (userId: string | null, anonymousId: string | null, messageId: string) =>
  `client:${userId ? `u:${userId}` : anonymousId ? `a:${anonymousId}` : '-'}:${messageId}`;
