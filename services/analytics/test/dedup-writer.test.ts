import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pino from 'pino';
import { openDatabase } from '../src/db/index.ts';
import { clientKey } from '../src/ingestion/dedup.ts';
import { createPointNumbers, numbered } from '../src/ingestion/point-numbers.ts';
import { insertRows } from '../src/ingestion/queue.ts';
import { trackedId, trackedRow } from '../src/ingestion/queue-rows.ts';
import { createWriter } from '../src/ingestion/writer.ts';
import { createPostgresStore } from '../src/store/postgres.ts';
import type { QueuedEvent } from '../src/store/types.ts';
import { bearer, buildTestAnalytics, eventsStore, sql, writeKeyAuth } from './helper.ts';

/**
 * Message ids are claimed by the writer, in its batches, before it writes (writer-claims.ts):
 * these tests hold it to exactly once where that could break — copies racing on two replicas,
 * a write that failed after the claim, a write the store took while the pass failed, a restart.
 */

const until = async (check: () => Promise<boolean>, what: string) => {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
};

test('copies of a batch sent at once, to two replicas, are stored once each', async () => {
  const t = await buildTestAnalytics();
  // A second replica: its own pool and writer on the same database and queue.
  const second = await openDatabase(t.databaseUrl);
  const writer = createWriter({
    db: second.db,
    store: createPostgresStore(second.db),
    config: t.config,
    log: pino({ level: 'silent' }),
  });
  writer.start();
  try {
    const user = await t.user();
    const batch = (copy: number) => ({
      events: Array.from({ length: 100 }, (_, i) => ({
        event: 'dup.sent',
        message_id: `m-${i}`,
        properties: { i, copy },
      })),
    });
    const send = (copy: number) =>
      t.app.inject({
        method: 'POST',
        url: '/analytics/v1/track-event',
        headers: bearer(user.accessToken),
        payload: batch(copy),
      });
    const stored = async () => {
      await t.drained();
      const rows = await sql(
        t.databaseUrl,
        `select properties->>'i' as i, count(*)::int as n from events
         where user_id = $1 group by 1`,
        [user.id],
      );
      return rows;
    };
    for (const res of await Promise.all(Array.from({ length: 8 }, (_, k) => send(k)))) {
      assert.equal(res.statusCode, 202, res.body);
    }
    let rows = await stored();
    assert.equal(rows.length, 100);
    assert.ok(
      rows.every((r) => r.n === 1),
      JSON.stringify(rows.filter((r) => r.n !== 1)),
    );
    // Sent again later, twice at once: nothing more.
    await Promise.all([send(8), send(9)]);
    rows = await stored();
    assert.equal(
      rows.reduce((n, r) => n + r.n, 0),
      100,
    );
    const [{ claimed }] = await sql(
      t.databaseUrl,
      'select coalesce(sum(length(fps) / 16), 0)::int as claimed from message_id_blocks',
    );
    assert.equal(claimed, 100);
  } finally {
    await writer.close();
    await second.close();
  }
});

/**
 * A store that records what it takes: `down` fails before taking anything; `ackThenFail` takes
 * the write, then fails as a pass would if the process died before committing (so the rows stay
 * queued and are written again).
 */
function flakyStore() {
  const state = { mode: 'down' as 'down' | 'ackThenFail' | 'up', written: [] as QueuedEvent[] };
  const store = eventsStore(
    'influxdb',
    async (events) => {
      if (state.mode === 'down') throw new Error('connect ECONNREFUSED');
      state.written.push(...events.map((e) => ({ ...e })));
      if (state.mode === 'ackThenFail') {
        state.mode = 'up';
        throw new Error('socket hang up');
      }
    },
    { encodes: true },
  );
  store.ping = async () => {
    if (state.mode === 'down') throw new Error('connect ECONNREFUSED');
  };
  return { store, state };
}

test('the copy that claimed an id first is the one written, however its writes fail', async () => {
  const flaky = flakyStore();
  const t = await buildTestAnalytics({}, { store: flaky.store });
  const user = await t.user();
  const send = (events: object[]) =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: { events },
    });
  const first = await send([{ event: 'crash.test', message_id: 'x', properties: { copy: 1 } }]);
  assert.equal(first.statusCode, 202, first.body);
  const [firstId] = first.json().ids as string[];
  // The writer claims the id, then fails to write: the claim stays with the first copy, whose
  // queue row keeps the outcome (nothing lost) for when it is written again.
  await until(async () => {
    const rows = await sql(t.databaseUrl, 'select lost from queue_claims');
    return rows.length === 1 && rows[0]!.lost.length === 0;
  }, 'the claim');
  const second = await send([
    { event: 'crash.test', message_id: 'x', properties: { copy: 2 } },
    { event: 'crash.test', message_id: 'y', properties: { copy: 2 } },
  ]);
  assert.equal(second.statusCode, 202, second.body);
  // The store takes the next write but the pass fails before its commit: written again.
  flaky.state.mode = 'ackThenFail';
  await t.drained();
  const written = flaky.state.written.map((e) => ({
    seq: e.seq,
    id: e.id,
    copy: JSON.parse(e.properties as string).copy,
  }));
  const x = written.filter((e) => e.id === firstId);
  assert.ok(x.length >= 1);
  // Written again at the same seq: the same point in a store, not a second one.
  assert.equal(new Set(x.map((e) => e.seq)).size, 1);
  assert.deepEqual(
    [...new Set(written.map((e) => `${e.id === firstId ? 'x' : 'other'}:${e.copy}`))].sort(),
    ['other:2', 'x:1'],
  );
  // 'y' of the second request, once (as often as its pass was tried), and nothing else of it.
  assert.equal(new Set(written.filter((e) => e.id !== firstId).map((e) => e.seq)).size, 1);
});

test('a copy queued after a restart, before the first was written, is dropped', async () => {
  const flaky = flakyStore();
  const t = await buildTestAnalytics({}, { store: flaky.store });
  const user = await t.user();
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: {
      events: [
        { event: 'restart.dup', message_id: 'r-1', anonymous_id: 'anon-1' },
        { event: 'restart.dup', message_id: 'r-2', anonymous_id: 'anon-1' },
      ],
    },
  });
  assert.equal(res.statusCode, 202, res.body);
  const ids: string[] = res.json().ids;
  // The process stops before anything was written: its memory of the request is gone.
  await t.app.close();
  // The client retries against another replica, which queues the copies (as its append would).
  const retryBase = randomUUID();
  const retry = trackedRow(
    { userId: user.id, receivedAt: Date.now(), idBase: retryBase },
    ['r-1', 'r-2', 'r-3'].map((m) => ({
      event: 'restart.dup',
      anonymousId: 'anon-1',
      time: null,
      propertiesJson: '{}',
      key: clientKey(user.id, 'anon-1', m),
    })),
  );
  await insertRows(t.database.db, await numbered([retry], createPointNumbers(t.database.db)));

  flaky.state.mode = 'up';
  const writer = createWriter({
    db: t.database.db,
    store: flaky.store,
    config: t.config,
    log: pino({ level: 'silent' }),
  });
  writer.start();
  await writer.drained();
  await writer.close();
  // The first request's two events, and of the copies only r-3, which is new. In either order:
  // on InfluxDB two passes run side by side, and one that took the later row can write first.
  const written = flaky.state.written;
  assert.deepEqual(
    written.map((e) => e.id).sort(),
    [...ids, trackedId(retryBase, 2)].sort(),
    JSON.stringify(written),
  );
  const [{ n }] = await sql(t.databaseUrl, 'select count(*)::int as n from queue');
  assert.equal(n, 0);
});

test('copies of a Segment message, whose events share the messageId as their id, are written once', async () => {
  const written: QueuedEvent[] = [];
  const store = eventsStore('influxdb', async (events) => {
    written.push(...events);
  });
  const t = await buildTestAnalytics({}, { store });
  const authorization = await writeKeyAuth(t);
  const batch = () =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/batch',
      headers: { authorization },
      payload: {
        batch: [
          { type: 'track', event: 'Seg Copy', userId: 'u-1', messageId: 'seg-copy-1' },
          { type: 'track', event: 'Seg Copy', userId: 'u-1', messageId: 'seg-copy-2' },
        ],
      },
    });
  for (const res of await Promise.all([batch(), batch()])) assert.equal(res.statusCode, 200);
  await t.drained();
  assert.equal((await batch()).statusCode, 200);
  await t.drained();
  assert.deepEqual(written.map((e) => e.id).sort(), ['seg-copy-1', 'seg-copy-2']);
});

test('in a batch where only some events carry a message id, only the repeats are dropped', async () => {
  const t = await buildTestAnalytics();
  const user = await t.user();
  const send = async (events: { name: string; id?: string }[]) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: {
        events: events.map((e) => ({
          event: 'mixed.sent',
          properties: { name: e.name },
          ...(e.id ? { message_id: e.id } : {}),
        })),
      },
    });
    assert.equal(res.statusCode, 202, res.body);
  };
  await send([{ name: 'a', id: 'm1' }, { name: 'b' }, { name: 'c', id: 'm2' }]);
  await t.drained();
  // The keyed events sit at 0, 2 and 3: a claim's outcome must land on its own event.
  await send([
    { name: 'd', id: 'm2' },
    { name: 'e' },
    { name: 'f', id: 'm1' },
    { name: 'g', id: 'm3' },
  ]);
  await t.drained();
  const rows = await sql(
    t.databaseUrl,
    `select properties->>'name' as name from events where user_id = $1 order by 1`,
    [user.id],
  );
  assert.deepEqual(
    rows.map((r) => r.name),
    ['a', 'b', 'c', 'e', 'g'],
  );
});
