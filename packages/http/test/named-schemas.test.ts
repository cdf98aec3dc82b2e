import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Type } from 'typebox';
import { type App, createApp, namedSchema, namedSchemas } from '../src/index.ts';

/**
 * A schema several routes share, registered once under a name (namedSchema) and referenced by
 * `$ref`: the OpenAPI document lists it once, as `components.schemas.<name>`, and validation is
 * exactly that of the same schema inline (the same requests refused with the same errors).
 */
const Item = Type.Object(
  {
    kind: Type.Union([Type.Literal('a'), Type.Literal('b')], { description: 'Its kind' }),
    count: Type.Optional(Type.Integer({ minimum: 0 })),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 5, pattern: '^[a-z]+$' })),
    when: Type.Optional(Type.String({ format: 'date-time' })),
    extra: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { description: 'One item' },
);
const Basket = Type.Object({
  items: Type.Array(Item, { minItems: 1 }),
  note: Type.Optional(Type.String({ maxLength: 10 })),
});
const NamedItem = namedSchema('DemoItem', Item);
const NamedBasket = namedSchema(
  'DemoBasket',
  Type.Object({
    items: Type.Array(NamedItem.ref, { minItems: 1 }),
    note: Type.Optional(Type.String({ maxLength: 10 })),
  }),
);

/** An answer: documented as answers are, its union of literals left as it is. */
const Answer = namedSchema(
  'DemoAnswer',
  Type.Object({ ok: Type.Union([Type.Literal(true), Type.Literal(false)]) }),
);

async function demo() {
  const app = await createApp({ name: 'demo', prefix: '/demo/v1', logLevel: 'silent' });
  namedSchemas(app, [NamedItem, NamedBasket, Answer]);
  const route = (url: string, operationId: string, body: object, on: App = app) =>
    on.post(
      url,
      {
        schema: {
          operationId,
          summary: operationId,
          tags: ['demo'],
          security: [],
          body,
          response: { 200: Answer.ref },
        },
      },
      async () => ({ ok: true }),
    );
  route('/demo/v1/inline/item', 'inlineItem', Item);
  route('/demo/v1/named/item', 'namedItem', NamedItem.ref);
  route('/demo/v1/other/item', 'otherItem', NamedItem.ref);
  route('/demo/v1/inline/basket', 'inlineBasket', Basket);
  route('/demo/v1/named/basket', 'namedBasket', NamedBasket.ref);
  // A scope registered inside sees the names too (the Segment routes for browsers are one).
  await app.register(async (scope) => {
    route('/demo/v1/scoped/item', 'scopedItem', NamedItem.ref, scope as App);
  });
  await app.ready();
  return app;
}

const answer = async (app: App, url: string, payload: unknown) => {
  const res = await app.inject({ method: 'POST', url, payload: payload as object });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
};
/** The parts of a problem that say what was wrong (the request id differs). */
const verdict = ({ status, body }: { status: number; body: Record<string, unknown> }) => ({
  status,
  code: body.code,
  detail: body.detail,
  errors: body.errors,
});

const ITEMS: unknown[] = [
  { kind: 'a' },
  { kind: 'c' },
  {},
  { kind: 'a', count: -1 },
  { kind: 'a', count: '3' },
  { kind: 'a', count: 2 ** 53 + 2 },
  { kind: 'a', count: 1.5 },
  { kind: 'b', label: 'toolong' },
  { kind: 'b', label: 'A1' },
  { kind: 'b', label: '\ud800' },
  { kind: 'a', when: '0000-01-01T00:00:00Z' },
  { kind: 'a', when: 'yesterday' },
  { kind: 'a', extra: { deep: 'x\u0000' } },
  { kind: 'a', unknown: 1 },
  [],
  'text',
  null,
];

test('a body that is a named schema is accepted and refused as the same schema inline', async () => {
  const app = await demo();
  try {
    for (const item of ITEMS) {
      const inline = verdict(await answer(app, '/demo/v1/inline/item', item));
      for (const url of ['/demo/v1/named/item', '/demo/v1/scoped/item']) {
        assert.deepEqual(verdict(await answer(app, url, item)), inline, JSON.stringify(item));
      }
      const basket = { items: [{ kind: 'a' }, item], note: 'n' };
      assert.deepEqual(
        verdict(await answer(app, '/demo/v1/named/basket', basket)),
        verdict(await answer(app, '/demo/v1/inline/basket', basket)),
        JSON.stringify(basket),
      );
    }
    for (const basket of [{ items: [] }, { items: [{ kind: 'a' }], note: 'much too long' }, {}]) {
      assert.deepEqual(
        verdict(await answer(app, '/demo/v1/named/basket', basket)),
        verdict(await answer(app, '/demo/v1/inline/basket', basket)),
        JSON.stringify(basket),
      );
    }
    // Not vacuous: some are accepted, some refused with the fields named.
    assert.equal((await answer(app, '/demo/v1/named/item', { kind: 'a' })).status, 200);
    const refused = await answer(app, '/demo/v1/named/basket', { items: [{ kind: 'c' }] });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.body.errors, [
      { field: 'items.0.kind', message: 'must be one of a, b' },
    ]);
  } finally {
    await app.close();
  }
});

test('the document lists a named schema once, under its name, and each route refers to it', async () => {
  const app = await demo();
  try {
    const document = app.swagger() as unknown as {
      components: { schemas: Record<string, Record<string, unknown>> };
      paths: Record<string, { post: { requestBody: Record<string, unknown> } }>;
    };
    const { schemas } = document.components;
    assert.deepEqual(Object.keys(schemas).sort(), ['DemoAnswer', 'DemoBasket', 'DemoItem']);
    assert.deepEqual((schemas.DemoAnswer!.properties as { ok: unknown }).ok, {
      anyOf: [
        { type: 'boolean', enum: [true] },
        { type: 'boolean', enum: [false] },
      ],
    });
    const inline = document.paths['/demo/v1/inline/item']!.post.requestBody;
    const named = document.paths['/demo/v1/named/item']!.post.requestBody;
    const ref = { $ref: '#/components/schemas/DemoItem' };
    assert.deepEqual(named, { ...inline, content: { 'application/json': { schema: ref } } });
    // Documented as a route's own schema: the union of literals is an enum, no $id.
    assert.deepEqual(
      schemas.DemoItem,
      (inline.content as Record<string, { schema: unknown }>)['application/json']!.schema,
    );
    assert.deepEqual(schemas.DemoItem!.properties, {
      ...(schemas.DemoItem!.properties as object),
      kind: { description: 'Its kind', type: 'string', enum: ['a', 'b'] },
    });
    assert.deepEqual((schemas.DemoBasket!.properties as { items: unknown }).items, {
      type: 'array',
      items: ref,
      minItems: 1,
    });
    const text = JSON.stringify(document.paths);
    assert.equal(text.split('Its kind').length - 1, 2, 'only the inline routes repeat it');
  } finally {
    await app.close();
  }
});

test('a name is registered once: the same schema again is a no-op, another one an error', async () => {
  const app = await createApp({ name: 'demo', logLevel: 'silent' });
  namedSchemas(app, [NamedItem]);
  namedSchemas(app, [NamedItem]);
  assert.throws(
    () => namedSchemas(app, [namedSchema('DemoItem', Type.String())]),
    /another schema is registered under this name/,
  );
  assert.throws(() => namedSchema('Demo/Item', Type.String()), /use \[A-Za-z0-9._-\]/);
  await app.close();
});
