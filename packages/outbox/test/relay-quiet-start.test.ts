import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { startOutboxRelay } from '../src/index.ts';
import { outboxDatabase, TOKEN } from './helpers.ts';

const pool = await outboxDatabase();

/** A loopback port nothing listens on: every connection is refused, as before analytics is up. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface Line {
  level: string;
  msg: string;
  err?: { stack?: string };
  code?: string;
  error?: string;
  failures?: number;
}

test('a relay whose analytics is not up yet logs debug lines, and one warning once it lasts', async () => {
  await pool.query("insert into outbox (type, payload) values ('user.registered', '{}')");
  const logs = logCapture();
  const relay = startOutboxRelay({
    pool,
    service: 'auth',
    subscribers: [
      { name: 'analytics', types: ['*'], url: `http://127.0.0.1:${await closedPort()}` },
    ],
    serviceToken: TOKEN,
    log: pino(loggerOptions('auth', 'debug'), logs.stream),
    maxBackoffMs: 20,
    // As a start that takes a second; the default is 30 s.
    quietMs: 1000,
  });
  after(() => relay.close());
  const lines = () => logs.lines.map((l) => JSON.parse(l) as Line);
  const failures = () => lines().filter((l) => l.msg.startsWith('relaying the outbox'));
  for (let i = 0; i < 400 && !failures().some((l) => l.level === 'warn'); i += 1) await sleep(25);
  await relay.close();

  const seen = failures();
  const firstWarn = seen.findIndex((l) => l.level === 'warn');
  assert.ok(firstWarn >= 2, `the first attempts warned: ${JSON.stringify(seen.slice(0, 3))}`);
  assert.ok(seen.slice(0, firstWarn).every((l) => l.level === 'debug'));
  const warning = seen[firstWarn]!;
  assert.equal(warning.msg, 'relaying the outbox to subscribers failed');
  assert.equal(warning.code, 'ECONNREFUSED');
  assert.match(warning.error ?? '', /^fetch failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/);
  assert.equal(warning.err, undefined, 'a refused connection is logged without a stack');
  assert.equal(warning.failures, firstWarn + 1);
  // One warning, not one per retry: the next ones within the minute are debug again.
  assert.equal(seen.filter((l) => l.level === 'warn').length, 1);
});
