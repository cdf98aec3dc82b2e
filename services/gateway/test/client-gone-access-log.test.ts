import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { closeAtEnd, startGateway, startUpstream } from './helpers.ts';
import { eventually } from './services.ts';

/**
 * A request whose client goes away before its answer (the gateway gives up the exchange with the
 * service, proxy/client-gone.ts) gets its access line, once: 499 as NGINX logs it when nothing of
 * the answer was sent, the status that was when the answer was cut mid-body. Before, Fastify's
 * onResponse waited for a 'finish' that never came, and such requests left no line at all.
 */
const { cleanup } = closeAtEnd();
let arrived = 0;
const upstream = await startUpstream((req, res) => {
  if (req.url === '/health/ready') return res.end('{}');
  arrived++;
  if (req.url?.startsWith('/main/v1/held')) return; // never answered
  if (req.url?.startsWith('/main/v1/streamed')) {
    // More than the gateway holds before it streams (HOLD_BYTES, 64 KB); the rest never comes.
    res.writeHead(200, { 'content-type': 'text/plain' }).write('x'.repeat(100_000));
    return;
  }
  res.setHeader('content-type', 'application/json');
  res.end('{}');
});
cleanup(upstream.close);
const logs = logCapture();
const gateway = await startGateway(
  { AUTH_URLS: upstream.url, MAIN_URLS: upstream.url },
  { logger: pino(loggerOptions('gateway', 'info'), logs.stream) },
);
cleanup(() => gateway.app.close());

const accessLines = (path: string) =>
  logs.lines
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((e) => e.msg === 'request' && e.path === path);

test('a client that goes away while the service has not answered is logged once, as 499', async () => {
  const before = arrived;
  const giveUp = new AbortController();
  const pending = fetch(`${gateway.url}/main/v1/held`, { signal: giveUp.signal }).catch(
    () => 'gone',
  );
  await eventually(async () => arrived === before + 1);
  giveUp.abort();
  assert.equal(await pending, 'gone');
  await eventually(async () => accessLines('/main/v1/held').length > 0);
  await sleep(200);
  const lines = accessLines('/main/v1/held');
  assert.equal(lines.length, 1, logs.text());
  const [line] = lines;
  assert.equal(line!.status, 499);
  assert.equal(line!.client_gone, true);
  assert.equal(line!.method, 'GET');
  assert.equal(line!.upstream_service, 'main');
  assert.equal(typeof line!.route, 'string');
  assert.equal(typeof line!.request_id, 'string');
  assert.ok(typeof line!.duration_ms === 'number' && line!.duration_ms >= 0);
});

test('a client that goes away mid-answer is logged once, with the status it was sent', async () => {
  const giveUp = new AbortController();
  const response = await fetch(`${gateway.url}/main/v1/streamed`, { signal: giveUp.signal });
  assert.equal(response.status, 200);
  giveUp.abort();
  await response.body?.cancel().catch(() => {});
  await eventually(async () => accessLines('/main/v1/streamed').length > 0);
  await sleep(200);
  const lines = accessLines('/main/v1/streamed');
  assert.equal(lines.length, 1, logs.text());
  assert.equal(lines[0]!.status, 200);
  assert.equal(lines[0]!.client_gone, true);
});

test('an answered request is logged once, as before', async () => {
  const response = await fetch(`${gateway.url}/main/v1/answered`);
  assert.equal(response.status, 200);
  await response.text();
  await eventually(async () => accessLines('/main/v1/answered').length > 0);
  await sleep(200);
  const lines = accessLines('/main/v1/answered');
  assert.equal(lines.length, 1);
  assert.equal(lines[0]!.status, 200);
  assert.equal(lines[0]!.client_gone, undefined);
});
