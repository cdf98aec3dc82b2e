import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { Type } from 'typebox';
import { createApp, namedSchema, namedSchemas } from '../src/index.ts';

// Each route builds its own schema objects, as services' routes do; equal ones are compiled once
// (input-strictness.ts strictValidators, server-options.ts sharedSerializers), different ones each
// their own.
const compiled = new Map<string, { validate: unknown; serialize: unknown }>();
const app = await createApp({ name: 'demo', logLevel: 'silent' });
const routes = {
  '/a/:id': {
    params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
    item: Type.Object({ id: Type.String(), name: Type.String() }),
  },
  '/b/:id': {
    params: Type.Object({ id: Type.String({ format: 'uuid' }) }),
    item: Type.Object({ id: Type.String(), name: Type.String() }),
  },
  '/c/:id': {
    params: Type.Object({ id: Type.String({ maxLength: 5 }) }),
    item: Type.Object({ id: Type.String() }),
  },
};
for (const [url, { params, item }] of Object.entries(routes)) {
  app.get(url, { schema: { params, response: { 200: item } } }, async (request, reply) => {
    compiled.set(url, {
      validate: request.getValidationFunction('params'),
      serialize: reply.getSerializationFunction('200'),
    });
    return { id: (request.params as { id: string }).id, name: 'Name', secret: 'not in the schema' };
  });
}
await app.ready();

test('equal schemas on two routes share one validator and serializer; other schemas get their own', async () => {
  const id = randomUUID();
  for (const path of [`/a/${id}`, `/b/${id}`]) {
    const res = await app.inject(path);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { id, name: 'Name' });
    assert.equal((await app.inject(path.replace(id, 'not-a-uuid'))).statusCode, 400);
  }
  const res = await app.inject('/c/abc');
  assert.equal(res.statusCode, 200, res.body);
  assert.deepEqual(res.json(), { id: 'abc' });
  assert.equal((await app.inject(`/c/${id}`)).statusCode, 400);

  const [a, b, c] = ['/a/:id', '/b/:id', '/c/:id'].map((url) => compiled.get(url)!);
  assert.ok(a!.validate && a!.serialize);
  assert.equal(a!.validate, b!.validate);
  assert.equal(a!.serialize, b!.serialize);
  assert.notEqual(a!.validate, c!.validate);
  assert.notEqual(a!.serialize, c!.serialize);
});

test("a second app built in the same process reuses the first one's validators and serializers", async () => {
  // Tests build dozens of apps of one service per process: compiling again for each was a tenth
  // of the unit tier's CPU.
  const second = await createApp({ name: 'demo', logLevel: 'silent' });
  let seen: { validate: unknown; serialize: unknown } | undefined;
  const { params, item } = routes['/a/:id'];
  second.get('/a/:id', { schema: { params, response: { 200: item } } }, async (request, reply) => {
    seen = {
      validate: request.getValidationFunction('params'),
      serialize: reply.getSerializationFunction('200'),
    };
    return { id: (request.params as { id: string }).id, name: 'Name' };
  });
  await second.ready();
  try {
    const id = randomUUID();
    await app.inject(`/a/${id}`);
    assert.equal((await second.inject(`/a/${id}`)).statusCode, 200);
    assert.equal((await second.inject('/a/not-a-uuid')).statusCode, 400);
    assert.ok(seen?.validate && seen.serialize);
    assert.equal(seen.validate, compiled.get('/a/:id')!.validate);
    assert.equal(seen.serialize, compiled.get('/a/:id')!.serialize);
  } finally {
    await second.close();
  }
});

test("an app answering with a named schema itself leaves it registered for the next app's $ref", async () => {
  // fast-json-stringify-compiler drops a registered schema from the externals it holds once a
  // route's own schema has that $id; held per process, that broke every later app's $ref to it.
  const Item = namedSchema('SharedCompilersItem', Type.Object({ id: Type.String() }));
  const first = await createApp({ name: 'demo', logLevel: 'silent' });
  namedSchemas(first, [Item]);
  first.get('/item', { schema: { response: { 200: Item.schema } } }, async () => ({ id: '1' }));
  const second = await createApp({ name: 'demo', logLevel: 'silent' });
  namedSchemas(second, [Item]);
  second.get('/list', { schema: { response: { 200: Type.Array(Item.ref) } } }, async () => [
    { id: '2', secret: 'not in the schema' },
  ]);
  try {
    await first.ready();
    assert.deepEqual((await first.inject('/item')).json(), { id: '1' });
    await second.ready();
    assert.deepEqual((await second.inject('/list')).json(), [{ id: '2' }]);
  } finally {
    await Promise.all([first.close(), second.close()]);
  }
});
