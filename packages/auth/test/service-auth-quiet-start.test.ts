import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createServiceAuth } from '@platform/auth';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';

/** A loopback URL nothing listens on: the auth service before it is up. */
async function closedUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}

interface Line {
  level: string;
  msg: string;
  code?: string;
  err?: unknown;
}

test('a verifier whose auth service is not up yet logs debug lines, and one warning once it lasts', async () => {
  const logs = logCapture();
  const auth = createServiceAuth({
    authUrl: await closedUrl(),
    serviceToken: 't'.repeat(40),
    issuer: 'auth',
    audience: 'test',
    maxLifetime: 3600,
    pollIntervalMs: 20,
    log: pino(loggerOptions('main', 'debug'), logs.stream),
    quietMs: 2500,
  });
  after(() => auth.close());
  const lines = () =>
    logs.lines.map((l) => JSON.parse(l) as Line).filter((l) => l.msg.includes('revocations'));
  for (let i = 0; i < 400 && !lines().some((l) => l.level === 'warn'); i += 1) await sleep(25);
  await auth.close();

  const seen = lines();
  const firstWarn = seen.findIndex((l) => l.level === 'warn');
  // Failed syncs are retried every second: a few of them pass before the warning.
  assert.ok(firstWarn >= 2, JSON.stringify(seen.slice(0, 3)));
  assert.ok(seen.slice(0, firstWarn).every((l) => l.level === 'debug'));
  assert.equal(seen[firstWarn]!.msg, 'following token revocations failed');
  assert.equal(seen[firstWarn]!.code, 'ECONNREFUSED');
  assert.equal(seen[firstWarn]!.err, undefined, 'no stack for a refused connection');
});

test("an auth service that refuses this service's SERVICE_TOKEN is a warning at once, naming it", async () => {
  // Auth is up and answers: waiting never ends a wrong token, so nothing is quiet about it.
  const server = createHttpServer((_req, res) => {
    res.writeHead(401, { 'content-type': 'application/problem+json' });
    res.end('{"status":401}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const logs = logCapture();
  const auth = createServiceAuth({
    authUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    serviceToken: 'not-the-stacks-token',
    issuer: 'auth',
    audience: 'test',
    maxLifetime: 3600,
    pollIntervalMs: 20,
    log: pino(loggerOptions('main', 'debug'), logs.stream),
  });
  after(() => auth.close());
  const warning = () =>
    logs.lines
      .map((l) => JSON.parse(l) as Line & { error?: string })
      .find((l) => l.level === 'warn' && l.msg === 'following token revocations failed');
  for (let i = 0; i < 120 && !warning(); i += 1) await sleep(25);
  await auth.close();
  assert.match(warning()?.error ?? 'no warning within 3 s', /answered 401: .*SERVICE_TOKEN/);
});
