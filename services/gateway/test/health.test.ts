import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { deadUrl, json, type Problem, startGateway, startUpstream } from './helpers.ts';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const close of cleanup.reverse()) await close();
});

const ready = (status: number) =>
  startUpstream((req, res) => {
    res.statusCode = req.url === '/health/ready' ? status : 404;
    res.end('{}');
  });

test('GET /health is 200 when every upstream is ready', async () => {
  const [auth, main] = await Promise.all([ready(200), ready(200)]);
  cleanup.push(auth!.close, main!.close);
  const { app, url } = await startGateway({ AUTH_URLS: auth!.url, MAIN_URLS: main!.url });
  cleanup.push(() => app.close());
  const response = await fetch(`${url}/health`);
  assert.equal(response.status, 200);
  assert.deepEqual((await json<Problem>(response)).services, { auth: 'ready', main: 'ready' });
});

test('GET /health is 503 naming the upstreams that are not ready', async () => {
  const [auth, main] = await Promise.all([ready(200), ready(503)]);
  cleanup.push(auth!.close, main!.close);
  const { app, url } = await startGateway({
    AUTH_URLS: auth!.url,
    MAIN_URLS: main!.url,
    ANALYTICS_URLS: await deadUrl(),
  });
  cleanup.push(() => app.close());
  const response = await fetch(`${url}/health`);
  assert.equal(response.status, 503);
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  const body = await json<Problem & { code: string }>(response);
  assert.equal(body.code, 'service_unavailable');
  assert.equal(body.detail, 'Not ready: main, analytics.');
  assert.deepEqual(body.services, { auth: 'ready', main: 'not ready', analytics: 'not ready' });
});
