import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startInflux } from '@platform/testing';
import { influxClient } from '../src/store/influx-client.ts';
import { bearer, buildTestAnalytics, serviceHeaders, sql } from './helper.ts';

/**
 * A point of InfluxDB is its series (measurement and tags) and its time. A point's
 * sub-millisecond digits were its item's seq (queue row × 1000 + index) modulo 10⁶: two events of
 * one name at the same millisecond — a client's own timestamps, e.g. an import stamped to the
 * second — in queue rows 1000 apart were one point, the later overwriting the earlier (review).
 * Now they are its point number modulo 10⁶ (src/ingestion/point-numbers.ts), dense across rows
 * and stored with each row: such events are a million numbers apart, not 1000 rows.
 */
const influx = await startInflux();
after(() => influx.stop());

/** Moves the queue's sequence on as a thousand requests would. */
async function thousandRowsLater(databaseUrl: string) {
  const [{ seq }] = await sql(databaseUrl, `select last_value::int as seq from queue_seq_seq`);
  await sql(databaseUrl, `select setval('queue_seq_seq', $1)`, [seq + 999]);
}

test('InfluxDB: two events of one name and millisecond in rows 1000 apart are two points', async () => {
  const t = await buildTestAnalytics({ INFLUX_URL: influx.url, INFLUX_DB: 'identity' });
  const client = influxClient({ url: influx.url, database: 'identity' });
  const timestamp = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, '.000Z');
  const send = async () => {
    const user = await t.user();
    const res = await t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: { event: 'import.row', timestamp },
    });
    assert.equal(res.statusCode, 202, res.body);
    await t.drained();
  };
  await send();
  await thousandRowsLater(t.databaseUrl);
  await send();
  const [[series] = []] = await client.query(
    `SELECT COUNT(event_id) FROM events WHERE "event" = 'import.row'`,
  );
  assert.equal(Number(series?.values[0]?.[1] ?? 0), 2);
});

test('InfluxDB: two request samples of one series and millisecond in rows 1000 apart are two points', async () => {
  const t = await buildTestAnalytics({ INFLUX_URL: influx.url, INFLUX_DB: 'identity_samples' });
  const client = influxClient({ url: influx.url, database: 'identity_samples' });
  const timestamp = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, '.000Z');
  const send = async (requestId: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/internal/samples',
      headers: serviceHeaders,
      payload: {
        samples: [
          {
            service: 'main',
            route: '/main/v1/import',
            method: 'POST',
            status: 201,
            duration_ms: 3,
            timestamp,
            request_id: requestId,
          },
        ],
      },
    });
    assert.equal(res.statusCode, 202, res.body);
    await t.drained();
  };
  await send('first');
  await thousandRowsLater(t.databaseUrl);
  await send('second');
  const [[series] = []] = await client.query(
    `SELECT request_id FROM requests WHERE "route" = '/main/v1/import'`,
  );
  assert.deepEqual(series?.values.map((v) => v[1]).sort(), ['first', 'second']);
});
