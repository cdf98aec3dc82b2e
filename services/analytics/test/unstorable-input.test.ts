import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAnalytics, serviceHeaders, sql } from './helper.ts';

const t = await buildTestAnalytics();
const user = await t.user();
const now = () => new Date().toISOString();

/** Sends the body as written: JSON.stringify could not write 1e400. */
const raw = (url: string, body: string, headers: Record<string, string> = {}) =>
  t.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
  });

const queued = async () =>
  Number(
    (
      await sql(
        t.databaseUrl,
        'select (select count(*) from queue) + (select count(*) from events) as n',
      )
    )[0]!.n,
  );

async function refused(res: Awaited<ReturnType<typeof raw>>, field: string) {
  assert.equal(res.statusCode, 400, res.body);
  assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
  const fields = (res.json().errors as { field: string }[]).map((e) => e.field);
  assert.ok(fields.includes(field), `${field} not in ${fields.join(', ')}`);
}

const TRACK = '/analytics/v1/track-event';
/** [what, body of /track-event, the field the 400 names] */
const tracked: [string, string, string][] = [
  [
    'a NUL in a property value',
    '{"event":"a","properties":{"note":"x\\u0000y"}}',
    'properties.note',
  ],
  ['a NUL in a property key', '{"event":"a","properties":{"a\\u0000b":1}}', 'properties.a\\u0000b'],
  ['a lone surrogate in a value', '{"event":"a","properties":{"s":"\\ud800"}}', 'properties.s'],
  [
    'a lone low surrogate in a key',
    '{"event":"a","properties":{"\\udc00":1}}',
    'properties.\\udc00',
  ],
  [
    'a NUL deep in arrays and objects of a batch',
    '{"events":[{"event":"a"},{"event":"b","properties":{"list":[1,{"deep":["\\u0000"]}]}}]}',
    'events.1.properties.list.1.deep.0',
  ],
  ['a number too large for a double', '{"event":"a","properties":{"n":1e400}}', 'properties.n'],
  [
    'a negative one',
    '{"events":[{"event":"a","properties":{"n":[-1e400]}}]}',
    'events.0.properties.n.0',
  ],
  [
    'a leap second, which Date.parse cannot read',
    `{"event":"a","timestamp":"${now().slice(0, 10)}T23:59:60Z"}`,
    'timestamp',
  ],
  [
    'a timestamp past year 9999',
    '{"event":"a","timestamp":"+275760-09-13T00:00:00Z"}',
    'timestamp',
  ],
];

for (const [what, body, field] of tracked) {
  test(`/track-event refuses ${what} with 400, and queues nothing`, async () => {
    const before = await queued();
    await refused(await raw(TRACK, body), field);
    assert.equal(await queued(), before);
  });
}

test('text that only looks like an escape, surrogate pairs and nulls are stored as sent', async () => {
  const properties = { path: 'C:\\u0000\\ud800', emoji: '😀', nothing: null, big: 1e300 };
  const res = await t.app.inject({
    method: 'POST',
    url: TRACK,
    headers: bearer(user.accessToken),
    payload: { event: 'fine.text', properties },
  });
  assert.equal(res.statusCode, 202, res.body);
  await t.drained();
  const activity = await t.app.inject({
    url: '/analytics/v1/user-activity?event=fine.text',
    headers: bearer(user.accessToken),
  });
  assert.deepEqual(activity.json().items[0].properties, properties);
});

const domainEvent = (fields: string) =>
  `{"events":[{"id":"auth:1","type":"user.registered","occurred_at":"${now()}","payload":{}},` +
  `{"id":"auth:2","type":"user.registered","occurred_at":"${now()}","payload":{},${fields}}]}`;
const sample = (fields: string) =>
  `{"samples":[{"service":"main","route":"/x","method":"GET","status":200,"duration_ms":1,"timestamp":"${now()}",${fields}}]}`;

/** [what, url, body, field]: the internal endpoints reach the same queue. */
const internal: [string, string, string, string][] = [
  [
    'a NUL in a payload',
    '/internal/events',
    domainEvent('"payload":{"x":"\\u0000"}'),
    'events.1.payload.x',
  ],
  [
    'a huge number in a payload',
    '/internal/events',
    domainEvent('"payload":{"x":1e999}'),
    'events.1.payload.x',
  ],
  [
    'a NUL in a user id',
    '/internal/events',
    domainEvent('"user_id":"u\\u0000"'),
    'events.1.user_id',
  ],
  [
    'a lone surrogate in an id',
    '/internal/events',
    domainEvent('"id":"auth:\\ud800"'),
    'events.1.id',
  ],
  [
    'a year-0 time',
    '/internal/events',
    domainEvent('"occurred_at":"0000-01-01T00:00:00Z"'),
    'events.1.occurred_at',
  ],
  [
    'a leap second',
    '/internal/events',
    domainEvent('"occurred_at":"2016-12-31T23:59:60Z"'),
    'events.1.occurred_at',
  ],
  [
    'a NUL in a sample service',
    '/internal/samples',
    sample('"service":"m\\u0000"'),
    'samples.0.service',
  ],
  [
    'a NUL in a sample route',
    '/internal/samples',
    sample('"route":"/a\\u0000"'),
    'samples.0.route',
  ],
  [
    'a sample from the year 3000',
    '/internal/samples',
    sample('"timestamp":"3000-01-01T00:00:00Z"'),
    'samples.0.timestamp',
  ],
];

for (const [what, url, body, field] of internal) {
  test(`${url} refuses ${what} with 400, and queues nothing`, async () => {
    const before = await queued();
    await refused(await raw(url, body, serviceHeaders), field);
    assert.equal(await queued(), before);
  });
}

test('a domain event id that starts with a colon still gets a source, and a query-only route a path', async () => {
  const res = await raw('/internal/events', domainEvent('"id":":9"'), serviceHeaders);
  assert.equal(res.statusCode, 202, res.body);
  const samples = await raw('/internal/samples', sample('"route":"?x=1"'), serviceHeaders);
  assert.equal(samples.statusCode, 202, samples.body);
  await t.drained();
  assert.deepEqual(await sql(t.databaseUrl, "select source from events where event_id = ':9'"), [
    { source: 'service' },
  ]);
  assert.deepEqual(await sql(t.databaseUrl, 'select route from samples'), [{ route: '/' }]);
  assert.deepEqual(await sql(t.databaseUrl, 'select * from ingestion_dead_letters'), []);
});
