import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSweepClean, internal, sweepHostileInput, TEST_SECRETS } from '@platform/testing';
import { buildTestMain, createPost } from './helper.ts';

/**
 * Every operation of main's OpenAPI document, with hostile paths, queries, headers, content
 * types and bodies (packages/testing/src/hostile-input.ts), in process: no 5xx, no hang, every
 * 4xx a problem+json with a code its operation documents, nothing polluted, still healthy.
 */
const main = await buildTestMain();

test('no hostile request to any main operation fails the service', async () => {
  const admin = await main.user(['user', 'admin']);
  const post = await createPost(main, admin, { title: 'Hostile target' });
  const category = await main.app.inject({
    method: 'POST',
    url: '/main/v1/categories',
    headers: { authorization: `Bearer ${admin.token}` },
    payload: { name: 'Hostile' },
  });
  assert.equal(category.statusCode, 201, category.body);
  const doc = (await main.app.inject({ url: '/main/v1/openapi.json' })).json();

  const { sent, faults } = await sweepHostileInput(main.app, doc, {
    bodyLimit: 1024 * 1024,
    // Nested fields too (the gateway's sweep sent them through the whole stack).
    nested: true,
    pathValues: (op) => ({
      id: op.path.includes('/categories') ? category.json().category.id : post.id,
    }),
    authorization: async () => `Bearer ${admin.token}`,
  });
  await assertSweepClean(main.app, { sent, faults }, 1000);
});

test('no hostile request to main internal routes fails them: a relay is never stuck', async () => {
  const user = await main.user();
  const event = {
    id: 'auth:1',
    type: 'user.deleted',
    occurred_at: new Date().toISOString(),
    user_id: user.id,
    payload: { user_id: user.id },
  };
  const { sent, faults } = await sweepHostileInput(
    main.app,
    {},
    {
      bodyLimit: 1024 * 1024,
      headers: { 'x-service-token': TEST_SECRETS.SERVICE_TOKEN },
      authorization: async () => undefined,
      operations: [
        internal('POST', '/internal/events', { events: { type: 'array', items: EVENT } }),
        internal('GET', '/internal/cache-version'),
      ],
      bodies: { 'POST /internal/events': { events: [event] } },
    },
  );
  assert.ok(sent > 100, `only ${sent} probes`);
  assert.equal(
    faults.length,
    0,
    `${faults.length} of ${sent} failed:\n${faults.slice(0, 80).join('\n')}`,
  );
  assert.equal((await main.app.inject({ url: '/health/ready' })).statusCode, 200);
});

/** A domain event as the outbox relays send them (packages/outbox). */
const EVENT = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    type: { type: 'string' },
    occurred_at: { type: 'string', format: 'date-time' },
    user_id: { type: 'string' },
    payload: { type: 'object', additionalProperties: true },
  },
};
