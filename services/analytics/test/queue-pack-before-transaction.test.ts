import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Tx } from '../src/db/index.ts';
import { insertRows, type NumberedRow } from '../src/ingestion/queue.ts';
import { startReceiver } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, serviceHeaders, writeKeyAuth } from './helper.ts';

/**
 * A large queue row is packed on libuv's thread pool (row-packing.ts packRowAsync): 60–140 ms for a
 * client's largest. Packed inside the transaction that queues it, the request held a pooled
 * PostgreSQL connection, idle in transaction, all that time; under load that starves the pool.
 * The test fills the thread pool with opens of FIFOs, which block until released, so a packing
 * cannot finish while it looks: the request must then still be waiting, and no connection of the
 * service idle in a transaction. Deterministic: nothing here depends on how long packing takes.
 */

const receiver = await startReceiver(() => 200);
const t = await buildTestAnalytics({
  // With a destination, /track-event queues in a transaction with its deliveries.
  DESTINATIONS: JSON.stringify([
    { name: 'all', url: receiver.url('/all'), secret: 'whsec-test-0123456789abcdef' },
  ]),
  // The writer passes only when woken by a request: none of its transactions runs while the
  // test looks (one that began just before a stall of this loaded machine would count).
  WRITER_INTERVAL_MS: '600000',
});
const user = await t.user();
const writeKey = await writeKeyAuth(t);
const monitor = new pg.Client({ connectionString: t.databaseUrl });
await monitor.connect();
// The test database is dropped after the file, this connection with it.
monitor.on('error', () => {});
after(() => monitor.end().catch(() => {}));

/** Occupies every thread of libuv's pool until the returned function is called. */
async function blockThreadPool(): Promise<() => Promise<void>> {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const dir = mkdtempSync(path.join(tmpdir(), 'pool-'));
  const fifos = Array.from({ length: size }, (_, i) => path.join(dir, `fifo-${i}`));
  for (const fifo of fifos) execFileSync('mkfifo', [fifo]);
  // Each open for reading waits, on a pool thread, for a writer.
  const opening = fifos.map((fifo) => open(fifo, 'r'));
  return async () => {
    for (const fifo of fifos) {
      // Without blocking this thread: ENXIO until that fifo's reader is in its open.
      for (;;) {
        try {
          closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENXIO') throw error;
          await sleep(5);
        }
      }
    }
    for (const handle of await Promise.all(opening)) await handle.close();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** The service's connections that have sat idle inside a transaction for half a second or more. */
const idleInTransaction = async () =>
  (
    await monitor.query(
      `select pid, xact_start::text as xact, query from pg_stat_activity
        where datname = current_database() and application_name = 'analytics'
          and state = 'idle in transaction' and state_change < clock_timestamp() - interval '500 ms'`,
    )
  ).rows as { pid: number; xact: string; query: string }[];

/** ~90 K characters of properties in all: past what is packed in line (64 K). */
const pad = () => ({ pad: randomUUID().repeat(200) });

const paths: { name: string; send: () => Promise<{ statusCode: number }> }[] = [
  {
    name: '/track-event with destinations',
    send: () =>
      t.app.inject({
        method: 'POST',
        url: '/analytics/v1/track-event',
        headers: bearer(user.accessToken),
        payload: {
          events: Array.from({ length: 12 }, () => ({ event: 'big', properties: pad() })),
        },
      }),
  },
  {
    name: 'a Segment batch',
    send: () =>
      t.app.inject({
        method: 'POST',
        url: '/analytics/v1/batch',
        headers: { authorization: writeKey },
        payload: {
          batch: Array.from({ length: 12 }, () => ({
            type: 'track',
            event: 'big',
            userId: 'seg-user',
            messageId: randomUUID(),
            properties: pad(),
          })),
        },
      }),
  },
  {
    name: 'internal events',
    send: () =>
      t.app.inject({
        method: 'POST',
        url: '/internal/events',
        headers: serviceHeaders,
        payload: {
          events: Array.from({ length: 12 }, () => ({
            id: `main:${randomUUID()}`,
            type: 'post.updated',
            occurred_at: new Date().toISOString(),
            payload: pad(),
          })),
        },
      }),
  },
];

for (const { name, send } of paths) {
  test(`${name}: a large row is packed before its transaction opens`, async () => {
    // Once unhindered: credentials verified and cached, connections open.
    const accepted = (status: number) => status >= 200 && status < 300;
    assert.ok(accepted((await send()).statusCode));
    await t.drained();
    const release = await blockThreadPool();
    let settled = false;
    const answer = send().finally(() => {
      settled = true;
    });
    // A transaction waiting for the packing stays idle until the pool is released; one seen idle
    // only because this loaded process stalled a moment (the destinations worker's, say) does not
    // stay so: only one seen idle across most of the two seconds counts.
    const seen = new Map<string, { query: string; first: number; last: number }>();
    try {
      const deadline = Date.now() + 2000;
      while (Date.now() < deadline) {
        for (const row of await idleInTransaction()) {
          const key = `${row.pid} ${row.xact}`;
          const at = Date.now();
          const sighting = seen.get(key) ?? { query: row.query, first: at, last: at };
          sighting.last = at;
          seen.set(key, sighting);
        }
        await sleep(25);
      }
      assert.equal(settled, false, 'the packing is held up with the thread pool');
    } finally {
      await release();
    }
    assert.ok(accepted((await answer).statusCode));
    const held = [...seen.values()]
      .filter((s) => s.last - s.first >= 1000)
      .map((s) => ({ query: s.query }));
    assert.deepEqual(held, [], 'no connection waits in a transaction for the packing');
  });
}

/**
 * At compile time too: a transaction takes packed rows only (packRows, before it opens). tsc
 * checks test files, so this fails `npm run check` once an unpacked row type-checks in a
 * transaction again (drizzle's transaction type extends its database type: it did, through the
 * database's overload). Never called.
 */
export function unpackedRowsInATransactionDoNotCompile(tx: Tx, rows: NumberedRow[]) {
  // @ts-expect-error: a transaction with unpacked rows.
  return insertRows(tx, rows);
}
