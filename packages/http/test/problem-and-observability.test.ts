import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { Type } from 'typebox';
import { createApp, loggerOptions, problems } from '../src/index.ts';

const logs = logCapture();
const app = await createApp({
  name: 'demo',
  prefix: '/demo/v1',
  logger: pino(loggerOptions('demo', 'info'), logs.stream),
  bodyLimit: 1024,
});
let healthy = true;
app.addReadinessCheck('dependency', async () => {
  if (!healthy) throw new Error('dependency down');
});
app.post(
  '/demo/v1/items',
  {
    schema: {
      body: Type.Object({
        name: Type.String({ minLength: 1 }),
        count: Type.Integer({ minimum: 0 }),
      }),
      querystring: Type.Object({ dry_run: Type.Optional(Type.Boolean()) }),
      response: { 201: Type.Object({ name: Type.String() }) },
    },
  },
  async (request, reply) => reply.code(201).send({ name: request.body.name }),
);
app.get('/demo/v1/boom', async () => {
  throw new Error('secret internals: select * from users');
});
app.get('/demo/v1/query-failure', async () => {
  // The shape of Drizzle's DrizzleQueryError: values in `params` and in the message.
  const error = new Error('Failed query: insert into users values ($1)\nparams: $argon2id$secret');
  Object.assign(error, { params: ['$argon2id$secret'], cause: new Error('duplicate key') });
  throw error;
});
app.get('/demo/v1/query-outage', async () => {
  // A DrizzleQueryError (exact message shape) over PostgreSQL shutting down: a parameter with a
  // line break in it (a post's body, a note) must not reach the log past its first line.
  const params = ['a title', 'first line\nsecond line holds private-text-4711'];
  const error = new Error(`Failed query: insert into posts values ($1, $2)\nparams: ${params}`);
  const cause = Object.assign(new Error('terminating connection due to administrator command'), {
    code: '57P01',
  });
  Object.assign(error, { params, cause });
  throw error;
});
app.get('/demo/v1/conflict', async () => {
  throw problems.conflict('Already there.', [{ field: 'name', message: 'is taken' }]);
});
await app.ready();
after(() => app.close());

const PROBLEM = 'application/problem+json; charset=utf-8';

test('a schema violation is 400 problem+json listing each field', async () => {
  const res = await app.inject({
    method: 'POST',
    url: '/demo/v1/items?dry_run=maybe',
    payload: { name: 'x', count: 1 },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.headers['content-type'], PROBLEM);
  assert.deepEqual(res.json().errors, [{ field: 'dry_run', message: 'must be boolean' }]);

  const body = await app.inject({
    method: 'POST',
    url: '/demo/v1/items',
    payload: { name: '', count: -1 },
  });
  const problem = body.json();
  assert.equal(problem.status, 400);
  assert.equal(problem.title, 'Bad Request');
  assert.equal(problem.type, 'about:blank');
  assert.equal(problem.request_id, body.headers['x-request-id']);
  assert.deepEqual(problem.errors.map((e: { field: string }) => e.field).sort(), ['count', 'name']);

  const missing = await app.inject({ method: 'POST', url: '/demo/v1/items', payload: {} });
  assert.deepEqual(
    missing
      .json()
      .errors.map((e: { field: string }) => e.field)
      .sort(),
    ['count', 'name'],
  );
});

test('malformed JSON, an oversized body and an unknown media type are client errors', async () => {
  const malformed = await app.inject({
    method: 'POST',
    url: '/demo/v1/items',
    headers: { 'content-type': 'application/json' },
    payload: '{"name": ',
  });
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.headers['content-type'], PROBLEM);

  const large = await app.inject({
    method: 'POST',
    url: '/demo/v1/items',
    payload: { name: 'x'.repeat(2000), count: 1 },
  });
  assert.equal(large.statusCode, 413);
  assert.equal(large.headers['content-type'], PROBLEM);

  const xml = await app.inject({
    method: 'POST',
    url: '/demo/v1/items',
    headers: { 'content-type': 'application/xml' },
    payload: '<x/>',
  });
  assert.equal(xml.statusCode, 415);
  assert.equal(xml.headers['content-type'], PROBLEM);
});

test('an unknown route is 404 problem+json', async () => {
  const res = await app.inject({ url: '/nowhere?token=abc' });
  assert.equal(res.statusCode, 404);
  assert.equal(res.headers['content-type'], PROBLEM);
  assert.equal(res.json().detail, 'No route for GET /nowhere.');
});

test('an unexpected error is a generic 500 and its stack is logged, not sent', async () => {
  const res = await app.inject({ url: '/demo/v1/boom' });
  assert.equal(res.statusCode, 500);
  assert.equal(res.json().detail, 'An unexpected error occurred.');
  assert.ok(!res.body.includes('select'));
  const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'unhandled error');
  assert.match(line.err.stack, /secret internals/);
  assert.equal(line.request_id, res.headers['x-request-id']);
});

test('a failed query is logged with its SQL but without its parameters', async () => {
  const res = await app.inject({ url: '/demo/v1/query-failure' });
  assert.equal(res.statusCode, 500);
  const line = logs.lines
    .map((l) => JSON.parse(l))
    .find((l) => l.request_id === res.headers['x-request-id'] && l.err);
  assert.match(line.err.message, /insert into users/);
  assert.match(line.err.stack, /caused by: Error: duplicate key/);
  assert.equal(line.err.params, undefined);
  assert.ok(!logs.text().includes('$argon2id$secret'));
});

test("an aggregate's failed queries are each logged without their parameters", () => {
  // pino writes an aggregate's `errors` out itself (`aggregateErrors`, and `errors` as they are):
  // each failed query's values but the first's (the cause, cut out) reached the line.
  const queryError = (value: string) => {
    const error = new Error(`Failed query: update events where user_id = $1\nparams: ${value}`);
    return Object.assign(error, { params: [value], cause: new Error('lock timeout') });
  };
  const first = queryError('first-value-4711');
  const aggregate = new AggregateError([first, queryError('second-value-4712')], 'both failed', {
    cause: first,
  });
  const captured = logCapture();
  pino(loggerOptions('demo', 'info'), captured.stream).warn({ err: aggregate }, 'both failed');
  assert.ok(!captured.text().includes('-value-471'), captured.text());
  const { err } = JSON.parse(captured.lines[0]!);
  assert.equal(err.errors, undefined);
  assert.equal(err.aggregateErrors.length, 2);
  for (const each of err.aggregateErrors) {
    assert.match(each.message, /update events where user_id = \$1\nparams: \[redacted\]/);
    assert.match(each.stack, /caused by: Error: lock timeout/);
  }
});

test('an unreachable database is 503 and its failed query is logged without any parameter', async () => {
  const res = await app.inject({ url: '/demo/v1/query-outage' });
  assert.equal(res.statusCode, 503);
  assert.equal(res.headers['retry-after'], '5');
  const line = logs.lines
    .map((l) => JSON.parse(l))
    .find((l) => l.request_id === res.headers['x-request-id'] && l.err);
  assert.equal(line.level, 'warn');
  assert.match(line.err.message, /insert into posts/);
  assert.match(line.err.stack, /at /);
  assert.ok(!logs.text().includes('private-text-4711'));
});

test('a thrown problem keeps its status, detail and field errors', async () => {
  const res = await app.inject({ url: '/demo/v1/conflict' });
  assert.equal(res.statusCode, 409);
  assert.deepEqual(res.json().errors, [{ field: 'name', message: 'is taken' }]);
});

test('x-request-id is echoed when sane and replaced when not', async () => {
  // Visible ASCII up to 200 characters (but `"` and `\`) is the caller's id to keep (the contract
  // echoes the caller's id); once only letters, digits and ._:- were, and `a/b` or `{uuid}` not.
  for (const id of [
    'abc-123',
    'a/b',
    '{6f1c1b9e-6a41-4c53-9a9e-2f7d1c0b8e11}',
    'a+b=c@d,e',
    'x'.repeat(200),
  ]) {
    const kept = await app.inject({ url: '/health/live', headers: { 'x-request-id': id } });
    assert.equal(kept.headers['x-request-id'], id);
  }
  for (const id of ['bad id\nwith newline', 'with space', 'é', 'a"b', 'a\\b', 'x'.repeat(201)]) {
    const replaced = await app.inject({ url: '/health/live', headers: { 'x-request-id': id } });
    assert.match(String(replaced.headers['x-request-id']), /^[0-9a-f-]{36}$/, id);
  }
  const generated = await app.inject({ url: '/health/live' });
  assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('every request log line carries the request id', async () => {
  await app.inject({ url: '/demo/v1/conflict', headers: { 'x-request-id': 'trace-me-42' } });
  const lines = logs.lines.map((l) => JSON.parse(l)).filter((l) => l.request_id === 'trace-me-42');
  assert.ok(lines.length >= 2, 'incoming and completed lines');
});

test('/health/ready reflects its checks; /health/live does not', async () => {
  assert.equal((await app.inject({ url: '/health/ready' })).statusCode, 200);
  healthy = false;
  const down = await app.inject({ url: '/health/ready' });
  assert.equal(down.statusCode, 503);
  assert.equal(down.json().checks.dependency, 'dependency down');
  assert.equal((await app.inject({ url: '/health/live' })).statusCode, 200);
  healthy = true;
});

test('/metrics exposes process metrics and request durations by route and status', async () => {
  await app.inject({ url: '/demo/v1/conflict' });
  const res = await app.inject({ url: '/metrics' });
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /^text\/plain/);
  assert.match(res.body, /process_resident_memory_bytes/);
  assert.match(
    res.body,
    /http_request_duration_seconds_count\{service="demo",method="GET",route="\/demo\/v1\/conflict",status_code="409"\} \d+/,
  );
  assert.match(res.body, /route="unmatched",status_code="404"/);
});

test('the OpenAPI 3.1 document lists the routes and hides health and metrics', async () => {
  const doc = (await app.inject({ url: '/demo/v1/openapi.json' })).json();
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.paths['/demo/v1/items'].post);
  assert.equal(doc.paths['/health/live'], undefined);
  assert.equal(doc.paths['/metrics'], undefined);
});

test('a response names the route template that matched, for the gateway; an unknown path none', async () => {
  const matched = await app.inject({
    method: 'POST',
    url: '/demo/v1/items?dry_run=true',
    payload: {},
  });
  assert.equal(matched.headers['x-internal-route'], '/demo/v1/items');
  const unknown = await app.inject({ url: '/demo/v1/nope' });
  assert.equal(unknown.statusCode, 404);
  assert.equal(unknown.headers['x-internal-route'], undefined);
});

test("a problem's code is on its request's 'request completed' line, where logs say why a 4xx", async () => {
  // A page's analytics.js refused 403 origin_not_allowed showed in the service's log as a bare
  // statusCode 403: the reason was in the body alone, which the browser drops.
  const conflict = await app.inject({ url: '/demo/v1/conflict' });
  const invalid = await app.inject({ method: 'POST', url: '/demo/v1/items', payload: {} });
  const fine = await app.inject({
    method: 'POST',
    url: '/demo/v1/items',
    payload: { name: 'x', count: 1 },
  });
  const completed = (res: { headers: Record<string, unknown> }) =>
    logs.lines
      .map((l) => JSON.parse(l))
      .find((l) => l.request_id === res.headers['x-request-id'] && l.msg === 'request completed');
  assert.equal(completed(conflict).code, 'conflict');
  assert.equal(completed(conflict).res.statusCode, 409);
  assert.equal(completed(invalid).code, 'validation_failed');
  assert.equal(fine.statusCode, 201);
  assert.equal(completed(fine).code, undefined);
});
