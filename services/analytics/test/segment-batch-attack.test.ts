import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { basicAuth, bearer, buildTestAnalytics, newWriteKey, sql } from './helper.ts';

/**
 * A Segment batch judged message by message (segment-batch-bad-message.test.ts), attacked: what
 * a batch sets aside may never let in what the single routes refuse, its errors name the right
 * message, a hostile body costs no more than before, and the envelope is judged whole.
 */
const t = await buildTestAnalytics({ EVENT_NAMES_MAX: '1000' });
const base = '/analytics/v1';

const newKey = async (body?: Record<string, unknown>) => (await newWriteKey(t, body)).key;

const key = await newKey();
const basic = (k: string) => ({ authorization: basicAuth(k) });

/** A raw JSON text, so escapes (`\ud800`, `1e400`) arrive as a client wrote them. */
const sendRaw = (text: string, k = key, path = '/batch', headers = {}) =>
  t.app.inject({
    method: 'POST',
    url: `${base}${path}`,
    headers: { ...basic(k), 'content-type': 'application/json', ...headers },
    payload: text,
  });
const sendBatch = (batch: object[], extra: object = {}) =>
  sendRaw(JSON.stringify({ batch, ...extra }));

const stored = async (userId: string) =>
  (
    await sql(
      t.databaseUrl,
      'select event_id, name, source from events where user_id = $1 order by event_id',
      [userId],
    )
  ).map((r) => r.event_id as string);

interface Problem {
  status: number;
  code: string;
  detail: string;
  errors: { field: string; message: string }[];
}
const cpuMs = (start: NodeJS.CpuUsage) => {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
};
const fields = (body: string) => (JSON.parse(body) as Problem).errors.map((e) => e.field);

test('reserved names, deep nesting, non-finite numbers and NUL keys in a batch are refused by index', async () => {
  const u = `probe-${randomUUID()}`;
  let deep = '1';
  for (let i = 0; i < 100; i += 1) deep = `{"a":${deep}}`;
  const messages = [
    `{"type":"track","userId":"${u}","event":"Fine","messageId":"${u}-0"}`,
    `{"type":"track","userId":"${u}","event":"user.signed_up","messageId":"${u}-1"}`,
    `{"type":"track","userId":"${u}","event":"Deep","properties":${deep},"messageId":"${u}-2"}`,
    `{"type":"track","userId":"${u}","event":"Inf","properties":{"n":[1,{"x":-1e400}]},"messageId":"${u}-3"}`,
    `{"type":"track","userId":"${u}","event":"Nul","properties":{"k\\u0000":1},"messageId":"${u}-4"}`,
    `{"type":"track","userId":"${u}","event":"post.created","messageId":"${u}-5"}`,
    `{"type":"identify","userId":"${u}","traits":{"a":"\\udc00"},"messageId":"${u}-6"}`,
    `{"type":"page","userId":"${u}","name":"Ok","messageId":"${u}-7"}`,
  ];
  const res = await sendRaw(`{"batch":[${messages.join(',')}]}`);
  assert.equal(res.statusCode, 400, res.body);
  const problem = res.json() as Problem;
  assert.match(problem.detail, /^2 of 8 messages were accepted and 6 refused/);
  const byField = problem.errors.map((e) => e.field);
  assert.equal(byField[0], 'batch.1.event');
  assert.ok(byField[1]!.startsWith('batch.2.properties.a.a.'), byField[1]);
  assert.deepEqual(byField.slice(2), [
    'batch.3.properties.n.1.x',
    'batch.4.properties.k\\u0000',
    'batch.5.event',
    'batch.6.traits.a',
  ]);
  await t.drained();
  assert.deepEqual(await stored(u), [`${u}-0`, `${u}-7`]);
  // The refused messages' names spent no room in the registry; the kept one's is registered.
  const names = await sql(
    t.databaseUrl,
    "select name from event_names where name in ('Fine', 'Deep', 'Inf', 'Nul') order by name",
  );
  assert.deepEqual(
    names.map((r) => r.name),
    ['Fine'],
  );
});

test('an unsound envelope fails the batch whole; an unknown member beside valid messages is taken', async () => {
  const u = `envelope-${randomUUID()}`;
  const good = { type: 'track', userId: u, event: 'Good', messageId: `${u}-1` };
  const bad = { type: 'track', userId: u, messageId: `${u}-2` };
  const badSchema = { type: 'track', userId: u, event: 'X', properties: 5, messageId: `${u}-3` };
  for (const extra of [
    { sentAt: 'yesterday' },
    { context: 'web' },
    { integrations: [] },
    { writeKey: 5 },
    { writeKey: 'k'.repeat(201) },
    { junk: 'a\u0000' },
    { 'x\ud800': 1 },
  ]) {
    const res = await sendBatch([good, badSchema, bad], extra);
    assert.equal(res.statusCode, 400, `${JSON.stringify(extra)} ${res.body}`);
    assert.doesNotMatch(res.json().detail, /accepted/, JSON.stringify(extra));
    // Every message valid: the envelope's error alone, as before the batch was split.
    const valid = await sendBatch([good, { ...good, messageId: `${u}-4` }], extra);
    assert.equal(valid.statusCode, 400, `${JSON.stringify(extra)} ${valid.body}`);
    assert.equal(valid.json().detail, 'The request body is invalid.');
    assert.ok(
      fields(valid.body).every((f) => !f.startsWith('batch')),
      fields(valid.body).join(),
    );
  }
  // All messages valid, an envelope member we do not know: taken as before.
  const ok = await sendBatch([good], { junk: { any: 'thing' }, version: 2 });
  assert.equal(ok.statusCode, 200, ok.body);
  await t.drained();
  assert.deepEqual(await stored(u), [`${u}-1`]);
});

test("a browser key's origin and kind are checked before a mixed batch stores anything", async () => {
  const shop = 'https://shop.example.com';
  const browserKey = await newKey({ name: 'shop', kind: 'browser', origins: [shop] });
  const u = `origin-${randomUUID()}`;
  const mixed = JSON.stringify({
    writeKey: browserKey,
    batch: [
      { type: 'track', userId: u, event: 'Good', messageId: `${u}-1` },
      { type: 'track', userId: u, event: 'Bad', properties: 'x', messageId: `${u}-2` },
    ],
  });
  const elsewhere = await t.app.inject({
    method: 'POST',
    url: `${base}/b`,
    headers: { 'content-type': 'text/plain', origin: 'https://evil.example' },
    payload: mixed,
  });
  assert.equal(elsewhere.statusCode, 403, elsewhere.body);
  const none = await t.app.inject({
    method: 'POST',
    url: `${base}/b`,
    headers: { 'content-type': 'text/plain' },
    payload: mixed,
  });
  assert.equal(none.statusCode, 403, none.body);
  // The browser key on the server's batch route, the server key on the browser's.
  const wrongRoute = await sendRaw(mixed, browserKey, '/batch', { origin: shop });
  assert.equal(wrongRoute.statusCode, 401, wrongRoute.body);
  const serverOnB = await sendRaw(mixed, key, '/b', { origin: shop });
  assert.equal(serverOnB.statusCode, 401, serverOnB.body);
  await t.drained();
  assert.deepEqual(await stored(u), []);
  const right = await t.app.inject({
    method: 'POST',
    url: `${base}/b`,
    headers: { 'content-type': 'text/plain', origin: shop },
    payload: mixed,
  });
  assert.equal(right.statusCode, 400, right.body);
  assert.deepEqual(fields(right.body), ['batch.1.properties']);
  await t.drained();
  assert.deepEqual(await stored(u), [`browser:${u}-1`]);
});

test('indices stay right through the schema, the semantic checks, the size and the registry', async () => {
  const u = `index-${randomUUID()}`;
  const res = await sendBatch([
    { type: 'track', userId: u, event: 'A', properties: [], messageId: `${u}-0` },
    { type: 'track', userId: u, event: 'B', properties: { s: 'a'.repeat(33_000) } },
    { type: 'track', userId: u, messageId: `${u}-2` },
    { type: 'nope', userId: u, event: 'C', messageId: `${u}-3` },
    { type: 'track', userId: u, event: 'Kept', messageId: `${u}-4` },
    { type: 'alias', userId: u, messageId: `${u}-5` },
  ]);
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(fields(res.body), [
    'batch.0.properties',
    'batch.1',
    'batch.2.event',
    'batch.3.type',
    'batch.5.previousId',
  ]);
  await t.drained();
  assert.deepEqual(await stored(u), [`${u}-4`]);
});

test('an alias accepted beside a refused identify links the ids; the refused traits are not kept', async () => {
  const u = `stitch-${randomUUID()}`;
  const anon = `anon-${randomUUID()}`;
  const before = await sendBatch([
    { type: 'track', anonymousId: anon, event: 'Browsed', messageId: `${u}-0` },
  ]);
  assert.equal(before.statusCode, 200, before.body);
  const res = await sendBatch([
    { type: 'identify', userId: u, traits: { plan: 'bad\ud800' }, messageId: `${u}-1` },
    { type: 'alias', userId: u, previousId: anon, messageId: `${u}-2` },
    { type: 'identify', userId: u, traits: { name: 'Ann' }, messageId: `${u}-3` },
  ]);
  assert.equal(res.statusCode, 400, res.body);
  assert.deepEqual(fields(res.body), ['batch.0.traits.plan']);
  await t.drained();
  const profile = await t.app.inject({
    url: `${base}/profiles/${u}`,
    headers: bearer(t.adminToken),
  });
  assert.equal(profile.statusCode, 200, profile.body);
  assert.deepEqual(profile.json().traits, { name: 'Ann' });
  assert.deepEqual(profile.json().anonymous_ids, [anon]);
  const activity = await t.app.inject({
    url: `${base}/user-activity?user_id=${u}`,
    headers: bearer(t.adminToken),
  });
  assert.deepEqual(
    activity
      .json()
      .items.map((e: { id: string }) => e.id)
      .sort(),
    [`${u}-0`, `${u}-2`, `${u}-3`],
  );
});

test('20 000 tiny invalid messages beside a valid one: a bounded answer, in about the time a refused batch takes', async () => {
  const u = `cpu-${randomUUID()}`;
  const tiny = '{"type":"x"}';
  // As many as a batch may hold (MAX_BATCH_MESSAGES; 500 KB of them would be 39 000).
  const n = 20_000;
  const valid = `{"type":"track","userId":"${u}","event":"Kept","messageId":"${u}-0"}`;
  const all = `{"batch":[${Array(n).fill(tiny).join(',')}]}`;
  const mixed = `{"batch":[${valid},${Array(n - 6)
    .fill(tiny)
    .join(',')}]}`;
  assert.ok(Buffer.byteLength(mixed) < 500 * 1024);
  // Warm both paths.
  await sendRaw(all);
  await sendRaw(mixed);
  let start = process.cpuUsage();
  const refused = await sendRaw(all);
  const refusedMs = cpuMs(start);
  assert.equal(refused.statusCode, 400);
  start = process.cpuUsage();
  const res = await sendRaw(mixed);
  const mixedMs = cpuMs(start);
  assert.equal(res.statusCode, 400, res.body.slice(0, 500));
  const problem = res.json() as Problem;
  assert.match(problem.detail, new RegExp(`^1 of ${n - 5} messages were accepted`));
  assert.equal(problem.errors.length, 100);
  assert.ok(res.body.length < 20_000, String(res.body.length));
  assert.ok(mixedMs < refusedMs * 4 + 500, `${mixedMs} ms against ${refusedMs} ms`);
  await t.drained();
  assert.deepEqual(await stored(u), [`${u}-0`]);
});

test('a batch of more messages than 500 KB of valid ones can hold is refused whole, judged from its first', async () => {
  // 500 KB of `{}` was 160 000 messages judged and refused one by one (~1 s, ~90 MB each).
  const u = `many-${randomUUID()}`;
  const valid = `{"type":"track","userId":"${u}","event":"Kept","messageId":"${u}-0"}`;
  const tiny = await sendRaw(`{"batch":[${valid},${Array(100_000).fill('{}').join(',')}]}`);
  assert.equal(tiny.statusCode, 400, tiny.body.slice(0, 500));
  const problem = tiny.json() as Problem;
  assert.deepEqual(problem.errors[0], {
    field: 'batch',
    message: 'must NOT have more than 20000 items',
  });
  // Bad types: only the first 20 001 messages are looked at (ajv checked all 45 000).
  const typed = await sendRaw(`{"batch":[${Array(45_000).fill('{"type":1}').join(',')}]}`);
  assert.equal(typed.statusCode, 400);
  assert.match((typed.json() as Problem).detail, /The first 100 of 20002 errors are listed\.$/);
  await t.drained();
  // Nothing of a refused batch is stored, its valid first message included.
  assert.deepEqual(await stored(u), []);
});

test('a hostile value in either message of a two-message batch is never a 5xx (the sweep sends batches of one)', async () => {
  const { assertSweepClean, sweepHostileInput } = await import('@platform/testing');
  const page = await newKey({ name: 'hostile page', kind: 'browser', origins: ['*'] });
  const doc = (await t.app.inject({ url: `${base}/openapi.json` })).json();
  const message = { userId: 'u', event: 'hostile', properties: { a: 1 }, traits: { t: 1 } };
  const two = {
    batch: [
      { ...message, type: 'track' },
      { ...message, type: 'track' },
    ],
  };
  const { sent, faults } = await sweepHostileInput(t.app, doc, {
    bodyLimit: 5 * 1024 * 1024,
    nested: true,
    skip: (op) => op.path !== `${base}/batch` && op.path !== `${base}/b`,
    bodies: { [`POST ${base}/batch`]: two, [`POST ${base}/b`]: two },
    authorization: async (op) =>
      `Basic ${Buffer.from(`${op.path.endsWith('/b') ? page : key}:`).toString('base64')}`,
  });
  await assertSweepClean(t.app, { sent, faults }, 200);
});

test("a batch's answer is bounded in bytes: refused messages under huge keys are named by their start", async () => {
  const u = `bytes-${randomUUID()}`;
  const long = 'k'.repeat(90_000);
  const nul = Array.from({ length: 25 }, (_, i) => `"a${i}":"\\u0000"`).join(',');
  const bad = (i: number) =>
    `{"type":"track","userId":"${u}","event":"Bad","properties":{"${long}${i}":{${nul}}}}`;
  const valid = `{"type":"track","userId":"${u}","event":"Kept","messageId":"${u}-0"}`;
  const body = `{"batch":[${valid},${[1, 2, 3, 4, 5].map(bad).join(',')}]}`;
  assert.ok(body.length < 500 * 1024);
  const res = await sendRaw(body);
  assert.equal(res.statusCode, 400);
  // Five messages, twenty faults named each: 100 errors of 90 KB was a 9 MB answer to 450 KB.
  assert.ok(res.body.length < 200 * 1024, `${res.body.length} characters`);
  const problem = res.json() as Problem;
  assert.match(problem.detail, /^1 of 6 messages were accepted and 5 refused/);
  assert.equal(problem.errors.length, 100);
  assert.deepEqual(
    [...new Set(problem.errors.map((e) => e.field.slice(0, 'batch.1.'.length)))],
    ['batch.1.', 'batch.2.', 'batch.3.', 'batch.4.', 'batch.5.'],
  );
  assert.ok(problem.errors.every((e) => e.field.endsWith('…')));
  await t.drained();
  assert.deepEqual(await stored(u), [`${u}-0`]);
});

test('no message valid, one of them over 32 KB: a 413 naming every refused message', async () => {
  const u = `none-large-${randomUUID()}`;
  const res = await sendBatch([
    { type: 'track', userId: u, event: 'Large', properties: { s: 'a'.repeat(33_000) } },
    { type: 'track', userId: u, event: 'Bad', properties: 5 },
    { type: 'track', userId: u },
  ]);
  assert.equal(res.statusCode, 413, res.body);
  assert.equal(res.json().code, 'payload_too_large');
  assert.deepEqual(fields(res.body), ['batch.0', 'batch.1.properties', 'batch.2.event']);
  await t.drained();
  assert.deepEqual(await stored(u), []);
});
