import { and, desc, eq, gte, lt, type SQL, sql } from 'drizzle-orm';
import type { Executor } from '../db/index.ts';
import { auditEvents } from '../db/schema.ts';

export type AuditRow = typeof auditEvents.$inferSelect;
export type NewAuditRow = typeof auditEvents.$inferInsert;

export async function insertAuditEvent(db: Executor, row: NewAuditRow): Promise<void> {
  await db.insert(auditEvents).values(row);
}

/**
 * Many rows, in order, in one statement with one parameter (their JSON), however many: a round
 * trip per row, or drizzle's thousands of parameters, took seconds for a few thousand rows.
 */
export async function insertAuditEvents(db: Executor, rows: NewAuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = JSON.stringify(
    rows.map((row) => ({
      type: row.type,
      user_id: row.userId ?? null,
      actor_id: row.actorId ?? null,
      ip: row.ip ?? null,
      user_agent: row.userAgent ?? null,
      details: row.details ?? {},
    })),
  );
  await db.execute(sql`
    insert into ${auditEvents} (type, user_id, actor_id, ip, user_agent, details)
    select e->>'type', (e->>'user_id')::uuid, (e->>'actor_id')::uuid, e->>'ip',
           e->>'user_agent', e->'details'
      from jsonb_array_elements(${json}::jsonb) with ordinality as t(e, n)
     order by n`);
}

export interface AuditFilter {
  userId?: string;
  type?: string;
  from?: Date;
  to?: Date;
  /** Only ids below this one (the cursor). */
  before?: number;
  limit: number;
}

/** Newest first, by id: ids grow with time, and one column makes a stable cursor. */
export function findAuditEvents(db: Executor, filter: AuditFilter): Promise<AuditRow[]> {
  const conditions: (SQL | undefined)[] = [
    filter.userId ? eq(auditEvents.userId, filter.userId) : undefined,
    filter.type ? eq(auditEvents.type, filter.type) : undefined,
    filter.from ? gte(auditEvents.at, filter.from) : undefined,
    filter.to ? lt(auditEvents.at, filter.to) : undefined,
    filter.before !== undefined ? lt(auditEvents.id, filter.before) : undefined,
  ];
  return db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.id))
    .limit(filter.limit);
}

/**
 * Deletes up to `batch` events older than `days`. The append-only trigger lets a DELETE through
 * only for rows older than the retention announced in the same transaction, so both are here.
 */
export async function pruneAuditEvents(db: Executor, days: number, batch: number) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select set_config('audit.retention_days', ${String(days)}, true)`);
    const { rowCount } = await tx.execute(sql`
      delete from audit_events where id in (
        select id from audit_events where at < now() - make_interval(days => ${days})
        order by id limit ${batch})`);
    return rowCount ?? 0;
  });
}
