import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { firstConnection } from '../src/edge/rate-limit-store.ts';

/**
 * A client whose connection is under way (TCP and ioredis's ready check take a moment): a replica
 * made its Redis connection as it started, with no offline queue, so until it was up every command
 * failed at once and the limit was skipped: a new replica's first requests went uncounted. Its
 * port now opens (onReady, rate-limits.ts) once Redis answers. How long a connection takes is
 * not ours to set, so the client here is an emitter in ioredis's states.
 */
function connecting() {
  return Object.assign(new EventEmitter(), { status: 'connecting' }) as EventEmitter & {
    status: string;
  };
}

test('a start waits for Redis to answer before its limits count', async () => {
  const client = connecting();
  let done = false;
  const waited = firstConnection(client as unknown as Redis, 10_000).then(() => {
    done = true;
  });
  await sleep(200);
  assert.equal(done, false, 'the wait ended before Redis answered');
  client.status = 'ready';
  client.emit('ready');
  await waited;
  assert.equal(client.listenerCount('ready') + client.listenerCount('error'), 0);
});

test('a Redis that never answers holds the start for the wait at most', async () => {
  const started = Date.now();
  await firstConnection(connecting() as unknown as Redis, 300);
  assert.ok(Date.now() - started >= 290);
});

test('a Redis that refuses its first connection is not waited for', {
  timeout: 20_000,
}, async (t) => {
  const client = new Redis('redis://127.0.0.1:1', {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
  });
  client.on('error', () => {});
  t.after(() => client.disconnect());
  // Ended by the refusal, not the wait: a minute here would outlast the test's timeout.
  await firstConnection(client, 60_000);
  assert.notEqual(client.status, 'ready');
});
