import crypto from 'node:crypto';
import { lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { messageIds } from '../db/schema.ts';

/**
 * Claims message ids in the dedup index (`message_ids`, kept DEDUP_DAYS), in the transaction
 * that queues their events: resolves to the ids claimed now, i.e. not seen before. PostgreSQL's
 * unique index decides, so it holds across restarts, replicas and both stores (InfluxDB cannot
 * refuse a duplicate itself); a concurrent claim of the same id waits for the first to commit or
 * roll back. The key is 128 bits of each id's SHA-256 as a uuid, computed by PostgreSQL (in C, a
 * third of what hashing in Node cost per event); claimed in key order, so two transactions
 * sharing ids never deadlock. The answer is one text of the positions claimed.
 */
export async function claimIds(tx: Tx, ids: string[]): Promise<Set<string>> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return new Set();
  const { rows } = await tx.execute<{ claimed: string | null }>(sql`
    with input as (
      select i, encode(substring(sha256(convert_to(k, 'UTF8')) for 16), 'hex')::uuid as h
      from jsonb_array_elements_text(${JSON.stringify(unique)}::jsonb) with ordinality as x(k, i)
    ), claimed as (
      insert into message_ids (hash) select h from input order by h
      on conflict do nothing
      returning hash
    )
    select string_agg(i::text, ',') as claimed from input join claimed on claimed.hash = input.h`);
  const positions = rows[0]?.claimed;
  if (!positions) return new Set();
  return new Set(positions.split(',').map((i) => unique[Number(i) - 1]!));
}

/** A queued event's claim on its message id: the dedup key and the event's id (a UUID). */
export interface Claim {
  key: string;
  owner: string;
}

// One-shot hashing where Node has it (20.12+): a third of createHash's cost per id.
const sha256: (data: string) => string =
  typeof (crypto as { hash?: unknown }).hash === 'function'
    ? (data) =>
        (crypto as unknown as { hash: (a: string, d: string) => string }).hash('sha256', data)
    : (data) => crypto.createHash('sha256').update(data).digest('hex');

/**
 * The dedup index's key of a message id as claimIds makes it: 128 bits of its SHA-256, as 32 hex
 * digits (PostgreSQL reads a uuid without its hyphens too).
 */
export const keyHash = (key: string): string => sha256(key).slice(0, 32);

/**
 * Claims message ids for the writer, before it writes their events: resolves to the claims that
 * lost (their owners, event ids), almost always none. A key goes to the first event that claims
 * it and stays its own — the claim commits on its own, before the store sees the event, so an
 * event whose write failed (a crash, the store down) finds its key still its own when it is
 * written again, and every other copy, in this pass or another replica's, a day later or after
 * a restart, finds it taken. PostgreSQL inserts the keys in key order, so concurrent claims never
 * deadlock; within one call the first claim of a key stands for the rest. Unless some key was
 * taken before, that is one plain insert and no answer to read.
 */
export async function claimForWriter(db: Db, claims: Claim[]): Promise<Set<string>> {
  const lost = new Set<string>();
  const hashes: string[] = [];
  const owners: string[] = [];
  const seen = new Set<string>();
  for (const c of claims) {
    const h = keyHash(c.key);
    if (seen.has(h)) {
      lost.add(c.owner);
      continue;
    }
    seen.add(h);
    hashes.push(h);
    owners.push(c.owner);
  }
  if (hashes.length === 0) return lost;
  const hashList = `{${hashes.join(',')}}`;
  const ownerList = `{${owners.join(',')}}`;
  // Optimistic: copies are rare, and a plain insert costs PostgreSQL about a third less than one
  // with `on conflict` (its speculative insertion). A key already held fails the statement as a
  // whole (nothing of it stays); then the keys are claimed one by one below.
  try {
    await db.execute(sql`
      insert into message_ids (hash, owner)
      select h, o from unnest(${hashList}::uuid[], ${ownerList}::uuid[]) as x(h, o) order by h`);
    return lost;
  } catch (error) {
    const cause = ((error as { cause?: { code?: unknown } }).cause ?? error) as { code?: unknown };
    if (cause.code !== '23505') throw error;
  }
  const { rows } = await db.execute<{ n: number }>(sql`
    with claimed as (
      insert into message_ids (hash, owner)
      select h, o from unnest(${hashList}::uuid[], ${ownerList}::uuid[]) as x(h, o)
      order by h
      on conflict do nothing
      returning 1
    ) select count(*)::int as n from claimed`);
  if (rows[0]?.n === hashes.length) return lost;
  // Some were taken before: by this very event, written before (a retry), or by another copy.
  const { rows: held } = await db.execute<{ hash: string; owner: string | null }>(sql`
    select replace(hash::text, '-', '') as hash, owner::text from message_ids
    where hash = any(${hashList}::uuid[])`);
  const holder = new Map(held.map((r) => [r.hash, r.owner]));
  for (const [i, h] of hashes.entries()) {
    if (holder.get(h) !== owners[i]) lost.add(owners[i]!);
  }
  // A later claim of a key in this call wins if it is the one that holds it.
  for (const c of claims) if (holder.get(keyHash(c.key)) === c.owner) lost.delete(c.owner);
  return lost;
}

/** Forgets ids received before `before` (DEDUP_DAYS). */
export async function pruneMessageIds(db: Db, before: Date) {
  await db.delete(messageIds).where(lt(messageIds.receivedAt, before));
}

/** The dedup key of a write-key message: one namespace for every key (rotating keeps it). */
export const segmentKey = (messageId: string) => `segment:${messageId}`;

/**
 * The dedup key of a `/track-event` item's `message_id`: per sender, so nobody can claim the id
 * of someone else's event and have it dropped.
 */
export const clientKey = (userId: string | null, anonymousId: string | null, messageId: string) =>
  `client:${userId ? `u:${userId}` : anonymousId ? `a:${anonymousId}` : '-'}:${messageId}`;
