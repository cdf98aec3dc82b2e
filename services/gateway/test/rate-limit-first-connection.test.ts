import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
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

/**
 * A Redis that speaks just enough RESP for ioredis's handshake: an error to HELLO (so RESP2),
 * OK to anything else, and its INFO (the ready check) answered at once on every connection but
 * the first, which is never answered: a Redis busy as it starts, or a loaded machine.
 */
async function slowFirstInfo() {
  let connections = 0;
  const server = createServer((socket) => {
    const first = ++connections === 1;
    let pending = '';
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (;;) {
        const command = takeCommand(pending);
        if (!command) return;
        pending = command.rest;
        const name = command.args[0]?.toLowerCase();
        if (name === 'hello') socket.write("-ERR unknown command 'HELLO'\r\n");
        else if (name === 'info') {
          const info = '# Persistence\r\nloading:0\r\n';
          if (!first) socket.write(`$${info.length}\r\n${info}\r\n`);
        } else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `redis://127.0.0.1:${port}`, close: () => server.close() };
}

/** One RESP array of bulk strings from the front of `text`, or undefined while incomplete. */
function takeCommand(text: string): { args: string[]; rest: string } | undefined {
  const lines = text.split('\r\n');
  const count = Number(lines[0]?.slice(1));
  if (!lines[0]?.startsWith('*') || lines.length < 2 * count + 2) return undefined;
  const args: string[] = [];
  for (let i = 0; i < count; i++) args.push(lines[2 + 2 * i] ?? '');
  return { args, rest: lines.slice(2 * count + 1).join('\r\n') };
}

test('a Redis slow to answer its ready check is waited for, not taken as refusing', {
  timeout: 20_000,
}, async (t) => {
  const redis = await slowFirstInfo();
  t.after(() => redis.close());
  // The gateway's own options (app.ts): a command, the ready check's INFO too, waits 250 ms.
  const client = new Redis(redis.url, {
    maxRetriesPerRequest: 1,
    commandTimeout: 250,
    socketTimeout: 2000,
    enableOfflineQueue: false,
    connectionName: 'gateway-limits',
  });
  client.on('error', () => {});
  t.after(() => client.disconnect());
  await firstConnection(client, 10_000);
  assert.equal(client.status, 'ready', 'the port opened while the limits were still skipped');
  assert.equal(client.listenerCount('error') + client.listenerCount('ready'), 1);
});
