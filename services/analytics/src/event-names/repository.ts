import { hasSqlState } from '@platform/db';
import { DomainError } from '@platform/http';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { eventNames } from './tables.ts';

/**
 * Whose budget a name came from: `trusted` (server write keys, admins) or `public` (anyone).
 * Null: registered before the budgets existed, counted as public.
 */
export type Budget = 'trusted' | 'public';
export type RegisteredName = { name: string; registeredBy: Budget | null };

/** Every registered name (at most EVENT_NAMES_MAX). */
export async function loadEventNames(db: Db): Promise<RegisteredName[]> {
  return db
    .select({ name: eventNames.name, registeredBy: eventNames.registeredBy })
    .from(eventNames);
}

export interface ListedName extends RegisteredName {
  firstSeen: Date;
}

/**
 * A page of registered names in name order, after `after` (the previous page's last); with
 * `budget`, only that budget's (`public`: those counted in the public share).
 */
export async function listEventNames(
  db: Db,
  page: { after?: string | undefined; limit: number; budget?: Budget | undefined },
): Promise<ListedName[]> {
  const conditions = [
    page.after === undefined ? undefined : gt(eventNames.name, page.after),
    page.budget === undefined
      ? undefined
      : page.budget === 'trusted'
        ? eq(eventNames.registeredBy, 'trusted')
        : sql`${eventNames.registeredBy} is distinct from 'trusted'`,
  ];
  return db
    .select({
      name: eventNames.name,
      registeredBy: eventNames.registeredBy,
      firstSeen: eventNames.firstSeen,
    })
    .from(eventNames)
    .where(and(...conditions))
    .orderBy(asc(eventNames.name))
    .limit(page.limit);
}

/** How many names are registered, and how many of them count in the public share. */
export async function countEventNames(db: Db): Promise<{ registered: number; public: number }> {
  const { rows } = await db.execute<{ registered: number; public: number }>(sql`
    select count(*)::int as registered,
      (count(*) filter (where registered_by is distinct from 'trusted'))::int as public
    from event_names`);
  return rows[0]!;
}

/** Counts a registered name as trusted (an admin vouched for it); its row, or none. */
export async function markTrusted(db: Db, name: string): Promise<ListedName | undefined> {
  const [row] = await db
    .update(eventNames)
    .set({ registeredBy: 'trusted' })
    .where(eq(eventNames.name, name))
    .returning({
      name: eventNames.name,
      registeredBy: eventNames.registeredBy,
      firstSeen: eventNames.firstSeen,
    });
  return row;
}

/** Unregisters a name; false when it was not registered. */
export async function deleteEventName(db: Db, name: string): Promise<boolean> {
  const rows = await db
    .delete(eventNames)
    .where(eq(eventNames.name, name))
    .returning({ name: eventNames.name });
  return rows.length > 0;
}

/** The advisory lock key of registrations (any constant this database uses for nothing else). */
const REGISTRY_LOCK = 0x65766e74; // "evnt"

export interface Registration {
  /** The names asked for that are registered now: they were before, or just were. */
  admitted: RegisteredName[];
  /** The registry is at EVENT_NAMES_MAX: no budget can register a name. */
  full: boolean;
  /** Names registered after this statement, all and in the public share. */
  counts: { registered: number; public: number };
  /** The public names are at EVENT_NAMES_PUBLIC_MAX: a public sender cannot register a name. */
  publicFull: boolean;
  /** When either is full: every registered name (the caller learns them); else empty. */
  all: RegisteredName[];
}

export interface Limits {
  /** EVENT_NAMES_MAX: all names together. */
  max: number;
  /** EVENT_NAMES_PUBLIC_MAX: names registered by public senders (and those of unknown origin). */
  publicMax: number;
}

/**
 * Registers the names not registered yet as `budget`'s — all of them, or none when they do not
 * all fit: the registry has room for them below `max`, and, for the public budget, the names not
 * registered by a trusted sender stay within `publicMax` (public senders can never take the room
 * kept for trusted ones, `max - publicMax`). A request refused for one name thus registers none
 * of its others, whose room would go to events never kept. A name registered by either is
 * admitted for everyone. Registrations of all replicas take one transaction-level advisory lock
 * first, so each counts what the one before it committed and together they never pass `max` (a
 * Segment batch can bring thousands of new names at once: counted without the lock, R replicas
 * could end near R × max). Registering is rare — a known name never gets here — so one lock
 * costs nothing.
 */
export async function registerEventNames(
  db: Db,
  names: string[],
  limits: Limits,
  budget: Budget,
): Promise<Registration> {
  const { max, publicMax } = limits;
  // The room this budget has: the whole registry's for trusted senders, also the public share's
  // for public ones.
  const isPublic = budget === 'public';
  const { rows } = await db
    .transaction(async (tx) => {
      // Held for milliseconds by each registration; a wait this long means something is stuck,
      // and the request gets a 503 to retry rather than waiting out the statement timeout.
      await tx.execute(sql`set local lock_timeout = '2s'`);
      await tx.execute(sql`select pg_advisory_xact_lock(${REGISTRY_LOCK})`);
      return tx.execute<{
        admitted: [string, Budget | null][];
        full: boolean;
        public_full: boolean;
        registered: number;
        public_count: number;
        every: [string, Budget | null][] | null;
      }>(sql`
    with wanted as (
      select name, i
      from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) with ordinality as w(name, i)
    ), taken as (
      select count(*)::int as n,
        (count(*) filter (where registered_by is distinct from 'trusted'))::int as p
      from event_names
    ), known as (
      select e.name, e.registered_by from event_names e join wanted w on w.name = e.name
    ), candidates as (
      select w.name from wanted w
      where not exists (select 1 from known k where k.name = w.name)
    ), fresh as (
      -- All of them or none: a request refused for one name keeps nothing, its other new names'
      -- registrations included, so the room stays for requests that fit.
      select name from candidates
      where (select count(*) from candidates) <= least(
        ${max}::int - (select n from taken),
        case when ${isPublic}::boolean
          then ${publicMax}::int - (select p from taken)
          else ${max}::int
        end
      )
    ), inserted as (
      insert into event_names (name, registered_by) select name, ${budget}::text from fresh
      on conflict do nothing
    ), fresh_pairs as (
      select coalesce(jsonb_agg(jsonb_build_array(name, ${budget}::text)), '[]'::jsonb) as pairs
      from fresh
    ), state as (
      select (select n from taken) + (select count(*) from fresh)::int as registered,
        (select p from taken)
          + case when ${isPublic}::boolean then (select count(*) from fresh)::int else 0 end
          as public_count,
        (select n from taken) + (select count(*) from fresh) >= ${max}::int as at_cap,
        (select p from taken)
          + case when ${isPublic}::boolean then (select count(*) from fresh) else 0 end
          >= ${publicMax}::int as public_at_cap
    )
    select
      (select coalesce(jsonb_agg(jsonb_build_array(name, registered_by)), '[]'::jsonb) from known)
        || (select pairs from fresh_pairs) as admitted,
      (select at_cap from state) as full,
      (select public_at_cap from state) as public_full,
      (select registered from state) as registered,
      (select public_count from state) as public_count,
      -- The table as this statement saw it (without its own inserts), and those.
      case when (select at_cap or public_at_cap from state) then
        (select coalesce(jsonb_agg(jsonb_build_array(name, registered_by)), '[]'::jsonb)
          from event_names)
        || (select pairs from fresh_pairs)
      end as every`);
    })
    .catch((error: unknown) => {
      // lock_not_available: the lock_timeout above ran out.
      if (hasSqlState(error, '55P03')) {
        throw new DomainError(
          'service_unavailable',
          'New event names are being registered by another request; retry shortly.',
          { retryAfterSeconds: 2, cause: error },
        );
      }
      throw error;
    });
  const row = rows[0]!;
  const pairs = (list: [string, Budget | null][]) =>
    list.map(([name, registeredBy]) => ({ name, registeredBy }));
  return {
    admitted: pairs(row.admitted),
    full: row.full,
    publicFull: row.public_full,
    counts: { registered: row.registered, public: row.public_count },
    all: pairs(row.every ?? []),
  };
}
