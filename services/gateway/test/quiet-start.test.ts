import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';
import { closeAtEnd, deadUrl, startGateway } from './helpers.ts';

const { cleanup } = closeAtEnd();

test('a gateway started before the auth service logs its failed revocation syncs at debug, no warning', async () => {
  const logs = logCapture();
  const { app } = await startGateway(
    { AUTH_URLS: await deadUrl(), LOG_LEVEL: 'debug' },
    { auth: 'real', logger: pino(loggerOptions('gateway', 'debug'), logs.stream) },
  );
  cleanup(() => app.close());
  const lines = () =>
    logs.lines
      .map((l) => JSON.parse(l) as { level: string; msg: string; err?: unknown })
      .filter((l) => l.msg.includes('revocations'));
  // A few retries, one a second: the start of a stack whose auth service comes up last.
  for (let i = 0; i < 400 && lines().length < 3; i += 1) await sleep(25);
  assert.ok(lines().length >= 3, `${lines().length} failed syncs logged`);
  assert.deepEqual(
    lines().filter((l) => l.level !== 'debug'),
    [],
  );
});
