import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUnreachable, outageLog } from '@platform/http';

function recorder() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { lines, log: { debug: at('debug'), info: at('info'), warn: at('warn') } };
}

const refused = () =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8083'), {
      code: 'ECONNREFUSED',
    }),
  });

test('a dependency down during a start is debug; past the quiet time one warning a minute, then info', () => {
  const { lines, log } = recorder();
  let now = 0;
  // A process up for two minutes already: the outage is not part of its own start.
  const outage = outageLog(log, 'calling analytics failed', {
    now: () => now,
    startedAt: -120_000,
  });
  for (const t of [0, 1000, 5000, 29_000]) {
    now = t;
    outage.failed(refused());
  }
  assert.deepEqual(
    lines.map((l) => l.level),
    ['debug', 'debug', 'debug', 'debug'],
  );
  for (const t of [30_000, 45_000, 89_000, 90_000]) {
    now = t;
    outage.failed(refused());
  }
  assert.deepEqual(
    lines.slice(4).map((l) => l.level),
    ['warn', 'debug', 'debug', 'warn'],
  );
  assert.deepEqual(lines[4], {
    level: 'warn',
    message: 'calling analytics failed',
    fields: {
      code: 'ECONNREFUSED',
      error: 'fetch failed: connect ECONNREFUSED 127.0.0.1:8083',
      failures: 5,
      down_ms: 30_000,
    },
  });
  now = 95_000;
  outage.succeeded();
  assert.deepEqual(lines.at(-1), {
    level: 'info',
    message: 'calling analytics failed: recovered',
    fields: { failures: 8, down_ms: 95_000 },
  });
  // The next outage starts quiet again; a success without an outage logs nothing.
  outage.succeeded();
  now = 100_000;
  outage.failed(refused());
  assert.equal(lines.length, 10);
  assert.equal(lines.at(-1)!.level, 'debug');
});

test("a dependency down since this process's own start warns only once the process is a minute old", () => {
  const { lines, log } = recorder();
  let now = 1000;
  // Started a second ago, as a service whose peers the launcher starts after it.
  const outage = outageLog(log, 'relaying the outbox failed', { now: () => now, startedAt: 0 });
  for (const t of [1000, 31_000, 45_000, 59_999]) {
    now = t;
    outage.failed(refused());
  }
  assert.deepEqual(
    lines.map((l) => l.level),
    ['debug', 'debug', 'debug', 'debug'],
  );
  now = 60_000;
  outage.failed(refused());
  assert.equal(lines.at(-1)!.level, 'warn');
  assert.equal(lines.at(-1)!.fields.down_ms, 59_000);
  // Past its start, a new outage warns after the quiet time alone.
  outage.succeeded();
  for (const t of [70_000, 99_999, 100_000]) {
    now = t;
    outage.failed(refused());
  }
  assert.deepEqual(
    lines.slice(-3).map((l) => l.level),
    ['debug', 'debug', 'warn'],
  );
});

test('a wall clock stepped back during an outage does not stretch its quiet time', async (t) => {
  const { lines, log } = recorder();
  const wall = Date.now;
  let step = 0;
  t.mock.method(Date, 'now', () => wall() + step);
  const outage = outageLog(log, 'syncing failed', { quietMs: 50, startupMs: 0 });
  outage.failed(refused());
  step = -3_600_000;
  await new Promise((resolve) => setTimeout(resolve, 80));
  outage.failed(refused());
  assert.deepEqual(
    lines.map((l) => l.level),
    ['debug', 'warn'],
  );
});

test('an unexpected error keeps its stack; a short outage ends with a debug line', () => {
  const { lines, log } = recorder();
  const outage = outageLog(log, 'syncing failed');
  const bug = new RangeError('bad page');
  outage.failed(bug);
  outage.succeeded();
  assert.equal(lines[0]!.fields.err, bug);
  assert.deepEqual(
    lines.map((l) => [l.level, l.message]),
    [
      ['debug', 'syncing failed; retrying'],
      ['debug', 'syncing failed: recovered'],
    ],
  );
});

test("node-postgres' unanswered query (query_timeout, @platform/db) is a dependency unreachable, as Drizzle wraps it too", () => {
  const timeout = new Error('Query read timeout');
  const later = new Error('Query read timeout: an earlier query on this connection got no answer');
  const lost = new Error('Client has encountered a connection error and is not queryable');
  const closed = new Error('Client was closed and is not queryable');
  for (const error of [timeout, later, lost, closed]) {
    assert.ok(isUnreachable(error));
    assert.ok(isUnreachable(new Error('Failed query: rollback', { cause: error })));
  }
  assert.ok(!isUnreachable(new Error('Failed query: select 1', { cause: new Error('syntax') })));
});
