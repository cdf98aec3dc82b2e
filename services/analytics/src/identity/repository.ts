import { and, asc, desc, eq, inArray, not, type SQL, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { forgottenIdentities, forgottenUsers } from '../db/schema.ts';
import { identityLinks, profiles } from './tables.ts';

export interface ProfileUpdate {
  userId: string;
  /** Traits of the batch's identify calls for this user, merged oldest first; {} if none. */
  traits: Record<string, unknown>;
  /** Time of the latest identify among them; null when there was none. */
  traitsAt: string | null;
  firstSeen: string;
  lastSeen: string;
}

export interface Link {
  anonymousId: string;
  userId: string;
  via: 'identify' | 'alias';
  messageId: string | null;
  /** Made by a server write key; a browser key's link yields to one (tables.ts). */
  trusted: boolean;
}

/**
 * The most a profile's merged traits keep, as JSON text (Segment's limit for one identify is
 * 32 KB). Without it each identify with new keys grew the row for good: a sender naming one user
 * grew it by 450 KB a request, every later upsert of that user rewrote all of it, `GET
 * /profiles` answered megabytes, and past jsonb's 256 MB every batch naming the user failed.
 */
export const MAX_TRAITS_BYTES = 64 * 1024;

/**
 * Upserts profiles: traits of a newer identify win over stored ones, of an older one only fill
 * gaps; first and last seen widen. A merge beyond MAX_TRAITS_BYTES keeps the newer side alone
 * (a newer identify's traits replace the stored ones; an older one's are dropped). Rows in key
 * order, so concurrent batches never deadlock.
 */
export async function upsertProfiles(tx: Tx, updates: ProfileUpdate[]) {
  if (updates.length === 0) return;
  const sorted = [...updates].sort((a, b) => (a.userId < b.userId ? -1 : 1));
  const fits = (merged: SQL) => sql`octet_length((${merged})::text) <= ${MAX_TRAITS_BYTES}`;
  await tx.execute(sql`
    insert into profiles as p (user_id, traits, traits_at, first_seen, last_seen)
    select "userId", traits, "traitsAt", "firstSeen", "lastSeen"
    from jsonb_to_recordset(${JSON.stringify(sorted)}::jsonb) as x("userId" text, traits jsonb,
      "traitsAt" timestamptz, "firstSeen" timestamptz, "lastSeen" timestamptz)
    order by "userId"
    on conflict (user_id) do update set
      traits = case when excluded.traits_at is null then p.traits
        when p.traits_at is null or excluded.traits_at >= p.traits_at then
          case when ${fits(sql`p.traits || excluded.traits`)} then p.traits || excluded.traits
            else excluded.traits end
        when ${fits(sql`excluded.traits || p.traits`)} then excluded.traits || p.traits
        else p.traits end,
      traits_at = greatest(p.traits_at, excluded.traits_at),
      first_seen = least(p.first_seen, excluded.first_seen),
      last_seen = greatest(p.last_seen, excluded.last_seen)`);
}

/**
 * The most links browser keys (untrusted) may make to one user: what `/user-activity`, the
 * profile and the reports read of a user (`anonymousIdsOf`'s limit). Without it a page linked
 * any number of made-up anonymous ids to a user with the public key, each a row that every read
 * of that user went through.
 */
export const MAX_PUBLIC_LINKS_PER_USER = 1000;

/** Classid of the per-user advisory locks of browser keys' links (two-key space: no other use). */
const PUBLIC_LINKS_LOCK = 0x6c696e6b;

/**
 * Links anonymous ids to users; an id already linked keeps its first user (idempotent). A browser
 * key's links past MAX_PUBLIC_LINKS_PER_USER new ones for a user are left out, quietly: the
 * messages are stored (their events stay under their anonymous id, unstitched), so a Segment
 * client's batch is not refused, and dropped, for them.
 */
export async function insertLinks(tx: Tx, all: Link[], publicMax = MAX_PUBLIC_LINKS_PER_USER) {
  const links = await withinPublicRoom(tx, all, publicMax);
  if (links.length === 0) return;
  // Byte order, as `collate "C"` sorts them where a deletion locks links (forgetUsers).
  const sorted = [...links].sort((a, b) =>
    Buffer.compare(Buffer.from(a.anonymousId), Buffer.from(b.anonymousId)),
  );
  // The first link wins, except that a server key's replaces a browser key's: a public key
  // cannot claim an anonymous id ahead of the backend that knows who signed in.
  await tx
    .insert(identityLinks)
    .values(sorted)
    .onConflictDoUpdate({
      target: identityLinks.anonymousId,
      set: {
        userId: sql`excluded.user_id`,
        via: sql`excluded.via`,
        messageId: sql`excluded.message_id`,
        linkedAt: sql`now()`,
        trusted: true,
      },
      where: sql`not ${identityLinks.trusted} and excluded.trusted`,
    });
}

/**
 * The links to keep: every server key's; a browser key's to an anonymous id already linked (it
 * changes nothing) and, per user, as many new ones as the user has room for under `max`. Under a
 * per-user lock, taken in one order by every batch, so concurrent batches of a page cannot each
 * count the same room; a server key's link or another user's taking one of the ids meanwhile
 * only leaves room unused.
 */
async function withinPublicRoom(tx: Tx, links: Link[], max: number): Promise<Link[]> {
  const untrusted = links.filter((l) => !l.trusted);
  if (untrusted.length === 0) return links;
  const users = [...new Set(untrusted.map((l) => l.userId))];
  await tx.execute(sql`
    select pg_advisory_xact_lock(${PUBLIC_LINKS_LOCK}, h)
    from (select distinct hashtext(u) as h from unnest(${sql.param(users)}::text[]) as u order by h) as s`);
  const ids = untrusted.map((l) => l.anonymousId);
  const counted = await tx
    .select({ userId: identityLinks.userId, n: sql<number>`count(*)::int` })
    .from(identityLinks)
    .where(and(inArray(identityLinks.userId, users), not(identityLinks.trusted)))
    .groupBy(identityLinks.userId);
  const existing = await tx
    .select({ id: identityLinks.anonymousId })
    .from(identityLinks)
    .where(inArray(identityLinks.anonymousId, ids));
  const room = new Map(users.map((u) => [u, max]));
  for (const c of counted) room.set(c.userId, max - c.n);
  const linked = new Set(existing.map((r) => r.id));
  return links.filter((l) => {
    if (l.trusted || linked.has(l.anonymousId)) return true;
    const left = room.get(l.userId)!;
    room.set(l.userId, left - 1);
    return left > 0;
  });
}

/**
 * The anonymous ids linked to a user (at most `limit`): a server key's links first, then a
 * browser key's, oldest link first within each. A browser key is public: oldest first alone, a
 * page that linked `limit` made-up ids to a user ahead of the backend pushed every link the
 * backend made later out of what the user's activity and profile read.
 */
export async function anonymousIdsOf(db: Db, userId: string, limit = 1000): Promise<string[]> {
  const rows = await db
    .select({ id: identityLinks.anonymousId })
    .from(identityLinks)
    .where(eq(identityLinks.userId, userId))
    .orderBy(
      desc(identityLinks.trusted),
      asc(identityLinks.linkedAt),
      asc(identityLinks.anonymousId),
    )
    .limit(limit);
  return rows.map((r) => r.id);
}

/** Which user each of these anonymous ids is linked to (those linked at all). */
export async function usersOf(db: Db, anonymousIds: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const unique = [...new Set(anonymousIds)];
  for (let i = 0; i < unique.length; i += 10_000) {
    const rows = await db
      .select({ anonymousId: identityLinks.anonymousId, userId: identityLinks.userId })
      .from(identityLinks)
      .where(inArray(identityLinks.anonymousId, unique.slice(i, i + 10_000)));
    for (const r of rows) found.set(r.anonymousId, r.userId);
  }
  return found;
}

export async function profileOf(db: Db, userId: string) {
  const [row] = await db.select().from(profiles).where(eq(profiles.userId, userId));
  return row;
}

const UUID = /^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$/i;

/**
 * A deleted user's id as the forgetting tables note it (forgotten_users, forgotten_identities)
 * and as they are looked up: a UUID in lower case, any other id as written — as its rows are
 * removed (forgetUsers). Lower-cased at lookup only, a non-UUID id noted in mixed case (a
 * removal the user.deleted handler left) was never found.
 */
export const notedId = (userId: string) => (UUID.test(userId) ? userId.toLowerCase() : userId);

/**
 * Whether the account was deleted: its events may still name it until they are unlinked. A
 * UUID in any case, as noted (notedId; ingestion/forget.ts rememberDeletions notes UUIDs only).
 * Also once the mapping is gone while the final removal of its profile and links is pending
 * (forgotten_identities, noted in the mapping's deletion, deleted with the removal): an
 * identify during the grace time made a profile again, with traits, and it was answered
 * between the two, for as long as the removal kept failing.
 */
export async function isForgotten(db: Db, userId: string): Promise<boolean> {
  const id = notedId(userId);
  const rows = await db
    .select({ userId: forgottenUsers.userId })
    .from(forgottenUsers)
    .where(eq(forgottenUsers.userId, id))
    .unionAll(
      db
        .select({ userId: forgottenIdentities.userId })
        .from(forgottenIdentities)
        .where(eq(forgottenIdentities.userId, id)),
    );
  return rows.length > 0;
}

/**
 * Deleted accounts: their links and profiles go (their events are the store's to unlink). In
 * the order a batch takes them (`insertLinks`, then `upsertProfiles`): the links, locked in
 * anonymous-id order, then the profiles, in user-id order. A batch's links lock the rows they
 * meet (a server key's may replace a browser key's: ON CONFLICT DO UPDATE); removing a profile
 * first and then its links, a deletion held the profile a batch relinking that user's anonymous
 * ids waited for, and waited for a link the batch held (40P01: a 500 for one of them).
 */
export async function forgetUsers(tx: Tx, userIds: string[]) {
  if (userIds.length === 0) return;
  // And a link of the user's id as an anonymous id, whoever it links to: clients often send the
  // signed-in user's id as theirs (some SDKs after `identify`), and one linked to another user
  // kept the id, listed in their profile (the stores rewrite it in events to the pseudonym, so
  // such a link stitches nothing any more).
  const links = sql`(${named(identityLinks.userId, userIds)} or ${named(identityLinks.anonymousId, userIds)})`;
  const owners = named(profiles.userId, userIds);
  await tx
    .select({ id: identityLinks.anonymousId })
    .from(identityLinks)
    .where(links)
    .orderBy(sql`${identityLinks.anonymousId} collate "C"`)
    .for('update');
  await tx.delete(identityLinks).where(links);
  await tx
    .select({ id: profiles.userId })
    .from(profiles)
    .where(owners)
    .orderBy(asc(profiles.userId))
    .for('update');
  await tx.delete(profiles).where(owners);
}

/**
 * Rows whose user id (or anonymous id) is one of these: a UUID (auth's ids) in any case, since
 * a Segment backend may send it upper-cased and it is stored as sent (by `lower()`'s index,
 * migrations 0020 and 0023); any other id as written (as identity/service.ts isOwnUserId reads
 * ids).
 */
function named(
  column: typeof profiles.userId | typeof identityLinks.userId | typeof identityLinks.anonymousId,
  userIds: string[],
) {
  const uuids = userIds.filter((id) => UUID.test(id)).map((id) => id.toLowerCase());
  const others = userIds.filter((id) => !UUID.test(id));
  const cased = sql`lower(${column}) = any(${sql.param(uuids)}::text[])`;
  if (others.length === 0) return cased;
  const exact = inArray(column, others);
  return uuids.length === 0 ? exact : sql`(${cased} or ${exact})`;
}
