import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Type } from 'typebox';
import { createApp } from '../src/index.ts';

/**
 * A number in a query, path or header is taken only in decimal digits (input-strictness.ts,
 * numbersAsWritten), whatever shape its schema has: ajv coerces with Number() in every branch of
 * a union, a nullable type and a registered schema a `$ref` names, so `0x10`, `1e3` or ` 12`
 * reached the handler as 16, 1000 and 12 wherever the schema was not a plain `integer`/`number`.
 */
const app = await createApp({ name: 'demo', logLevel: 'silent' });
app.addSchema({ $id: 'Count', type: 'integer', minimum: 0 });
app.addSchema({
  $id: 'Page',
  type: 'object',
  properties: { size: { type: 'integer' } },
});
const echo = async (request: { query: unknown; params: unknown; headers: unknown }) => ({
  query: request.query,
  params: request.params,
  header: (request.headers as Record<string, unknown>)['x-count'],
});
app.get(
  '/union',
  {
    schema: { querystring: Type.Object({ n: Type.Union([Type.Integer(), Type.Literal('all')]) }) },
  },
  echo,
);
app.get(
  '/optional',
  { schema: { querystring: Type.Object({ n: Type.Optional(Type.Integer()) }) } },
  echo,
);
app.get(
  '/nullable',
  { schema: { querystring: Type.Object({ n: Type.Union([Type.Integer(), Type.Null()]) }) } },
  echo,
);
app.get(
  '/type-list',
  { schema: { querystring: Type.Object({ n: Type.Unsafe({ type: ['integer', 'null'] }) }) } },
  echo,
);
app.get('/ref', { schema: { querystring: Type.Object({ n: Type.Ref('Count') }) } }, echo);
app.get('/ref-whole', { schema: { querystring: Type.Ref('Page') } }, echo);
app.get(
  '/list',
  {
    schema: {
      querystring: Type.Object({
        n: Type.Array(Type.Union([Type.Number(), Type.Literal('x')])),
      }),
    },
  },
  echo,
);
app.get(
  '/path/:n',
  { schema: { params: Type.Object({ n: Type.Union([Type.Integer(), Type.Literal('me')]) }) } },
  echo,
);
app.get(
  '/header',
  {
    schema: {
      headers: Type.Object({ 'X-Count': Type.Optional(Type.Union([Type.Integer(), Type.Null()])) }),
    },
  },
  echo,
);
app.post(
  '/ref-body',
  { schema: { body: Type.Object({ n: Type.Ref('Count') }) } },
  async (request) => ({
    body: request.body,
  }),
);
await app.ready();
after(() => app.close());

async function refused(url: string, field: string, headers: Record<string, string> = {}) {
  const response = await app.inject({ url, headers });
  assert.equal(response.statusCode, 400, `${url} ${JSON.stringify(headers)}: ${response.body}`);
  const body = response.json() as { errors: { field: string; message: string }[] };
  assert.deepEqual(
    body.errors.map((e) => [e.field, e.message]),
    [[field, 'must be a number in decimal digits']],
    url,
  );
}

async function taken(url: string, headers: Record<string, string> = {}) {
  const response = await app.inject({ url, headers });
  assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
  return response.json() as { query: { n?: unknown }; params: { n?: unknown }; header: unknown };
}

/** Number() reads each of these as a number; none is one in decimal digits. */
const NOT_DECIMAL = ['0x10', '1e3', '%2012', '12%20', '0b11', '0o7', '%20'];

test('a union of a number and a literal (Type.Union): the literal as written, numbers in digits', async () => {
  for (const value of NOT_DECIMAL) await refused(`/union?n=${value}`, 'n');
  assert.equal((await taken('/union?n=12')).query.n, 12);
  assert.equal((await taken('/union?n=all')).query.n, 'all');
  // Neither a number nor the literal: ajv's own message, as before.
  assert.equal((await app.inject({ url: '/union?n=some' })).statusCode, 400);
});

test('an optional number (Type.Optional)', async () => {
  for (const value of NOT_DECIMAL) await refused(`/optional?n=${value}`, 'n');
  assert.equal((await taken('/optional?n=12')).query.n, 12);
  assert.deepEqual((await taken('/optional')).query, {});
});

test('a nullable number (Type.Union with Type.Null): an empty value is null, others in digits', async () => {
  for (const value of NOT_DECIMAL) await refused(`/nullable?n=${value}`, 'n');
  assert.equal((await taken('/nullable?n=12')).query.n, 12);
  assert.equal((await taken('/nullable?n=')).query.n, null);
});

test("a list of types (type: ['integer', 'null'])", async () => {
  for (const value of NOT_DECIMAL) await refused(`/type-list?n=${value}`, 'n');
  assert.equal((await taken('/type-list?n=-12')).query.n, -12);
  assert.equal((await taken('/type-list?n=')).query.n, null);
});

test('a $ref to a registered schema, for one parameter or the whole query', async () => {
  for (const value of NOT_DECIMAL) {
    await refused(`/ref?n=${value}`, 'n');
    await refused(`/ref-whole?size=${value}`, 'size');
  }
  assert.equal((await taken('/ref?n=12')).query.n, 12);
  assert.deepEqual((await taken('/ref-whole?size=12')).query, { size: 12 });
});

test('a repeated parameter of a union, each value', async () => {
  await refused('/list?n=1&n=0x10', 'n');
  await refused('/list?n=x&n=%201.5', 'n');
  assert.deepEqual((await taken('/list?n=1.5&n=x&n=1e3')).query.n, [1.5, 'x', 1000]);
});

test('a path parameter and a header of such shapes', async () => {
  for (const value of ['0x10', '1e3', '%2012']) await refused(`/path/${value}`, 'n');
  assert.equal((await taken('/path/12')).params.n, 12);
  assert.equal((await taken('/path/me')).params.n, 'me');
  for (const value of ['0x10', '1e3', ' 12']) {
    await refused('/header', 'x-count', { 'x-count': value });
  }
  assert.equal((await taken('/header', { 'x-count': '12' })).header, 12);
});

test('a registered integer a $ref names holds no more than ±(2^53 − 1), as a plain one', async () => {
  // 9007199254740993 was taken as …992: the bound was added to a route's own schemas only.
  const query = await app.inject({ url: '/ref?n=9007199254740993' });
  assert.equal(query.statusCode, 400, query.body);
  const body = await app.inject({
    method: 'POST',
    url: '/ref-body',
    headers: { 'content-type': 'application/json' },
    payload: '{"n":9007199254740993}',
  });
  assert.equal(body.statusCode, 400, body.body);
  assert.deepEqual(
    (body.json() as { errors: { field: string }[] }).errors.map((e) => e.field),
    ['n'],
  );
  assert.equal((await taken('/ref?n=9007199254740991')).query.n, 9007199254740991);
});
