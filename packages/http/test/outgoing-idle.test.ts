import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { keepAliveRaceServer } from '@platform/testing';
import { Agent, getGlobalDispatcher, request, setGlobalDispatcher } from 'undici';
import {
  createApp,
  IDLE_GRACE_MS,
  keepOutgoingIdleShort,
  OUTGOING_IDLE_MS,
  outgoingDispatcher,
} from '../src/index.ts';

/**
 * A service's own calls (fetch: the outbox relay, JWKS, the revocation feed, webhooks; undici's
 * request: InfluxDB) keep to the 1 s idle rule once it has built its app: a server that ends a
 * connection quiet for its idle time (a closing service's IDLE_GRACE_MS, 2 s) at the moment the
 * next request arrives on it never gets one on it. Before, fetch kept it for the server's
 * Keep-Alive hint (72 s, less a second or two), undici's request for 4 s without one: the second
 * request below failed with "other side closed" on every run.
 */
before(async () => {
  // As in a service's process: undici's default dispatcher (the test processes' own, shorter
  // still, would hide the race: scripts/test-preload.ts).
  setGlobalDispatcher(new Agent());
  const app = await createApp({ name: 'caller', logLevel: 'silent' });
  after(() => app.close());
});

const quiet = IDLE_GRACE_MS + 100;

test('the idle rule leaves a second of margin under a closing service’s idle grace', () => {
  assert.ok(OUTGOING_IDLE_MS + 1000 <= IDLE_GRACE_MS);
});

test('a fetch sent just as a service ends its kept-alive connection as idle is answered', async () => {
  const server = await keepAliveRaceServer({ idleMs: IDLE_GRACE_MS });
  after(() => server.close());
  assert.equal(await (await fetch(`${server.url}/first`)).text(), 'ok');
  await sleep(quiet);
  const res = await fetch(`${server.url}/events`, { method: 'POST', body: '{"events":[]}' });
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'ok');
  assert.equal(server.cut, 0);
  assert.deepEqual(
    server.requests.map((r) => `${r.method} ${r.path}`),
    ['GET /first', 'POST /events'],
  );
});

test('an undici request to a server that announces no keep-alive timeout (InfluxDB) is answered too', async () => {
  const server = await keepAliveRaceServer({ idleMs: IDLE_GRACE_MS, hintMs: false });
  after(() => server.close());
  assert.equal(await (await request(`${server.url}/ping`)).body.text(), 'ok');
  await sleep(quiet);
  const res = await request(`${server.url}/api/v2/write`, { method: 'POST', body: 'm v=1' });
  assert.equal(res.statusCode, 200);
  assert.equal(await res.body.text(), 'ok');
  assert.equal(server.cut, 0);
});

test('a dispatcher already keeping to the rule (a test process’s, 250 ms) is left in place; any other is replaced', () => {
  const shorter = outgoingDispatcher(250);
  setGlobalDispatcher(shorter);
  keepOutgoingIdleShort();
  assert.equal(getGlobalDispatcher(), shorter);
  const plain = new Agent();
  setGlobalDispatcher(plain);
  keepOutgoingIdleShort();
  assert.notEqual(getGlobalDispatcher(), plain);
});
