import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { registerPermissions, SERVICE_TOKEN_HEADER } from '@platform/auth';
import { loggerOptions } from '@platform/http';
import { logCapture } from '@platform/testing';
import pino from 'pino';

interface Received {
  method: string;
  url: string;
  token: string | undefined;
  body: unknown;
}

/** An auth stand-in that answers `statuses` in turn (204 once they run out). */
async function fakeAuth(statuses: number[]) {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    received.push({
      method: req.method ?? '',
      url: req.url ?? '',
      token: req.headers[SERVICE_TOKEN_HEADER] as string | undefined,
      body: JSON.parse(text),
    });
    const status = statuses.shift() ?? 204;
    res.writeHead(status, { 'content-type': 'application/problem+json' });
    res.end(status === 204 ? undefined : JSON.stringify({ status, detail: 'not yet' }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  // Its clients' idle keep-alive connections too: they held the process for seconds after.
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

const permissions = [{ name: 'notes:write', description: 'Write notes', roles: ['user'] }];

test('a service declares its permissions to auth, retrying until auth accepts them, and is ready only then', async () => {
  const auth = await fakeAuth([503, 409]);
  const logs = logCapture();
  const registration = registerPermissions({
    authUrl: `${auth.url}/`,
    serviceToken: 'secret-service-token',
    service: 'notes',
    permissions,
    retryMs: 10,
    log: pino(loggerOptions('notes', 'debug'), logs.stream),
  });
  after(() => registration.close());
  await assert.rejects(registration.ready());
  await registration.registered;
  await registration.ready();

  assert.equal(auth.received.length, 3);
  for (const request of auth.received) {
    assert.deepEqual(request, {
      method: 'PUT',
      url: '/internal/permissions/notes',
      token: 'secret-service-token',
      body: { permissions },
    });
  }
  // Failures while auth may be starting are quiet; auth's answer is kept for the operator.
  const levels = logs.lines.map((l) => (JSON.parse(l) as { level: string }).level);
  assert.deepEqual([...new Set(levels)], ['debug']);
  assert.match(logs.text(), /auth answered 409/);
});

test('a registration closed before auth accepted it stops trying and stays not ready', async () => {
  const auth = await fakeAuth(Array(1000).fill(503));
  const registration = registerPermissions({
    authUrl: auth.url,
    serviceToken: 'secret-service-token',
    service: 'notes',
    permissions,
    retryMs: 10,
  });
  while (auth.received.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
  registration.close();
  await registration.registered;
  const seen = auth.received.length;
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.ok(auth.received.length <= seen + 1);
  await assert.rejects(registration.ready());
});

test("auth refusing the service's SERVICE_TOKEN is a warning at once, naming the setting", async () => {
  // Waiting never ends a wrong token, so the quiet start-up time (a minute) does not apply.
  const auth = await fakeAuth([401]);
  const logs = logCapture();
  const registration = registerPermissions({
    authUrl: auth.url,
    serviceToken: 'not-the-stacks-token',
    service: 'notes',
    permissions,
    retryMs: 10,
    log: pino(loggerOptions('notes', 'debug'), logs.stream),
  });
  after(() => registration.close());
  await registration.registered;
  const warnings = logs.lines
    .map((l) => JSON.parse(l) as { level: string; error?: string })
    .filter((l) => l.level === 'warn');
  assert.equal(warnings.length, 1, logs.text());
  assert.match(warnings[0]!.error ?? '', /^auth answered 401: .*SERVICE_TOKEN/);
});
