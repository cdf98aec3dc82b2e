import { hasSqlState } from '@platform/db';
import { DomainError } from '@platform/http';
import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { eventNames } from './tables.ts';

/** Every registered name (at most EVENT_NAMES_MAX). */
export async function loadEventNames(db: Db): Promise<string[]> {
  const rows = await db.select({ name: eventNames.name }).from(eventNames);
  return rows.map((r) => r.name);
}

/** The advisory lock key of registrations (any constant this database uses for nothing else). */
const REGISTRY_LOCK = 0x65766e74; // "evnt"

export interface Registration {
  /** The names asked for that are registered now: they were before, or just were. */
  admitted: string[];
  /** The registry is at its cap: then `all` is every registered name (the caller learns them). */
  full: boolean;
  all: string[];
}

/**
 * Registers the names not registered yet, in the order given, while the registry has room below
 * `max`. Registrations of all replicas take one transaction-level advisory lock first, so each
 * counts what the one before it committed and together they never pass `max` (a Segment batch
 * can bring thousands of new names at once: counted without the lock, R replicas could end near
 * R × max). Registering is rare — a known name never gets here — so one lock costs nothing.
 */
export async function registerEventNames(
  db: Db,
  names: string[],
  max: number,
): Promise<Registration> {
  const { rows } = await db
    .transaction(async (tx) => {
      // Held for milliseconds by each registration; a wait this long means something is stuck,
      // and the request gets a 503 to retry rather than waiting out the statement timeout.
      await tx.execute(sql`set local lock_timeout = '2s'`);
      await tx.execute(sql`select pg_advisory_xact_lock(${REGISTRY_LOCK})`);
      return tx.execute<{
        admitted: string[];
        full: boolean;
        every: string[] | null;
      }>(sql`
    with wanted as (
      select name, i
      from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) with ordinality as w(name, i)
    ), taken as (
      select count(*)::int as n from event_names
    ), known as (
      select e.name from event_names e join wanted w on w.name = e.name
    ), fresh as (
      select w.name from wanted w
      where not exists (select 1 from known k where k.name = w.name)
      order by w.i
      limit greatest(${max}::int - (select n from taken), 0)
    ), inserted as (
      insert into event_names (name) select name from fresh on conflict do nothing
    ), state as (
      select (select n from taken) + (select count(*) from fresh) >= ${max}::int as at_cap
    )
    select
      array(select name from known union all select name from fresh) as admitted,
      (select at_cap from state) as full,
      case when (select at_cap from state) then array(select name from event_names) end as every`);
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
  return { admitted: row.admitted, full: row.full, all: row.every ?? [] };
}
