import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, test } from 'node:test';
import { deadUrl, json, type Problem, startGateway, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

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

test('a flood of GET /health is one round of checks a second, not a check per request', async () => {
  let checks = 0;
  let status = 200;
  const main = await startUpstream((req, res) => {
    if (req.url === '/health/ready') checks++;
    res.statusCode = req.url === '/health/ready' ? status : 404;
    res.end('{}');
  });
  cleanup.push(main.close);
  // The gateway's own polling (every HEALTH_INTERVAL_MS) kept out of the count.
  const { app, url } = await startGateway({ MAIN_URLS: main.url, HEALTH_INTERVAL_MS: 3_600_000 });
  cleanup.push(() => app.close());
  // As many at once as one address may open connections (64), then as many more one by one.
  const healthStatus = async () => {
    const response = await fetch(`${url}/health`);
    await response.arrayBuffer();
    return response.status;
  };
  const flood = await Promise.all(Array.from({ length: 50 }, healthStatus));
  assert.deepEqual(new Set(flood), new Set([200]));
  for (let i = 0; i < 50; i++) assert.equal(await healthStatus(), 200);
  assert.ok(checks < 10, `${checks} checks for 100 requests`);
  // Still the state of the stack: a service that stops being ready is named soon after.
  status = 503;
  await eventually(async () => (await fetch(`${url}/health`)).status === 503);
});

test('the gateway’s health checks (its polls, GET /health) leave no connection open to an instance once it has closed', async () => {
  // Kept by the process's global dispatcher, they outlived the gateway, and each held a closing
  // @platform/http instance for its idle grace (a connection used just before its close).
  const open = new Set<Socket>();
  const upstream = createServer((req, res) => {
    res.statusCode = req.url === '/health/ready' ? 200 : 404;
    res.end('{}');
  });
  upstream.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  cleanup.push(
    () =>
      new Promise((resolve) => {
        upstream.closeAllConnections();
        upstream.close(() => resolve());
      }),
  );
  const { port } = upstream.address() as AddressInfo;
  const { app, url } = await startGateway({ MAIN_URLS: `http://127.0.0.1:${port}` });
  assert.equal((await fetch(`${url}/health`)).status, 200);
  assert.ok(open.size > 0, 'the check kept its connection');
  await app.close();
  await eventually(async () => open.size === 0, 1000);
});
