import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { createDedup, fingerprint } from '../src/ingestion/dedup.ts';
import { createPointNumbers, numbered } from '../src/ingestion/point-numbers.ts';
import { insertRows, pruneClaims } from '../src/ingestion/queue.ts';
import { trackedRow } from '../src/ingestion/queue-rows.ts';
import { createWriter } from '../src/ingestion/writer.ts';
import type { QueuedEvent } from '../src/store/types.ts';
import { buildTestAnalytics, eventsStore, sql } from './helper.ts';

/**
 * The items that took their id are handed to the destinations after the claim commits, outside
 * the dedup lock every claim of every replica waits for, and once: a hand-over that fails is
 * done by the next pass, not lost and not repeated.
 */

const row = (userId: string, ids: string[]) =>
  trackedRow(
    { userId, receivedAt: Date.now(), idBase: randomUUID() },
    ids.map((m) => ({
      event: 'handover.keyed',
      anonymousId: null,
      time: null,
      propertiesJson: '{}',
      key: fingerprint(`client:u:${userId}:${m}`),
    })),
  );

async function setUp(onClaimed: (items: Record<string, unknown>[]) => Promise<void>) {
  const written: QueuedEvent[] = [];
  const store = eventsStore('influxdb', async (events) => {
    written.push(...events);
  });
  const t = await buildTestAnalytics({}, { store });
  // The app (and its writer) stops: this writer, with the hand-over under test, does the work.
  await t.app.close();
  const writer = createWriter({
    db: t.database.db,
    store,
    config: t.config,
    log: pino({ level: 'silent' }),
    onClaimed: (_tx, items) => onClaimed(items),
  });
  return { t, writer, written };
}

test('a hand-over that fails is made by the next pass, once', async () => {
  const handed: string[] = [];
  let fail = true;
  const { t, writer, written } = await setUp(async (items) => {
    if (fail) {
      fail = false;
      throw new Error('the destinations table is unreachable');
    }
    handed.push(...items.map((i) => String(i.id)));
  });
  await insertRows(
    t.database.db,
    await numbered([row('u-1', ['a', 'b', 'a'])], createPointNumbers(t.database.db)),
  );
  writer.start();
  await writer.drained();
  await writer.close();
  // 'a' twice in the row: the copy lost; the two that took their id handed over once each.
  assert.equal(handed.length, 2);
  assert.equal(new Set(handed).size, 2);
  assert.equal(written.length, 2);
  const [{ n }] = await sql(t.databaseUrl, 'select count(*)::int as n from queue_claims');
  assert.equal(n, 0);
});

test('claims of other processes do not wait for a hand-over', async () => {
  let release!: () => void;
  const blocked = new Promise<void>((resolve) => {
    release = resolve;
  });
  let handing = false;
  const { t, writer } = await setUp(async () => {
    handing = true;
    await blocked;
  });
  await insertRows(
    t.database.db,
    await numbered([row('u-2', ['x'])], createPointNumbers(t.database.db)),
  );
  writer.start();
  const deadline = Date.now() + 30_000;
  while (!handing) {
    assert.ok(Date.now() < deadline, 'the hand-over to start');
    await sleep(10);
  }
  // Another replica claims meanwhile: it does not wait for the hand-over to finish.
  const other = createDedup({ maxIds: 1000 });
  const won = await Promise.race([
    t.database.db.transaction((tx) => other.claim(tx, [fingerprint('client:u:u-3:y')])),
    sleep(5000).then(() => 'waited' as const),
  ]);
  release();
  await writer.drained();
  await writer.close();
  assert.deepEqual(won, [true]);
});

test('outcomes whose queue row is gone are pruned, the others kept', async () => {
  const t = await buildTestAnalytics();
  await t.app.close();
  const [queued] = await insertRows(
    t.database.db,
    await numbered([row('u-4', ['z'])], createPointNumbers(t.database.db)),
  );
  await sql(
    t.databaseUrl,
    `insert into queue_claims (seq, lost) values ($1, '{}'), ($1 + 1000, '{0}')`,
    [queued!.seq],
  );
  await pruneClaims(t.database.db);
  const left = await sql(t.databaseUrl, 'select seq::float8 as seq from queue_claims');
  assert.deepEqual(
    left.map((r) => r.seq),
    [queued!.seq],
  );
});
