import { and, asc, desc, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { destinationDeliveries as deliveries } from './tables.ts';

export type Delivery = typeof deliveries.$inferSelect;
export type NewDelivery = Pick<
  typeof deliveries.$inferInsert,
  'destination' | 'eventId' | 'event' | 'payload'
>;

/** Same transaction as the accepted events; an event already queued for a destination stays once. */
export async function insertDeliveries(tx: Tx, rows: NewDelivery[]): Promise<void> {
  // Four parameters a row: chunks stay far below PostgreSQL's 65,535 per statement.
  for (let i = 0; i < rows.length; i += 2000) {
    await tx
      .insert(deliveries)
      .values(rows.slice(i, i + 2000))
      .onConflictDoNothing();
  }
}

/**
 * Takes up to `limit` due rows for the configured destinations and pushes their due time past the
 * attempt's timeout, so another worker (another replica) skips them; a worker that dies mid-send
 * leaves rows that fall due again when that lease runs out.
 */
export async function claimDue(
  db: Db | Tx,
  destinations: string[],
  limit: number,
  leaseMs: number,
): Promise<Delivery[]> {
  if (destinations.length === 0) return [];
  const due = db
    .select({ id: deliveries.id })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.status, 'pending'),
        sql`${deliveries.nextAttemptAt} <= now()`,
        inArray(deliveries.destination, destinations),
      ),
    )
    .orderBy(deliveries.nextAttemptAt)
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(deliveries)
    .set({ nextAttemptAt: sql`now() + ${`${leaseMs} milliseconds`}::interval` })
    .where(inArray(deliveries.id, due))
    .returning();
}

export async function deleteDelivered(db: Db, id: number): Promise<void> {
  await db.delete(deliveries).where(eq(deliveries.id, id));
}

/** Records a failed attempt: due again after `retryInMs`, or (null) dead. */
export async function recordFailure(
  db: Db,
  id: number,
  attempts: number,
  error: string,
  retryInMs: number | null,
): Promise<void> {
  await db
    .update(deliveries)
    .set({
      attempts,
      lastError: error.slice(0, 500),
      updatedAt: sql`now()`,
      ...(retryInMs === null
        ? { status: 'dead' as const }
        : { nextAttemptAt: sql`now() + ${`${Math.round(retryInMs)} milliseconds`}::interval` }),
    })
    .where(eq(deliveries.id, id));
}

export async function listDead(
  db: Db | Tx,
  options: { destination?: string | undefined; before?: number | undefined; limit: number },
): Promise<Delivery[]> {
  return db
    .select()
    .from(deliveries)
    .where(
      and(
        eq(deliveries.status, 'dead'),
        options.destination ? eq(deliveries.destination, options.destination) : undefined,
        options.before === undefined ? undefined : lt(deliveries.id, options.before),
      ),
    )
    .orderBy(desc(deliveries.id))
    .limit(options.limit);
}

/** Dead deliveries a replay revives per statement at most. */
const REVIVED_PER_STATEMENT = 5000;

/**
 * Dead again becomes pending with a fresh set of attempts, due now; resolves to how many. In id
 * order, `batch` at a time, each its own statement, the rows sorted before they are locked, as
 * the hourly deletion (deleteDeadBefore) and a forgetting sweep take them: a replay of every
 * dead letter locked them in the plan's order (the heap's, where most are dead), and met the
 * deletion each holding a row the other waited for. It read back every revived row, payload and
 * all, to count them: a receiver down for a day is millions (review).
 */
export async function revive(
  db: Db,
  where: { id?: number; destinations: string[] },
  batch = REVIVED_PER_STATEMENT,
): Promise<number> {
  if (where.destinations.length === 0) return 0;
  let revived = 0;
  for (let after = 0; ; ) {
    const rows = await db
      .update(deliveries)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
      .where(
        inArray(
          deliveries.id,
          db
            .select({ id: deliveries.id })
            .from(deliveries)
            .where(
              and(
                eq(deliveries.status, 'dead'),
                inArray(deliveries.destination, where.destinations),
                where.id === undefined ? undefined : eq(deliveries.id, where.id),
                gt(deliveries.id, after),
              ),
            )
            .orderBy(asc(deliveries.id))
            .limit(batch)
            .for('update'),
        ),
      )
      .returning({ id: deliveries.id });
    revived += rows.length;
    // Past the last revived: one that dies again meanwhile is not revived twice by one replay.
    if (rows.length < batch) return revived;
    after = rows.reduce((last, r) => Math.max(last, r.id), after);
  }
}

/** Dead deliveries the hourly clean-up deletes per statement at most. */
const PRUNED_PER_STATEMENT = 5000;

/**
 * Deletes dead deliveries last tried before `before`, their rows locked in id order, as a
 * forgetting pass's sweep takes them (forget.ts unlinkDeliveries, by id ranges): in another order
 * the two could each hold a row the other waited for. Sorted before they are locked, whatever the
 * plan: the partial index of dead ids gave that order only while the dead were few — where most
 * of the table is dead (a receiver down for a day), the planner scans the heap, in no id order
 * (test retention-prune). `batch` at a time, each its own statement: millions of them in one
 * ran past the statement timeout, undone whole every hour.
 */
export async function deleteDeadBefore(
  db: Db,
  before: Date,
  batch = PRUNED_PER_STATEMENT,
): Promise<void> {
  for (;;) {
    const gone = await db.delete(deliveries).where(
      inArray(
        deliveries.id,
        db
          .select({ id: deliveries.id })
          .from(deliveries)
          .where(and(eq(deliveries.status, 'dead'), lt(deliveries.updatedAt, before)))
          .orderBy(asc(deliveries.id))
          .limit(batch)
          .for('update'),
      ),
    );
    // The limit counts the rows locked (one revived meanwhile is passed over): a short batch is
    // the last.
    if ((gone.rowCount ?? 0) < batch) return;
  }
}

export async function findById(db: Db, id: number): Promise<Delivery | undefined> {
  const [row] = await db.select().from(deliveries).where(eq(deliveries.id, id));
  return row;
}

/** Pending and dead counts per destination, for the admin listing and the dashboard. */
export async function countsByDestination(db: Db) {
  return db
    .select({
      destination: deliveries.destination,
      pending: sql<number>`count(*) filter (where ${deliveries.status} = 'pending')`.mapWith(
        Number,
      ),
      dead: sql<number>`count(*) filter (where ${deliveries.status} = 'dead')`.mapWith(Number),
    })
    .from(deliveries)
    .groupBy(deliveries.destination);
}
