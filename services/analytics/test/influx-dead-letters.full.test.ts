import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startInflux } from '@platform/testing';
import { until } from './destinations-receiver.ts';
import { bearer, buildTestAnalytics, sql } from './helper.ts';

const influx = await startInflux();
after(() => influx.stop());
const t = await buildTestAnalytics({ INFLUX_URL: influx.url, INFLUX_DB: 'poisoned' });

test('InfluxDB: lines it refuses are set aside as dead letters, and what was queued after them lands', async () => {
  const user = await t.user();
  const now = new Date().toISOString();
  // InfluxDB refuses an empty tag value and a time that is no number; neither gets past the door.
  const poisoned = [
    [
      'sample',
      [
        {
          service: 'main',
          route: '',
          method: 'GET',
          status: 200,
          durationMs: 1,
          timestamp: now,
          requestId: null,
          userId: null,
          upstream: null,
        },
      ],
    ],
    [
      'event',
      [
        {
          id: 'bad-time',
          event: 'poisoned.queue',
          source: 'client',
          userId: user.id,
          anonymousId: null,
          properties: '{}',
          timestamp: 'not a time',
        },
      ],
    ],
  ] as const;
  for (const [kind, items] of poisoned) {
    await sql(t.databaseUrl, 'insert into queue (kind, item) values ($1, $2)', [
      kind,
      JSON.stringify(items),
    ]);
  }
  const res = await t.app.inject({
    method: 'POST',
    url: '/analytics/v1/track-event',
    headers: bearer(user.accessToken),
    payload: { events: [{ event: 'after.poison' }, { event: 'after.poison' }] },
  });
  assert.equal(res.statusCode, 202, res.body);
  await t.drained();
  const activity = await t.app.inject({
    url: '/analytics/v1/user-activity',
    headers: bearer(user.accessToken),
  });
  assert.deepEqual(
    activity.json().items.map((e: { event: string }) => e.event),
    ['after.poison', 'after.poison'],
  );
  const dead = await until(async () => {
    const r = await t.app.inject({
      url: '/analytics/v1/ingestion/dead-letters',
      headers: bearer(t.adminToken),
    });
    const items = r.json().items as { kind: string; error: string }[];
    return items.length === 2 && items;
  }, 'two dead letters');
  // The writer's passes for samples and events may set theirs aside in either order.
  const byKind = Object.fromEntries(dead.map((d) => [d.kind, d.error]));
  assert.deepEqual(Object.keys(byKind).sort(), ['event', 'sample']);
  assert.match(byKind.event!, /bad timestamp/);
  assert.match(byKind.sample!, /missing tag value/);
});
