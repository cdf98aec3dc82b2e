import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { connect } from '@platform/db';
import { buildApp } from '../src/app.ts';
import { openDatabase, schema } from '../src/db/index.ts';
import { createPointNumbers, POINT_BLOCK } from '../src/ingestion/point-numbers.ts';
import { itemSeq } from '../src/ingestion/queue-rows.ts';
import { StoreRejected } from '../src/store/errors.ts';
import type { QueuedEvent } from '../src/store/types.ts';
import { until } from './destinations-receiver.ts';
import { buildTestAnalytics, eventsStore, sql } from './helper.ts';

/**
 * Point numbers (src/ingestion/point-numbers.ts) are InfluxDB's sub-millisecond digits: they must
 * be distinct across rows, processes and replicas, dense (the digits repeat a million numbers
 * apart), and the same whenever a row is written (from the process's cache or read back).
 */

/** Whether the ranges [start, start + count) overlap anywhere. */
function overlapping(ranges: { start: number; count: number }[]): boolean {
  const sorted = [...ranges].filter((r) => r.count > 0).sort((a, b) => a.start - b.start);
  return sorted.some((r, i) => i > 0 && sorted[i - 1]!.start + sorted[i - 1]!.count > r.start);
}

test('two replicas on one database take distinct, dense point numbers, one refill at a time', async () => {
  const t = await buildTestAnalytics({}, { store: eventsStore('postgres', async () => {}) });
  // The other replica: its own pool, its own allocator.
  const other = await openDatabase(t.databaseUrl);
  after(() => other.close());
  const a = createPointNumbers(t.database.db);
  const b = createPointNumbers(other.db);
  const blocks = async () =>
    (
      await sql(t.databaseUrl, 'select last_value::float8 as v, is_called from queue_point_blocks')
    )[0];

  // Twenty rows of one item at once on a fresh allocator: one block, shared, numbers in a row.
  const first = await Promise.all(Array.from({ length: 20 }, () => a.take(1)));
  assert.deepEqual(
    [...first].sort((x, y) => x - y),
    Array.from({ length: 20 }, (_, i) => first[0]! + i),
  );
  assert.deepEqual(await blocks(), { v: first[0], is_called: true }, 'one block reserved');

  // Rows of every size from both replicas, interleaved, over several blocks each.
  const ranges: { start: number; count: number; by: 'a' | 'b' }[] = first.map((start) => ({
    start,
    count: 1,
    by: 'a',
  }));
  const sizes = [1, 1000, 3, 500, 1, 1, 999, 250];
  for (let i = 0; i < 1500; i += 1) {
    const count = sizes[i % sizes.length]!;
    const by = i % 2 === 0 ? 'b' : 'a';
    const start = await (by === 'a' ? a : b).take(count);
    ranges.push({ start, count, by });
  }
  assert.equal(overlapping(ranges), false, 'no number is handed out twice');
  // Dense: each replica's numbers follow on from its previous row's, but where the rest of its
  // block was too short for the row, which starts a new block.
  for (const by of ['a', 'b'] as const) {
    const own = ranges.filter((r) => r.by === by);
    const blocksUsed = new Set(own.map((r) => Math.floor(r.start / POINT_BLOCK)));
    assert.ok(blocksUsed.size >= 3, `${by} went through several blocks`);
    for (const [i, r] of own.entries()) {
      if (i === 0) continue;
      const next = own[i - 1]!.start + own[i - 1]!.count;
      const blockEnd = (Math.floor((next - 1) / POINT_BLOCK) + 1) * POINT_BLOCK;
      const newBlock = r.start % POINT_BLOCK === 0 && next + r.count > blockEnd;
      assert.ok(r.start === next || newBlock, `${by}: row ${i} at ${r.start} after ${next}`);
    }
  }
});

test('a row read back from the queue table is written at the points it had when cached', async () => {
  const fromCache: QueuedEvent[] = [];
  const fromTable: QueuedEvent[] = [];
  const store = eventsStore(
    'influxdb',
    async (events) => {
      fromTable.push(...events);
    },
    { encodes: true },
  );
  // Every body encoded as the request was accepted is refused: the writer reads the rows back
  // from PostgreSQL and writes their items one by one (as another replica, or this one after a
  // crash, would write them from the table).
  store.writeEncoded = async (bodies) => {
    fromCache.push(...bodies.flatMap((body) => JSON.parse(body.toString()) as QueuedEvent[]));
    throw new StoreRejected('refused, to be read back');
  };
  const t = await buildTestAnalytics({ WRITER_INTERVAL_MS: '600000' }, { store });
  const timestamp = new Date(Date.now() - 60_000).toISOString();
  for (const count of [1, 3, 2]) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      payload: {
        events: Array.from({ length: count }, (_, i) => ({
          event: 'same.ms',
          timestamp,
          properties: { i },
        })),
      },
    });
    assert.equal(res.statusCode, 202, res.body);
    await t.drained();
  }
  await until(() => fromTable.length === 6, 'the six events written');
  assert.equal(fromCache.length, 6, 'each row was encoded from the cache first');
  const points = (events: QueuedEvent[]) => new Map(events.map((e) => [e.id, [e.seq, e.point]]));
  assert.deepEqual(points(fromTable), points(fromCache));
  // Numbered densely across the rows, with no gap: the six events of one millisecond are six points.
  const numbers = fromTable.map((e) => e.point!).sort((x, y) => x - y);
  assert.deepEqual(
    numbers,
    Array.from({ length: 6 }, (_, i) => numbers[0]! + i),
  );
});

test('a row queued by the previous version (no point base) is written at its seq', async () => {
  const written: QueuedEvent[] = [];
  const store = eventsStore('influxdb', async (events) => {
    written.push(...events);
  });
  const t = await buildTestAnalytics({}, { store });
  const item = (id: string) => ({
    id,
    event: 'old.row',
    source: 'client',
    userId: null,
    anonymousId: null,
    properties: '{}',
    timestamp: new Date().toISOString(),
  });
  const [{ seq }] = await sql(
    t.databaseUrl,
    `insert into queue (kind, item) values ('event', $1) returning seq::float8 as seq`,
    [JSON.stringify([item('old-0'), item('old-1')])],
  );
  await t.drained();
  await until(() => written.length === 2, 'the old row written');
  assert.deepEqual(
    written.map((e) => [e.id, e.seq, e.point]),
    [
      ['old-0', itemSeq(seq, 0), undefined],
      ['old-1', itemSeq(seq, 1), undefined],
    ],
  );
});

test("a request's numbers are reserved before its transaction: one pool connection is enough", async () => {
  const t = await buildTestAnalytics({}, { store: eventsStore('influxdb', async () => {}) });
  // Another process on a pool of one connection, with a destination, so that /track-event
  // queues in a transaction; its first row needs a block of numbers. Reserved inside that
  // transaction, the block would wait for a second connection until the pool gave up (5 s).
  const database = connect(t.databaseUrl, schema, { maxConnections: 1 });
  const destination = {
    name: 'crm',
    url: 'http://127.0.0.1:9/hook',
    secret: 'whsec-0123456789abcdef',
  };
  const app = await buildApp({
    config: { ...t.config, DESTINATIONS: JSON.stringify([destination]) },
    database,
    store: eventsStore('influxdb', async () => {}),
  });
  await app.ready();
  after(async () => {
    await app.close();
    await database.close();
  });
  const res = await app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    payload: { event: 'one.connection' },
  });
  assert.equal(res.statusCode, 202, res.body);
});
