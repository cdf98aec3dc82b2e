import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createApp } from '../src/index.ts';

async function demo() {
  const app = await createApp({ name: 'demo', prefix: '/demo/v1', logLevel: 'silent' });
  app.get('/demo/v1/widgets', async () => ({ items: [] }));
  app.post('/demo/v1/widgets', async () => ({ ok: true }));
  app.get('/demo/v1/widgets/:id', async () => ({ ok: true }));
  app.delete('/demo/v1/widgets/:id', async () => ({ ok: true }));
  await app.ready();
  return app;
}

test('a method a path has no route for is a 405 problem naming the methods it has', async () => {
  const app = await demo();
  const put = await app.inject({ method: 'PUT', url: '/demo/v1/widgets/7?x=1' });
  assert.equal(put.statusCode, 405);
  assert.equal(put.headers.allow, 'GET, HEAD, DELETE, OPTIONS');
  assert.equal(put.headers['content-type'], 'application/problem+json; charset=utf-8');
  const body = put.json();
  assert.equal(body.code, 'method_not_allowed');
  assert.equal(body.status, 405);
  assert.equal(
    body.detail,
    'PUT is not allowed on /demo/v1/widgets/7; it allows GET, HEAD, DELETE, OPTIONS.',
  );
  assert.equal(typeof body.request_id, 'string');

  const patch = await app.inject({ method: 'PATCH', url: '/demo/v1/widgets' });
  assert.equal(patch.statusCode, 405);
  assert.equal(patch.headers.allow, 'GET, HEAD, POST, OPTIONS');
  // The framework's own routes too.
  const probe = await app.inject({ method: 'POST', url: '/health/live' });
  assert.equal(probe.statusCode, 405);
  assert.equal(probe.headers.allow, 'GET, HEAD, OPTIONS');
});

test('OPTIONS on a path with routes answers 204 with Allow; a path with none stays a 404', async () => {
  const app = await demo();
  const options = await app.inject({ method: 'OPTIONS', url: '/demo/v1/widgets/7' });
  assert.equal(options.statusCode, 204);
  assert.equal(options.headers.allow, 'GET, HEAD, DELETE, OPTIONS');
  assert.equal(options.body, '');

  for (const method of ['GET', 'PUT', 'OPTIONS'] as const) {
    const missing = await app.inject({ method, url: '/demo/v1/gadgets/7' });
    assert.equal(missing.statusCode, 404, method);
    assert.equal(missing.headers.allow, undefined, method);
    assert.equal(missing.json().code, 'not_found', method);
  }
});
