import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestMain, manifest } from './helper.ts';

const main = await buildTestMain();

test('main declares the permissions of its manifest to auth at start, and is ready once auth has them', async () => {
  for (let i = 0; i < 400 && !main.issuer.declared('main'); i += 1) {
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.deepEqual(main.issuer.declared('main'), manifest.permissions);
  assert.ok(manifest.permissions.some((p) => p.name === 'posts:write'));
  const ready = await main.app.inject({ url: '/health/ready' });
  assert.equal(ready.statusCode, 200, ready.body);
});
