import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp } from '../src/index.ts';

/**
 * A registered schema that refers to itself (a tree, a filter of `and`, `or` and `not`): the
 * cuts of long arrays are found once per schema, not once per path through it. Walked per path to
 * a fixed depth, three self-references were 3^16 paths — a route registering for minutes, its
 * service never starting — and two took ~0.9 s per route.
 */
test('a schema that refers to itself three times is walked once, and its arrays are cut at any depth', async () => {
  const app = await createApp({ name: 'demo', logLevel: 'silent' });
  app.addSchema({
    $id: 'DemoNode',
    type: 'object',
    properties: {
      tags: { type: 'array', items: { type: 'string' }, maxItems: 2 },
      and: { $ref: 'DemoNode' },
      or: { $ref: 'DemoNode' },
      not: { $ref: 'DemoNode' },
    },
  });
  // Each look-up of a registered schema counted; past 1000 the walk is hopeless (it gives up).
  let lookups = 0;
  const getSchema = app.getSchema.bind(app);
  app.getSchema = ((id: string) => {
    if (++lookups > 1000) throw new Error('walked per path');
    return getSchema(id);
  }) as typeof app.getSchema;
  app.post('/nodes', { schema: { body: { $ref: 'DemoNode' } } }, async () => ({ ok: true }));
  await app.ready();
  assert.ok(lookups <= 10, `${lookups} look-ups of a registered schema`);

  // 40 levels down, 1000 numbers where two strings may be: the answer lists the first three.
  let body: Record<string, unknown> = { tags: Array.from({ length: 1000 }, (_, i) => i) };
  for (let i = 0; i < 40; i++) body = { [['and', 'or', 'not'][i % 3]!]: body };
  const res = await app.inject({ method: 'POST', url: '/nodes', payload: body });
  assert.equal(res.statusCode, 400, res.body);
  const errors = res.json().errors as { field: string; message: string }[];
  const tags = errors.filter(
    (e) => e.field.split('.').at(-2) === 'tags' || e.field.endsWith('tags'),
  );
  assert.deepEqual(
    tags.map((e) => e.field.split('.').slice(-1)[0]),
    ['tags', '0', '1', '2'],
    JSON.stringify(errors.slice(0, 5)),
  );
  await app.close();
});
