import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sweepHostileInput } from '@platform/testing';
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

  const { sent, faults, answers } = await sweepHostileInput(main.app, doc, {
    bodyLimit: 1024 * 1024,
    pathValues: (op) => ({
      id: op.path.includes('/categories') ? category.json().category.id : post.id,
    }),
    authorization: async () => `Bearer ${admin.token}`,
  });
  if (process.env.HOSTILE_ANSWERS) {
    for (const [label, answer] of answers) console.log(`${label} => ${answer}`);
  }
  assert.ok(sent > 1000, `only ${sent} probes`);
  assert.equal(
    faults.length,
    0,
    `${faults.length} of ${sent} failed:\n${faults.slice(0, 80).join('\n')}`,
  );
  assert.equal(({} as Record<string, unknown>).hostilePolluted, undefined);
  for (const url of ['/health/live', '/health/ready']) {
    assert.equal((await main.app.inject({ url })).statusCode, 200, url);
  }
});
