import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startInflux } from '@platform/testing';
import { influxClient } from '../src/store/influx-client.ts';
import { bearer, buildTestAnalytics, serviceHeaders } from './helper.ts';

const influx = await startInflux();
after(() => influx.stop());
// Small batches keep the writer busy, so the kill lands while it is writing.
const t = await buildTestAnalytics({
  INFLUX_URL: influx.url,
  INFLUX_DB: 'outage',
  WRITER_BATCH_SIZE: '50',
  ROLLUP_INTERVAL_MS: '200',
});
const client = influxClient({ url: influx.url, database: 'outage' });

async function influxCount(): Promise<{ points: number; ids: number }> {
  const [result] = await client.query(
    'SELECT COUNT(event_id) AS points, COUNT(DISTINCT(event_id)) AS ids FROM events',
  );
  const row = result?.[0]?.values[0] ?? [];
  return { points: Number(row[1] ?? 0), ids: Number(row[2] ?? 0) };
}

test('InfluxDB killed mid-ingest and restarted: every accepted event arrives exactly once', async () => {
  const user = await t.user();
  const ids = new Set<string>();
  const send = async (batch: number) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: {
        events: Array.from({ length: 100 }, (_, i) => ({
          event: 'outage.test',
          properties: { batch, i },
        })),
      },
    });
    assert.equal(res.statusCode, 202, res.body);
    for (const id of res.json().ids) ids.add(id);
  };
  for (let b = 0; b < 10; b += 1) await send(b);
  // Not drained: the writer is still moving these when InfluxDB dies.
  await influx.kill();
  // Accepted while InfluxDB is down: they wait in the queue.
  for (let b = 10; b < 20; b += 1) await send(b);
  const domain = await t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: {
      events: [
        {
          id: 'auth:1',
          type: 'user.logged_in',
          occurred_at: new Date().toISOString(),
          payload: {},
        },
      ],
    },
  });
  assert.equal(domain.statusCode, 202);
  ids.add('auth:1');
  // Reads cannot be served meanwhile: 503 (retry later), not 500.
  const down = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/performance',
    headers: bearer(t.adminToken),
  });
  assert.equal(down.statusCode, 503, down.body);
  await sleep(3000);
  await influx.start();
  for (let b = 20; b < 25; b += 1) await send(b);
  await t.drained();
  assert.equal(ids.size, 2501);
  assert.deepEqual(await influxCount(), { points: 2501, ids: 2501 });

  // And the API reads them back from InfluxDB.
  const page = await t.app.inject({
    method: 'GET',
    url: '/analytics/v1/user-activity?limit=200&event=outage.test',
    headers: bearer(user.accessToken),
  });
  assert.equal(page.statusCode, 200);
  assert.equal(page.json().items.length, 200);
  assert.ok(page.json().items.every((e: { id: string }) => ids.has(e.id)));
});

test('a domain event re-sent after it reached InfluxDB is not written again', async () => {
  const before = await influxCount();
  const res = await t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: {
      events: [
        { id: 'main:7', type: 'post.created', occurred_at: new Date().toISOString(), payload: {} },
      ],
    },
  });
  assert.equal(res.statusCode, 202);
  await t.drained();
  const resent = await t.app.inject({
    method: 'POST',
    url: '/internal/events',
    headers: serviceHeaders,
    payload: {
      events: [
        { id: 'main:7', type: 'post.created', occurred_at: new Date().toISOString(), payload: {} },
      ],
    },
  });
  assert.equal(resent.json().accepted, 0);
  await t.drained();
  assert.deepEqual(await influxCount(), { points: before.points + 1, ids: before.ids + 1 });
});

test('samples posted to the service show up in /performance once its rollup job has run', async () => {
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
  const samples = Array.from({ length: 40 }, (_, i) => ({
    service: 'main',
    route: '/main/v1/rollup-check',
    method: 'GET',
    status: i < 4 ? 503 : 200,
    duration_ms: i + 1,
    timestamp: new Date(minute + i * 1000).toISOString(),
  }));
  const res = await t.app.inject({
    method: 'POST',
    url: '/internal/samples',
    headers: serviceHeaders,
    payload: { samples },
  });
  assert.equal(res.statusCode, 202);
  const from = new Date(minute).toISOString();
  const to = new Date(minute + 60_000).toISOString();
  let point: { requests: number; errors: number; p50: number } | undefined;
  for (let i = 0; i < 300 && !point; i += 1) {
    const perf = await t.app.inject({
      method: 'GET',
      url: `/analytics/v1/performance?from=${from}&to=${to}&interval=1m`,
      headers: bearer(t.adminToken),
    });
    assert.equal(perf.statusCode, 200, perf.body);
    const series = perf.json().series.find((s: { route: string }) => s.route === samples[0]!.route);
    point = series?.points[0];
    if (!point) await sleep(100);
  }
  assert.deepEqual([point?.requests, point?.errors], [40, 4]);
  assert.ok(point && Math.abs(point.p50 - 20) <= 2, String(point?.p50));
});
