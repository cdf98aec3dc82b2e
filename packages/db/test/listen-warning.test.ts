import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { tcpProxy } from '@platform/testing';
import { NotHeardError, watchVersion } from '../src/index.ts';
import { cannotListenLine } from '../src/value-watch.ts';
import { withoutNotifications } from './deaf-proxy.ts';

/** The watch's warnings; the version itself is never read from a database here. */
async function warningsOf(t: TestContext, url: string, until: number, startupMs = 0) {
  const warnings: string[] = [];
  const log = { info() {}, debug() {}, warn: (_: object, msg: string) => warnings.push(msg) };
  const watched = await watchVersion({
    url,
    channel: 'list_stamp',
    read: async () => '0',
    log,
    // 0: a process past its start-up, whose first failure is said at once.
    listen: { retryMs: 50, maxRetryMs: 200, startupMs },
  });
  t.after(() => watched.close());
  const deadline = Date.now() + until;
  while (warnings.length === 0 && Date.now() < deadline) await sleep(20);
  return warnings;
}

// A first connection that failed for any reason was logged as `cannot listen on list_stamp (a
// pooler in transaction mode?)`: under load (a timeout) or before PostgreSQL was up (refused),
// operators went looking for a pooler there was not.
test('a refused first connection is logged as refused, not as a pooler', async (t) => {
  const warnings = await warningsOf(t, 'postgres://nobody@127.0.0.1:1/none', 5000);
  assert.deepEqual(warnings, [
    'cannot listen on list_stamp yet (connect ECONNREFUSED 127.0.0.1:1); reading the version meanwhile, and trying again',
  ]);
});

test('a first connection that times out is logged as a timeout, not as a pooler', async (t) => {
  // Takes the connection and never answers PostgreSQL's start-up: the listener gives up after 5 s.
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const socket of sockets) socket.destroy();
    server.close();
  });
  const { port } = server.address() as { port: number };
  const warnings = await warningsOf(t, `postgres://nobody@127.0.0.1:${port}/none`, 15_000);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(
    warnings[0]!,
    /^cannot listen on list_stamp yet \(.*timeout.*\); reading the version meanwhile, and trying again$/,
  );
  assert.doesNotMatch(warnings[0]!, /pooler/);
});

test('only a LISTEN that never hears its own NOTIFY names a pooler in transaction mode', () => {
  const messages = { cannotListen: 'cannot listen on list_stamp', instead: 'reading the version' };
  assert.equal(
    cannotListenLine(
      messages,
      new NotHeardError('LISTEN did not hear its own NOTIFY within 5000 ms'),
    ),
    'cannot listen on list_stamp: its own NOTIFY never comes back (a pooler in transaction mode?); reading the version',
  );
  // Node's error for a name with several addresses, each refused, has no message of its own.
  const refused = Object.assign(
    new AggregateError([new Error('connect ECONNREFUSED ::1:5432')], ''),
    {
      code: 'ECONNREFUSED',
    },
  );
  assert.equal(
    cannotListenLine(messages, refused),
    'cannot listen on list_stamp yet (connect ECONNREFUSED ::1:5432); reading the version meanwhile, and trying again',
  );
});

// The warning is once per outage, with its first error: a first connection refused (PostgreSQL,
// or PgBouncer, not up yet at `docker compose up`) said `yet …, and trying again`, and when every
// later attempt met a pooler in transaction mode (its own NOTIFY never back) that went to debug
// alone: the watch read the table for ever, and no warning ever named the pooler.
test('a pooler met after a first refused connection is still named, once', async (t) => {
  const server = process.env.TEST_POSTGRES_URL!;
  const dead = new URL(server);
  dead.port = '1';
  // What a transaction-mode pooler does to LISTEN: every message passes but notifications.
  const proxy = await tcpProxy(dead.toString(), { fromServer: withoutNotifications });
  t.after(() => proxy.close());
  const warnings: string[] = [];
  const log = { info() {}, debug() {}, warn: (_: object, msg: string) => warnings.push(msg) };
  const watched = await watchVersion({
    url: proxy.url,
    channel: 'list_stamp',
    read: async () => '0',
    log,
    listen: { retryMs: 50, maxRetryMs: 200, probeTimeoutMs: 300, startupMs: 0 },
  });
  t.after(() => watched.close());
  const until = async (count: number, ms: number) => {
    const deadline = Date.now() + ms;
    while (warnings.length < count && Date.now() < deadline) await sleep(20);
  };
  await until(1, 5000);
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0]!, /^cannot listen on list_stamp yet \(/);
  // The server is up now, behind the pooler.
  proxy.failOver(server);
  await until(2, 5000);
  // Several deaf attempts more: still the one pooler warning.
  await sleep(1500);
  assert.deepEqual(warnings.slice(1), [
    'cannot listen on list_stamp: its own NOTIFY never comes back (a pooler in transaction mode?); reading the version',
  ]);
});

// A cold start on a loaded machine (CI): main's first LISTEN connection ran past its 5 s timeout
// and warned, in a stack that was only starting. While the process is young it is a debug line.
test('a first connection refused while the process starts is quiet until its start-up time is over', async (t) => {
  // The test process is older than this already: start-up ends 3 s after the watch starts.
  const startupMs = process.uptime() * 1000 + 3000;
  const started = Date.now();
  const warnings = await warningsOf(t, 'postgres://nobody@127.0.0.1:1/none', 10_000, startupMs);
  assert.ok(Date.now() - started >= 2900, `warned after ${Date.now() - started} ms`);
  assert.deepEqual(warnings, [
    'cannot listen on list_stamp yet (connect ECONNREFUSED 127.0.0.1:1); reading the version meanwhile, and trying again',
  ]);
});

// The start-up is the process's age, on the monotonic clock: a wall clock stepped back as a
// machine boots (NTP correcting a clock that ran ahead) kept a never-working LISTEN at debug for
// as long as the step.
test('a wall clock stepped back while the process starts does not stretch its quiet start', async (t) => {
  const warnings: string[] = [];
  const log = { info() {}, debug() {}, warn: (_: object, msg: string) => warnings.push(msg) };
  const watched = await watchVersion({
    url: 'postgres://nobody@127.0.0.1:1/none',
    channel: 'list_stamp',
    read: async () => '0',
    log,
    // Start-up ends 500 ms from now.
    listen: { retryMs: 50, maxRetryMs: 200, startupMs: process.uptime() * 1000 + 500 },
  });
  t.after(() => watched.close());
  const now = Date.now;
  t.mock.method(Date, 'now', () => now() - 3_600_000);
  for (let i = 0; i < 150 && warnings.length === 0; i++) await sleep(20);
  assert.deepEqual(warnings, [
    'cannot listen on list_stamp yet (connect ECONNREFUSED 127.0.0.1:1); reading the version meanwhile, and trying again',
  ]);
});
