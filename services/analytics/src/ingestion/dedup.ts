import crypto from 'node:crypto';
import { sql } from 'drizzle-orm';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db, Tx } from '../db/index.ts';
import { createFingerprints } from './fingerprints.ts';

/**
 * Exactly once: the dedup index of message ids, claimed by the writer's passes only
 * (writer-claims.ts). PostgreSQL keeps every claim as one row per claim — a block of 64-bit fingerprints and their owners (`message_id_blocks`) — not a
 * unique-index row per id, which cost 4–5 µs of PostgreSQL's CPU per id, more than the rest of
 * ingestion. Each process keeps the fingerprints in memory (fingerprints.ts, 16–24 bytes an id,
 * at most DEDUP_MAX_IDS) and decides there. Claims of every process run one at a time under one
 * advisory lock, each first reading the blocks others committed since it last looked — block
 * numbers are drawn under the lock, so blocks commit in number order and "after the last one
 * read" is exactly what a process has not seen. Memory may hold more than PostgreSQL (a claim
 * rolled back with its transaction), never less: a fingerprint found is checked against its
 * block before a copy is dropped.
 */

/**
 * A claim on a message id: its fingerprint (16 hex digits), and the id of the event that would
 * own it (null: none).
 */
export interface Claim {
  fp: string;
  owner: string | null;
}

export interface Dedup {
  /**
   * Claims ids in the caller's transaction (which holds the dedup lock until it ends): per
   * claim, whether it won — an id not claimed before, or already owned by the same event (its
   * write is being tried again). Within one call the first claim of an id stands for the rest.
   * `fresh`: the claims that took their id now (not an owner's again).
   */
  claim(tx: Tx, claims: readonly Claim[]): Promise<{ won: boolean[]; fresh: number[] }>;
  /** Forgets blocks created before `before` (DEDUP_DAYS), in PostgreSQL and in memory. */
  prune(db: Db, before: Date): Promise<void>;
}

/** Any constant this database uses for nothing else. */
const LOCK = sql`hashtext('message-id-claims')`;
/** Blocks read per statement when catching up (a block holds up to WRITER_BATCH_SIZE ids). */
const BLOCKS_PER_READ = 100;
/** The owner of an id claimed as it was accepted (the nil UUID). */
const NO_OWNER = '00000000-0000-0000-0000-000000000000';
const FP = 16;
const UUID = 36;

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
  const memory = createFingerprints();
  /** The newest block this process has read or written; every older one is in memory. */
  let last = 0;
  /**
   * Memory holds a block's number less `base` (fingerprints.ts keeps 32 bits; ids are 64, and a
   * block per Segment request passes 2³² within years): set by the first block seen, moved up by
   * prune when the numbers remembered pass 2³¹ — fewer than 2³¹ blocks in DEDUP_DAYS assumed.
   */
  let base: number | undefined;
  const local = (id: number) => {
    base ??= id - 1;
    return id - base;
  };
  const evicted = options.metrics
    ? new Counter({
        name: 'analytics_dedup_evicted_total',
        help: 'Message ids forgotten before DEDUP_DAYS because DEDUP_MAX_IDS were remembered',
        registers: [options.metrics],
      })
    : undefined;
  if (options.metrics) {
    new Gauge({
      name: 'analytics_dedup_ids',
      help: 'Message ids this process remembers for deduplication',
      registers: [options.metrics],
      collect() {
        this.set(memory.size);
      },
    });
  }

  /**
   * Makes room for `n` more ids: at DEDUP_MAX_IDS the oldest quarter of the blocks remembered
   * goes (the window gets shorter than DEDUP_DAYS, counted in analytics_dedup_evicted_total).
   */
  function makeRoom(n: number) {
    while (memory.size > 0 && memory.size + n > options.maxIds) {
      const oldest = memory.oldestBlock();
      const span = local(last) - oldest;
      const dropped = memory.dropBefore(oldest + Math.max(1, Math.floor(span / 4)));
      evicted?.inc(dropped);
    }
  }

  /** Reads the blocks committed since this process last looked. */
  async function catchUp(tx: Tx) {
    for (;;) {
      const { rows } = await tx.execute<{ id: number; fps: string }>(sql`
        select id::float8 as id, fps from message_id_blocks where id > ${last}
        order by id limit ${BLOCKS_PER_READ}`);
      for (const r of rows) {
        makeRoom(r.fps.length / FP);
        for (let at = 0; at < r.fps.length; at += FP) {
          memory.set(hiOf(r.fps, at), loOf(r.fps, at), local(r.id));
        }
        last = r.id;
      }
      if (rows.length < BLOCKS_PER_READ) return;
    }
  }

  /**
   * Who owns each of the claims at `hits` per the block memory names: an event's UUID (the nil
   * UUID: claimed as accepted), undefined where the block does not hold it (a claim rolled back,
   * or a block pruned).
   */
  async function owners(tx: Tx, claims: readonly Claim[], blocks: number[], hits: number[]) {
    const { rows } = await tx.execute<{ id: number; fps: string; owners: string }>(sql`
      select id::float8 as id, fps, owners from message_id_blocks
      where id = any(${`{${[...new Set(blocks)].join(',')}}`}::bigint[])`);
    const held = new Map<string, string>();
    for (const r of rows) {
      for (let at = 0, j = 0; at < r.fps.length; at += FP, j += UUID) {
        held.set(`${r.id}:${r.fps.slice(at, at + FP)}`, r.owners.slice(j, j + UUID));
      }
    }
    return hits.map((i, k) => held.get(`${blocks[k]}:${claims[i]!.fp}`));
  }

  return {
    async claim(tx, claims) {
      const won = new Array<boolean>(claims.length).fill(false);
      /** The claims this call takes anew: they make its block. */
      const fresh: number[] = [];
      if (claims.length === 0) return { won, fresh };
      // Most of what is new is read before the lock, so others do not wait for it (a restart
      // reads the whole window, ~1 s per million ids): committed blocks are always every number
      // up to some point, since numbers are drawn under the lock and committed before it goes.
      await catchUp(tx);
      // The lock first, then the number: drawn under the lock, numbers follow commit order.
      const { rows } = await tx.execute<{ next: number }>(
        sql`select pg_advisory_xact_lock(${LOCK}), nextval('message_id_blocks_id_seq')::float8 as next`,
      );
      const next = rows[0]!.next;
      await catchUp(tx);
      last = next;
      const mine = local(next);
      makeRoom(claims.length);
      const his = new Uint32Array(claims.length);
      const los = new Uint32Array(claims.length);
      const hits: number[] = [];
      const blocks: number[] = [];
      for (let i = 0; i < claims.length; i += 1) {
        const fp = claims[i]!.fp;
        const hi = hiOf(fp, 0);
        const lo = loOf(fp, 0);
        his[i] = hi;
        los[i] = lo;
        const block = memory.add(hi, lo, mine);
        if (block === 0) {
          won[i] = true;
          fresh.push(i);
        } else if (block !== mine) {
          hits.push(i);
          blocks.push(block + base!);
        }
      }
      if (hits.length) {
        const held = await owners(tx, claims, blocks, hits);
        /** Ids its owner claimed again in this call: a second copy of that event loses. */
        const retried = new Set<string>();
        for (const [k, i] of hits.entries()) {
          const owner = claims[i]!.owner;
          if (held[k] === undefined) {
            // Not in its block: free, unless a claim before it in this call took it just now.
            if (memory.get(his[i]!, los[i]!) !== mine) {
              won[i] = true;
              fresh.push(i);
              memory.set(his[i]!, los[i]!, mine);
            }
          } else if (
            owner !== null &&
            held[k] === ownerToken(owner) &&
            !retried.has(claims[i]!.fp)
          ) {
            // Its own claim: the same event written again (its id stays in the older block).
            won[i] = true;
            retried.add(claims[i]!.fp);
          }
        }
      }
      if (fresh.length) {
        let fps = '';
        let ownerList = '';
        for (const i of fresh) {
          const { fp, owner } = claims[i]!;
          fps += fp;
          ownerList += owner === null ? NO_OWNER : ownerToken(owner);
        }
        await tx.execute(
          sql`insert into message_id_blocks (id, fps, owners) values (${next}, ${fps}, ${ownerList})`,
        );
      }
      return { won, fresh };
    },

    async prune(db, before) {
      await db.transaction(async (tx) => {
        // Under the lock: no claim of any process is half done meanwhile.
        await tx.execute(sql`select pg_advisory_xact_lock(${LOCK})`);
        await tx.execute(sql`delete from message_id_blocks where created_at < ${before}`);
        await catchUp(tx);
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
 * An owner as a block keeps it, 36 characters: the event's id when it has that length (a UUID,
 * as every tracked event's and most Segment messages' ids), else the start of its SHA-256.
 */
const ownerToken = (id: string): string => (id.length === UUID ? id : sha256(id).slice(0, UUID));

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

/** The dedup key of a write-key message: one namespace for every key (rotating keeps it). */
export const segmentKey = (messageId: string) => `segment:${messageId}`;

/**
 * The dedup key of a `/track-event` item's `message_id`: per sender, so nobody can claim the id
 * of someone else's event and have it dropped.
 */
export const clientKey = (userId: string | null, anonymousId: string | null, messageId: string) =>
  `client:${userId ? `u:${userId}` : anonymousId ? `a:${anonymousId}` : '-'}:${messageId}`;
