import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tcpProxy } from '@platform/testing';
import pg from 'pg';
import { type ChannelListenerOptions, listenToChannel, NotHeardError } from '../src/index.ts';
import { withoutNotifications } from './deaf-proxy.ts';

const server = process.env.TEST_POSTGRES_URL!;

async function query(text: string, values: unknown[] = []) {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    return (await client.query(text, values)).rows;
  } finally {
    await client.end();
  }
}

async function eventually(check: () => boolean, ms = 10_000) {
  const start = Date.now();
  while (!check()) {
    assert.ok(Date.now() - start < ms, `not true within ${ms} ms`);
    await sleep(10);
  }
}

function listen(t: TestContext, options: Partial<ChannelListenerOptions> & { url: string }) {
  const seen = { payloads: [] as string[], listening: 0, lost: [] as unknown[] };
  const listener = listenToChannel({
    channel: `test_${randomBytes(4).toString('hex')}`,
    onNotification: (payload) => seen.payloads.push(payload),
    onListening: () => {
      seen.listening += 1;
    },
    onLost: (error) => seen.lost.push(error),
    retryMs: 50,
    maxRetryMs: 200,
    ...options,
  });
  t.after(() => listener.close());
  return { listener, seen };
}

test('notifications arrive, its own probes are not passed on, and it listens again after its connection is killed', async (t) => {
  const channel = `test_${randomBytes(4).toString('hex')}`;
  const applicationName = `listen-test-${randomBytes(4).toString('hex')}`;
  const { listener, seen } = listen(t, { url: server, channel, applicationName, heartbeatMs: 100 });
  await eventually(() => listener.listening);
  await sleep(300); // a few heartbeats, each a NOTIFY of its own
  await query('select pg_notify($1, $2)', [channel, '42']);
  await eventually(() => seen.payloads.length === 1);
  assert.deepEqual(seen.payloads, ['42']);

  await query(
    'select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1',
    [applicationName],
  );
  await eventually(() => seen.lost.length >= 1);
  await eventually(() => listener.listening && seen.listening >= 2);
  await query('select pg_notify($1, $2)', [channel, '43']);
  await eventually(() => seen.payloads.includes('43'));
});

/**
 * A TCP proxy to PostgreSQL that passes everything but NotificationResponse messages: what a
 * pooler in transaction mode amounts to for LISTEN (it succeeds; nothing ever arrives).
 */
async function deafProxy(t: TestContext): Promise<string> {
  const proxy = await tcpProxy(server, { fromServer: withoutNotifications });
  t.after(() => proxy.close());
  return proxy.url;
}

test('a connection that never delivers notifications (a transaction-mode pooler) is never taken for listening', async (t) => {
  const url = await deafProxy(t);
  // The proxy itself works: queries pass.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  assert.equal((await client.query('select 1 as one')).rows[0].one, 1);
  await client.end();

  const { listener, seen } = listen(t, { url, probeTimeoutMs: 200 });
  await eventually(() => seen.lost.length >= 3);
  assert.equal(listener.listening, false);
  assert.equal(seen.listening, 0);
  assert.match(String(seen.lost[0]), /did not hear its own NOTIFY/);
  // The one failure the watches name a pooler for (value-watch.ts's cannotListenLine).
  assert.ok(seen.lost[0] instanceof NotHeardError, String(seen.lost[0]));
});

// pg.Client's constructor parses the URL: `new pg.Client` threw outside connect's try, inside an
// async function nobody awaits, so a URL pg cannot parse was an unhandled rejection (the process
// died) instead of a failure the caller hears of, and retried like any other.
test('a URL pg cannot parse is reported through onLost and retried, not thrown where nobody catches it', async (t) => {
  const unhandled: unknown[] = [];
  const record = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', record);
  t.after(() => process.off('unhandledRejection', record));
  const { listener, seen } = listen(t, { url: 'postgres://user@host:notaport/db' });
  await eventually(() => seen.lost.length >= 2 || unhandled.length > 0, 5000);
  assert.deepEqual(unhandled, []);
  assert.match(String(seen.lost[0]), /Invalid URL/);
  assert.equal(listener.listening, false);
});
