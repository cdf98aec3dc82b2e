import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { hasSqlState } from '@platform/db';
import pg from 'pg';
import type { Db } from '../src/db/index.ts';
import {
  classify,
  type HolderRow,
  readHolders,
  withTableLock,
} from '../src/destinations/table-lock.ts';
import { buildTestAnalytics } from './helper.ts';

/**
 * An autovacuum worker on destination_deliveries holds SHARE UPDATE EXCLUSIVE, which the final
 * pass's locks conflict with. PostgreSQL cancels it once a conflicting request has waited
 * deadlock_timeout (1 s), which the pass's 200 ms tries never did: the worker stayed the same
 * holder at every pause, was taken for a stuck transaction, and the pass failed after 5 s (then
 * paused a minute) for as long as the vacuum ran. Now a try waits past deadlock_timeout when
 * workers are the only holders left, unless one vacuums to prevent wraparound (never cancelled).
 *
 * A real autovacuum cannot be had on cue (autovacuum_naptime is server-wide, a minute, and the
 * server is shared by every test file): here a client transaction holds the worker's lock, the
 * holders' reader (the real query) labels it a worker, and the client rolls back as PostgreSQL
 * cancels a worker — once a lock request on the table has waited deadlock_timeout. Checked once
 * by hand against real workers on a private server (autovacuum_naptime 1 s, a table with a slow
 * per-table cost delay), as the service's non-superuser role: a worker shows no user,
 * backend_type and query hidden; before, the pass failed after 5 s with the worker still there,
 * now it was granted after 1.4 s (the server logged "canceling autovacuum task"); an
 * anti-wraparound one was not cancelled and the pass gave up after 5 s.
 */

const t = await buildTestAnalytics();
const db = t.database.db as Db;

const row = (over: Partial<HolderRow>): HolderRow => ({
  vxid: '3/1',
  pid: 100,
  active: true,
  backend_type: 'client backend',
  has_user: true,
  query: 'insert into destination_deliveries …',
  ...over,
});

test('holders are told apart: clients, autovacuum workers, anti-wraparound ones', () => {
  const kinds = classify([
    row({ vxid: '3/1' }),
    row({
      vxid: '4/2',
      backend_type: 'autovacuum worker',
      has_user: false,
      query: 'autovacuum: VACUUM public.destination_deliveries',
    }),
    row({
      vxid: '5/3',
      backend_type: 'autovacuum worker',
      has_user: false,
      query: 'autovacuum: VACUUM public.destination_deliveries (to prevent wraparound)',
    }),
    // A role that may not read other sessions: backend_type and query hidden, no user.
    row({ vxid: '6/4', backend_type: null, has_user: false, query: '<insufficient privilege>' }),
    // Another user's client session seen by such a role: it has a user.
    row({ vxid: '7/5', backend_type: null, has_user: true, query: '<insufficient privilege>' }),
    // A prepared transaction: no backend, no activity row.
    row({ vxid: '-1/77', pid: null, active: false, backend_type: null, has_user: false }),
  ]);
  assert.deepEqual(
    kinds.map((h) => `${h.vxid} ${h.kind}`),
    [
      '3/1 transaction',
      '4/2 autovacuum',
      '5/3 wraparound',
      '6/4 autovacuum',
      '7/5 transaction',
      '-1/77 transaction',
    ],
  );
});

/**
 * A client holding the lock an autovacuum worker holds, labelled one (`query` its activity) by
 * the holders' reader; `cancelled` (unless `never`): it rolls back once a lock request on the
 * table has waited deadlock_timeout, as PostgreSQL cancels a worker.
 */
async function fakeWorker(query: string, never = false) {
  const worker = new pg.Client({ connectionString: t.databaseUrl });
  await worker.connect();
  const watcher = new pg.Client({ connectionString: t.databaseUrl });
  await watcher.connect();
  const pid = (await worker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  await worker.query('begin');
  await worker.query('lock table destination_deliveries in share update exclusive mode');
  let stop = false;
  let cancelledAfterMs = -1;
  const watching = (async () => {
    while (!stop && !never) {
      // A request on the table waiting deadlock_timeout or longer (waitstart: PostgreSQL 14+).
      const { rows } = await watcher.query<{ waited: number }>(
        `select extract(epoch from clock_timestamp() - waitstart) * 1000 as waited
          from pg_locks where not granted and relation = 'destination_deliveries'::regclass
            and waitstart < clock_timestamp() - current_setting('deadlock_timeout')::interval`,
      );
      if (rows.length > 0) {
        cancelledAfterMs = Number(rows[0]!.waited);
        await worker.query('rollback');
        return;
      }
      await sleep(20);
    }
  })();
  const holders = async (d: Db) => {
    const read = await readHolders(d);
    return {
      ...read,
      rows: read.rows.map((r) =>
        r.pid === pid ? { ...r, backend_type: 'autovacuum worker', has_user: false, query } : r,
      ),
    };
  };
  return {
    holders,
    cancelledAfterMs: () => cancelledAfterMs,
    async end() {
      stop = true;
      await watching;
      await worker.query('rollback').catch(() => {});
      await worker.end();
      await watcher.end();
    },
  };
}

test('an autovacuum worker on the table is cancelled, not taken for a stuck transaction', async () => {
  const worker = await fakeWorker('autovacuum: VACUUM public.destination_deliveries');
  let outcome: unknown;
  try {
    outcome = await withTableLock(
      db,
      'share row exclusive',
      5000,
      async () => 'granted',
      worker.holders,
    ).catch((e: unknown) => e);
  } finally {
    await worker.end();
  }
  assert.equal(outcome, 'granted', `the pass: ${String(outcome)}`);
  assert.ok(worker.cancelledAfterMs() >= 0, 'no lock request waited deadlock_timeout');
});

/**
 * Runs a pass and samples, every 20 ms until it settles, how long a lock request on
 * destination_deliveries has waited (null: none waiting). Returns the pass's outcome (its
 * value or its error) and the samples.
 */
async function watchedPass(pass: () => Promise<unknown>) {
  const watcher = new pg.Client({ connectionString: t.databaseUrl });
  await watcher.connect();
  const waits: (number | null)[] = [];
  try {
    let done = false;
    const outcome = pass()
      .catch((e: unknown) => e)
      .finally(() => {
        done = true;
      });
    while (!done) {
      const { rows } = await watcher.query<{ waited: number | null }>(
        `select max(extract(epoch from clock_timestamp() - waitstart) * 1000) as waited
          from pg_locks where not granted and relation = 'destination_deliveries'::regclass`,
      );
      const waited = rows[0]?.waited;
      waits.push(waited === null || waited === undefined ? null : Number(waited));
      await sleep(20);
    }
    return { outcome: await outcome, waits };
  } finally {
    await watcher.end();
  }
}

const longestOf = (waits: (number | null)[]) => Math.max(0, ...waits.map((w) => w ?? 0));

test('an anti-wraparound vacuum counts as stuck: short tries, and the pass gives up', async () => {
  const worker = await fakeWorker(
    'autovacuum: VACUUM public.destination_deliveries (to prevent wraparound)',
    true,
  );
  const { outcome, waits } = await watchedPass(() =>
    withTableLock(db, 'share', 2000, async () => 'granted', worker.holders),
  ).finally(() => worker.end());
  assert.ok(hasSqlState(outcome, '55P03'), `the pass: ${String(outcome)}`);
  // Never a try past deadlock_timeout: each holds every write of deliveries up meanwhile.
  assert.ok(longestOf(waits) < 900, `a lock request waited ${longestOf(waits)} ms`);
});

test('a worker that outlives the cancelling try is not waited for again', async () => {
  // A worker PostgreSQL did not cancel (an anti-wraparound one, for a role that cannot read its
  // query): one try past deadlock_timeout, then short ones until the pass gives up.
  const worker = await fakeWorker('<insufficient privilege>', true);
  const { outcome, waits } = await watchedPass(() =>
    withTableLock(db, 'share', 4000, async () => 'granted', worker.holders),
  ).finally(() => worker.end());
  assert.ok(hasSqlState(outcome, '55P03'), `the pass: ${String(outcome)}`);
  // A wait, counted once if seen past 600 ms (a short try is 200 ms, the long one 1.2 s).
  let long = 0;
  let waiting = false;
  for (const w of waits) {
    if (w === null) waiting = false;
    else if (w > 600 && !waiting) {
      long += 1;
      waiting = true;
    }
  }
  assert.equal(long, 1, `long lock waits: ${long}`);
});

test('a deadlock_timeout longer than the budget: workers count as stuck, no try waits it out', async () => {
  // PostgreSQL cancels a worker only after a request has waited deadlock_timeout, which the
  // server may set well above the pass's budget (it is a server setting, raised on busy servers
  // to spare deadlock checks): a try that long held every write of deliveries up for as long.
  const worker = await fakeWorker('autovacuum: VACUUM public.destination_deliveries', true);
  const holders = async (d: Db) => ({ ...(await worker.holders(d)), deadlockMs: 3000 });
  const { outcome, waits } = await watchedPass(() =>
    withTableLock(db, 'share', 2000, async () => 'granted', holders),
  ).finally(() => worker.end());
  assert.ok(hasSqlState(outcome, '55P03'), `the pass: ${String(outcome)}`);
  assert.ok(longestOf(waits) < 900, `a lock request waited ${longestOf(waits)} ms`);
});
