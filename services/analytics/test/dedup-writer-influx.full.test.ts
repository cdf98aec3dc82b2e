import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startInflux } from '@platform/testing';
import { influxClient } from '../src/store/influx-client.ts';
import { bearer, buildTestAnalytics } from './helper.ts';

/** dedup-writer.test.ts's race on the real InfluxDB store: copies at once, each stored once. */
const influx = await startInflux();
after(() => influx.stop());

test('InfluxDB: copies of a batch sent at once are written once each', async () => {
  const t = await buildTestAnalytics({ INFLUX_URL: influx.url, INFLUX_DB: 'dedup' });
  const client = influxClient({ url: influx.url, database: 'dedup' });
  const user = await t.user();
  const send = (copy: number) =>
    t.app.inject({
      method: 'POST',
      url: '/analytics/v1/track-event',
      headers: bearer(user.accessToken),
      payload: {
        events: Array.from({ length: 100 }, (_, i) => ({
          event: 'dup.sent',
          message_id: `m-${i}`,
          properties: { i, copy },
        })),
      },
    });
  const points = async () => {
    await t.drained();
    const [[series] = []] = await client.query(
      `SELECT COUNT(event_id) FROM events WHERE "event" = 'dup.sent'`,
    );
    return Number(series?.values[0]?.[1] ?? 0);
  };
  for (const res of await Promise.all(Array.from({ length: 6 }, (_, k) => send(k)))) {
    assert.equal(res.statusCode, 202, res.body);
  }
  assert.equal(await points(), 100);
  await Promise.all([send(6), send(7)]);
  assert.equal(await points(), 100);
});
