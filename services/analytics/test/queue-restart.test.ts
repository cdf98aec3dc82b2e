import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { createWriter } from '../src/ingestion/writer.ts';
import type { QueuedEvent } from '../src/store/types.ts';
import { bearer, buildTestAnalytics, eventsStore, sql } from './helper.ts';

/**
 * A store that records what it is given; while `down`, it fails like an unreachable server,
 * its ping too (the writer sets nothing aside for a store it cannot reach).
 */
function recordingStore() {
  const state = { down: true, written: [] as QueuedEvent[] };
  const unreachable = () => {
    if (state.down) throw new Error('connect ECONNREFUSED');
  };
  const store = eventsStore('postgres', async (events) => {
    unreachable();
    state.written.push(...events.map((e) => ({ ...e })));
  });
  store.ping = async () => unreachable();
  return { store, state };
}

test('events queued before a restart are written as the 202 described them', async () => {
  const recording = recordingStore();
  const t = await buildTestAnalytics({}, { store: recording.store });
  const user = await t.user();
  const past = new Date(Date.now() - 3600_000).toISOString();
  const sent = [
    { event: 'restart.one', properties: { nested: { a: [1, 'two', null] }, text: 'é "q" \\' } },
    { event: 'restart.two', timestamp: past, anonymous_id: 'anon:7' },
  ];
  const before = Date.now();
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { events: sent },
  });
  assert.equal(res.statusCode, 202, res.body);
  const ids: string[] = res.json().ids;
  // The process stops with the store unreachable: its memory of the request is gone.
  await t.app.close();
  const [{ n }] = await sql(t.databaseUrl, 'select count(*)::int as n from queue');
  assert.equal(n, 1);

  recording.state.down = false;
  const writer = createWriter({
    db: t.database.db,
    store: recording.store,
    config: t.config,
    log: pino({ level: 'silent' }),
  });
  writer.start();
  await writer.drained();
  await writer.close();

  const written = recording.state.written;
  assert.deepEqual(
    written.map((e) => e.id),
    ids,
  );
  for (const id of ids)
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(
    written.map((e) => [
      e.event,
      e.source,
      e.userId,
      e.anonymousId,
      JSON.parse(e.properties as string),
    ]),
    [
      ['restart.one', 'client', user.id, null, sent[0]!.properties],
      ['restart.two', 'client', user.id, 'anon:7', {}],
    ],
  );
  const received = Date.parse(written[0]!.timestamp);
  assert.ok(received >= before && received <= Date.now(), 'no timestamp: when it was received');
  assert.equal(written[1]!.timestamp, past);
  assert.equal((await sql(t.databaseUrl, 'select count(*)::int as n from queue'))[0].n, 0);
});
