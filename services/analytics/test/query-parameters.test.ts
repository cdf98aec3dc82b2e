import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAnalytics } from './helper.ts';

const t = await buildTestAnalytics();
const user = await t.user();
const A = '/analytics/v1';

/** [url, the field the 400 names]: each was a 500 (or a 503) once. */
const cases: [string, string][] = [
  [`${A}/user-activity?user_id=a%00b`, 'user_id'],
  [`${A}/performance?service=main%00`, 'service'],
  // InfluxQL's string literals cannot hold a line break.
  [`${A}/user-activity?user_id=a%0Ab`, 'user_id'],
  [`${A}/performance?service=main%0D`, 'service'],
  [`${A}/user-activity?limit=Infinity`, 'limit'],
  [`${A}/user-activity?limit=-Infinity`, 'limit'],
  [`${A}/user-activity?limit=1e400`, 'limit'],
  [`${A}/reports?type=top-events&limit=Infinity`, 'limit'],
  [`${A}/reports?type=top-routes&limit=1e400`, 'limit'],
  [`${A}/destinations/dead-letters?limit=Infinity`, 'limit'],
  [`${A}/ingestion/dead-letters?limit=-Infinity`, 'limit'],
  // A leap second passes the date-time format; Date.parse cannot read it.
  [`${A}/user-activity?from=2016-12-31T23:59:60Z`, 'from'],
  [`${A}/performance?to=2016-12-31T23:59:60Z`, 'to'],
  [`${A}/reports?type=signups&from=2016-12-31T23:59:60Z`, 'from'],
  // Outside what InfluxDB's nanosecond times can hold.
  [`${A}/user-activity?from=1000-01-01T00:00:00Z`, 'from'],
  [`${A}/user-activity?to=9999-12-31T00:00:00Z`, 'to'],
  // A date alone that does not exist, which Date.parse rolls over into the next month.
  [`${A}/reports?type=signups&from=2026-02-30`, 'from'],
  [`${A}/performance?to=2026-04-31`, 'to'],
];

for (const [url, field] of cases) {
  test(`${url.slice(A.length)} is a 400 naming ${field}`, async () => {
    const res = await t.app.inject({ url, headers: bearer(t.adminToken) });
    assert.equal(res.statusCode, 400, res.body);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    const fields = (res.json().errors as { field: string }[]).map((e) => e.field);
    assert.ok(fields.includes(field), `${field} not in ${fields.join(', ')}`);
  });
}

test('a user is refused a bad parameter too, before their activity is looked up', async () => {
  const res = await t.app.inject({
    url: `${A}/user-activity?event=page.viewed&limit=Infinity`,
    headers: bearer(user.accessToken),
  });
  assert.equal(res.statusCode, 400, res.body);
});

test('ordinary parameters still work', async () => {
  for (const url of [
    `${A}/user-activity?limit=5&from=2016-12-31T23:59:59Z`,
    `${A}/performance?service=main&interval=5m`,
    `${A}/reports?type=top-events&limit=3`,
    `${A}/ingestion/dead-letters?limit=2`,
  ]) {
    const res = await t.app.inject({ url, headers: bearer(t.adminToken) });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
  }
});
