import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import { eventNames } from './tables.ts';

/** Every registered name (at most EVENT_NAMES_MAX, plus what concurrent replicas overshot). */
export async function loadEventNames(db: Db): Promise<string[]> {
  const rows = await db.select({ name: eventNames.name }).from(eventNames);
  return rows.map((r) => r.name);
}

export interface Registration {
  /** The names asked for that are registered now: they were before, or just were. */
  admitted: string[];
  /** The registry is at its cap: then `all` is every registered name (the caller learns them). */
  full: boolean;
  all: string[];
}

/**
 * In one statement: registers the names not registered yet, in the order given, while the
 * registry has room below `max`. Concurrent statements (other requests, other replicas) each
 * count the rows before their own inserts, so together they may overshoot `max` by what they
 * insert at once; a name another statement inserts meanwhile is taken as registered (the insert
 * waits for it and does nothing).
 */
export async function registerEventNames(
  db: Db,
  names: string[],
  max: number,
): Promise<Registration> {
  const { rows } = await db.execute<{
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
  const row = rows[0]!;
  return { admitted: row.admitted, full: row.full, all: row.every ?? [] };
}
