import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startInflux } from '@platform/testing';
import { bearer, buildTestAnalytics } from './helper.ts';

const influx = await startInflux();
after(() => influx.stop());
const t = await buildTestAnalytics({ INFLUX_URL: influx.url, INFLUX_DB: 'fresh' });
const get = (url: string) => t.app.inject({ url, headers: bearer(t.adminToken) });

test('InfluxDB: reads before anything was written answer empty, not 500', async () => {
  const activity = await get('/analytics/v1/user-activity');
  assert.equal(activity.statusCode, 200, activity.body);
  assert.deepEqual(activity.json().items, []);
  const report = await get('/analytics/v1/reports?type=top-events');
  assert.equal(report.statusCode, 200, report.body);
});

test('InfluxDB: parameters InfluxQL cannot quote are 400 naming them, not 503 or 500', async () => {
  for (const [url, field] of [
    ['/analytics/v1/user-activity?user_id=a%0Ab', 'user_id'],
    ['/analytics/v1/user-activity?user_id=a%00', 'user_id'],
    ['/analytics/v1/performance?service=a%0Db', 'service'],
    ['/analytics/v1/user-activity?to=9999-01-01T00:00:00Z', 'to'],
  ] as const) {
    const res = await get(url);
    assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
    assert.deepEqual(
      res.json().errors.map((e: { field: string }) => e.field),
      [field],
    );
  }
  // Quotes and backslashes are escaped, not refused.
  const quoted = await get("/analytics/v1/user-activity?user_id=a'%20OR%20''='%5C");
  assert.equal(quoted.statusCode, 200, quoted.body);
  assert.deepEqual(quoted.json().items, []);
});
