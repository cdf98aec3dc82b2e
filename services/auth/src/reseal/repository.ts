import { sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';

/** Every column that holds a sealed value, with its table's key (fixed names, never input). */
export const SEALED_COLUMNS = {
  signing_keys: { id: 'kid', sealed: 'private_key_sealed' },
  totp_factors: { id: 'user_id', sealed: 'secret_sealed' },
} as const;

export type SealedTable = keyof typeof SEALED_COLUMNS;

export interface SealedRow {
  id: string;
  sealed: string;
}

const names = (table: SealedTable) => ({
  table: sql.identifier(table),
  id: sql.identifier(SEALED_COLUMNS[table].id),
  sealed: sql.identifier(SEALED_COLUMNS[table].sealed),
});

/** Up to `limit` rows after `after` in primary-key order (an index scan) not sealed under `prefix`. */
export async function sealedNotUnder(
  db: Executor,
  table: SealedTable,
  prefix: string,
  after: string | undefined,
  limit: number,
): Promise<SealedRow[]> {
  const n = names(table);
  const result = await db.execute<{ id: string; sealed: string }>(sql`
    select ${n.id}::text as id, ${n.sealed} as sealed from ${n.table}
    where ${n.sealed} is not null and not starts_with(${n.sealed}, ${prefix})
      ${after === undefined ? sql`` : sql`and ${n.id} > ${after}`}
    order by ${n.id} limit ${limit}`);
  return result.rows;
}

/**
 * Compare-and-set: replaces the value only if it is still `from`, so a replica re-sealing the
 * same row, or a user replacing their secret meanwhile, is never overwritten. No lock is held.
 */
export async function replaceSealed(
  db: Executor,
  table: SealedTable,
  id: string,
  from: string,
  to: string,
): Promise<boolean> {
  const n = names(table);
  const result = await db.execute(sql`
    update ${n.table} set ${n.sealed} = ${to}
    where ${n.id} = ${id} and ${n.sealed} = ${from}`);
  return result.rowCount === 1;
}

/** How many values of `table` are not sealed under `prefix`. */
export async function countNotUnder(
  db: Executor,
  table: SealedTable,
  prefix: string,
): Promise<number> {
  const n = names(table);
  const result = await db.execute<{ count: string }>(sql`
    select count(*) as count from ${n.table}
    where ${n.sealed} is not null and not starts_with(${n.sealed}, ${prefix})`);
  return Number(result.rows[0]?.count ?? 0);
}
