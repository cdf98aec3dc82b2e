import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestMain, manifest } from './helper.ts';

const main = await buildTestMain();

test('main declares the permissions of its manifest to auth at start, and is ready once auth has them', async () => {
  const ready = async () => (await main.app.inject({ url: '/health/ready' })).statusCode === 200;
  const deadline = Date.now() + 30_000;
  while (!(await ready()) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(await ready(), 'main never became ready');
  assert.deepEqual(main.issuer.declared('main'), manifest.permissions);
  assert.ok(manifest.permissions.some((p) => p.name === 'posts:write'));
});
