// The final forgetting pass's lock on destination_deliveries (forget.ts): asked for a short try
// at a time, telling a busy table, a stuck transaction and an autovacuum worker apart.
import { setTimeout as sleep } from 'node:timers/promises';
import { hasSqlState } from '@platform/db';
import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/index.ts';
import { lockTimeout, rootMessage } from '../db/lock-waits.ts';

/**
 * The final pass asks for the table's lock this long at a time, and pauses as long between two
 * tries. PostgreSQL grants a table's locks in turn, so every write of deliveries (a request
 * accepting events with destinations, the worker's claims) queues behind a lock request that
 * waits, each holding a connection of the pool: a transaction writing deliveries that stayed
 * open (stuck) held them all for the whole 5 s, and under load every connection of the pool
 * (20) was a request waiting, stalling the rest (reports, health, the writer). Now a write
 * waits one try at most (and the rewrite under the lock, a small tail), and the pause lets the
 * writes queued behind a try through (a busy table rather than a stuck one: withTableLock).
 * Rather than a short lock wait for the requests themselves: the lock is the pass's, so
 * bounding it there covers every writer, and no request fails for it.
 */
export const FINAL_LOCK_TRY_MS = 200;

/**
 * A transaction holding the table, as the pass tells them apart: `transaction`, a client's
 * (stuck if seen at every pause); `autovacuum`, an autovacuum worker, which PostgreSQL cancels
 * once a conflicting lock request has waited `deadlock_timeout`; `wraparound`, one vacuuming to
 * prevent transaction id wraparound, which it never cancels.
 */
export interface Holder {
  vxid: string;
  kind: 'transaction' | 'autovacuum' | 'wraparound';
}

/** A row of the holders' query: pg_locks joined with pg_stat_activity on the pid. */
// A type, not an interface: db.execute's rows are records.
export type HolderRow = {
  vxid: string;
  pid: number | null;
  /** Whether pg_stat_activity has a row for the lock's pid (none: a prepared transaction). */
  active: boolean;
  /** Null when the role may not see it (neither superuser nor pg_read_all_stats). */
  backend_type: string | null;
  /** Whether the backend runs as a user (an autovacuum worker has none; this everyone sees). */
  has_user: boolean;
  query: string | null;
};

/**
 * Which kind of holder each row is. An autovacuum worker is `backend_type = 'autovacuum
 * worker'`, or, for a role that may not see backend_type (it is nulled like the query for
 * sessions of other users), a backend with no user: the other processes without one (the
 * checkpointer, the WAL writer, …) take no lock on a table. Its query is `autovacuum: VACUUM
 * … (to prevent wraparound)` when it vacuums to prevent wraparound (PostgreSQL's docs, routine
 * vacuuming); a role that cannot read it learns it from the worker outliving a try past
 * deadlock_timeout (withTableLock).
 */
export function classify(rows: HolderRow[]): Holder[] {
  const byVxid = new Map<string, Holder>();
  for (const row of rows) {
    const worker =
      row.active &&
      (row.backend_type === 'autovacuum worker' || (row.backend_type === null && !row.has_user));
    const kind = !worker
      ? 'transaction'
      : /\(to prevent wraparound\)\s*$/.test(row.query ?? '')
        ? 'wraparound'
        : 'autovacuum';
    byVxid.set(row.vxid, { vxid: row.vxid, kind });
  }
  return [...byVxid.values()];
}

/**
 * The transactions (virtual ids, which pg_locks shows whoever owns them) holding a lock on
 * destination_deliveries that the final pass's locks wait for: any but ACCESS SHARE (reads) and
 * ROW SHARE (SELECT FOR UPDATE without a write); with the server's deadlock_timeout.
 */
export async function readHolders(db: Db): Promise<{ rows: HolderRow[]; deadlockMs: number }> {
  const { rows } = await db.execute<HolderRow & { deadlock_ms: number }>(sql`
    select l.virtualtransaction as vxid, l.pid, a.pid is not null as active, a.backend_type,
      a.usesysid is not null as has_user, a.query,
      (select setting::int from pg_settings where name = 'deadlock_timeout') as deadlock_ms
    from pg_locks l left join pg_stat_activity a on a.pid = l.pid
    where l.locktype = 'relation' and l.granted and l.pid is distinct from pg_backend_pid()
      and l.database = (select oid from pg_database where datname = current_database())
      and l.relation = 'destination_deliveries'::regclass
      and l.mode not in ('AccessShareLock', 'RowShareLock')`);
  const deadlockMs = rows[0]?.deadlock_ms ?? (await deadlockTimeout(db));
  return { rows, deadlockMs };
}

async function deadlockTimeout(db: Db): Promise<number> {
  const { rows } = await db.execute<{ ms: number }>(
    sql`select setting::int as ms from pg_settings where name = 'deadlock_timeout'`,
  );
  return rows[0]?.ms ?? 1000;
}

/**
 * A lock wait in withTableLock's work, once the table's lock is held, that ran out: a row (or
 * another table) some other transaction holds — a stuck one holding a user's mapping row, say.
 * Not the table busy: taking the table again frees no row, so the pass fails at once and the
 * next tick tries again; its own code, so the forgetting worker does not take it for
 * lock_not_available on destination_deliveries (ingestion/forget.ts deliveriesHeld).
 */
export class WorkLockTimeout extends Error {
  readonly code = 'work_lock_timeout';
  constructor(cause: unknown) {
    super(
      `a lock wait under destination_deliveries' lock ran out (a row another transaction holds): ${rootMessage(cause)}`,
      { cause },
    );
    this.name = 'WorkLockTimeout';
  }
}

/**
 * `work` in a transaction that first takes destination_deliveries in `mode`, asking
 * FINAL_LOCK_TRY_MS at a time for `budgetMs` at most; then lock_not_available (55P03). Once the
 * lock is held, each of the work's own lock waits gets one try, then WorkLockTimeout.
 *
 * Unless the table is busy rather than stuck: a try is granted only if every transaction holding
 * the table ends within it, so transactions writing deliveries that each stay open longer than a
 * try (a writer handing thousands over, a large internal batch), one after another, failed every
 * try and every pass — the mapping never went, although a longer wait is granted as soon as the
 * holders of the moment end (later writes queue behind it). So after each failed try, the
 * transactions holding the table are noted; once none has been seen at every pause (two at
 * least), none is stuck, and the next try asks for the rest of `budgetMs`. One stuck holds
 * every try short.
 *
 * An autovacuum worker on the table (SHARE UPDATE EXCLUSIVE, which both modes conflict with) is
 * no stuck transaction: PostgreSQL cancels one that blocks a lock request once the request has
 * waited deadlock_timeout (1 s by default; proc.c ProcSleep), which a 200 ms try never does — the
 * worker stayed the same holder at every pause and the pass failed after 5 s, for as long as the
 * vacuum ran (a large table's, minutes). So when no client transaction is stuck and a worker
 * holds the table, the next try waits deadlock_timeout and a try more (past `budgetMs` if need
 * be: the worker is gone then), and PostgreSQL cancels the worker. Except one vacuuming to
 * prevent wraparound, which it never cancels: it counts as stuck (the pass fails and tries again
 * after a pause; waiting it out would hold every write of deliveries up for as long), as does a
 * worker still holding the table after such a try, and any worker when deadlock_timeout and a
 * try are more than `budgetMs` (that try alone would hold writes up past the budget).
 */
export async function withTableLock<T>(
  db: Db,
  mode: 'share' | 'share row exclusive',
  budgetMs: number,
  work: (tx: Tx) => Promise<T>,
  holders: (db: Db) => Promise<{ rows: HolderRow[]; deadlockMs: number }> = readHolders,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  const lock =
    mode === 'share'
      ? sql`lock table destination_deliveries in share mode`
      : sql`lock table destination_deliveries in share row exclusive mode`;
  /** Client transactions seen holding the table at every pause so far, and how many pauses. */
  let held = new Set<string>();
  let pauses = 0;
  /** The next try's wait; undefined: a short one. */
  let waitMs: number | undefined;
  /** Autovacuum workers the last try waited past deadlock_timeout for (to be cancelled). */
  let cancelling = new Set<string>();
  /** Workers that outlived such a try: PostgreSQL does not cancel them (wraparound). */
  const lasting = new Set<string>();
  for (;;) {
    let granted = false;
    try {
      return await db.transaction(async (tx) => {
        const left = deadline - Date.now();
        await tx.execute(lockTimeout(waitMs ?? Math.min(FINAL_LOCK_TRY_MS, left)));
        await tx.execute(lock);
        granted = true;
        // The try's lock_timeout stayed set for the work: a row lock it waited for past it came
        // back as lock_not_available, taken for the table busy (the work ran again at each try,
        // the last waiting the rest of the budget with every write of deliveries held off, then
        // the final passes paused). The work's own waits get one try: writes of deliveries
        // queue behind the table's lock meanwhile, as behind a try (not 0, which left them to
        // the statement timeout, a minute).
        await tx.execute(lockTimeout(FINAL_LOCK_TRY_MS));
        return work(tx);
      });
    } catch (error) {
      if (granted) throw hasSqlState(error, '55P03') ? new WorkLockTimeout(error) : error;
      if (!hasSqlState(error, '55P03') || Date.now() + FINAL_LOCK_TRY_MS >= deadline) throw error;
      await sleep(FINAL_LOCK_TRY_MS);
      const { rows, deadlockMs } = await holders(db);
      const now = classify(rows);
      for (const h of now) if (cancelling.has(h.vxid)) lasting.add(h.vxid);
      const clients = new Set(now.filter((h) => h.kind === 'transaction').map((h) => h.vxid));
      held = pauses++ === 0 ? clients : new Set([...held].filter((h) => clients.has(h)));
      // A deadlock_timeout longer than a try and the budget (a server setting, raised on busy
      // servers): waiting it out would hold every write of deliveries up past the bound the
      // budget sets; the workers count as stuck then, as before they were told apart.
      const waitable = deadlockMs + FINAL_LOCK_TRY_MS <= budgetMs;
      const workers = now.filter(
        (h) => h.kind === 'autovacuum' && !lasting.has(h.vxid) && waitable,
      );
      const stuck =
        held.size > 0 ||
        now.some(
          (h) =>
            h.kind === 'wraparound' ||
            lasting.has(h.vxid) ||
            (h.kind === 'autovacuum' && !waitable),
        );
      const busy = !stuck && pauses >= 2;
      const onlyWorkers = !stuck && clients.size === 0 && workers.length > 0;
      const cancel = busy || onlyWorkers ? workers : [];
      cancelling = new Set(cancel.map((h) => h.vxid));
      const rest = busy ? deadline - Date.now() : 0;
      waitMs =
        busy || onlyWorkers
          ? Math.max(rest, cancel.length > 0 ? deadlockMs + FINAL_LOCK_TRY_MS : 0)
          : undefined;
    }
  }
}
