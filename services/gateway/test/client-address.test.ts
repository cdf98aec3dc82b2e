import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { closeAtEnd, echo, json, startGateway, startUpstream } from './helpers.ts';
import { authBehindGateway, clientAt, signUp } from './services.ts';

/**
 * With the default settings (`npm start`: no proxy in front, every client on loopback), the
 * client address is the socket's: an X-Forwarded-For a client sends is not believed, and the
 * services are told only the address the gateway determined.
 */
const { cleanup } = closeAtEnd();
const { auth, url } = await authBehindGateway();

function from(address: string) {
  const client = clientAt(address);
  cleanup(client.close);
  return client;
}

test('wrong passwords sent with X-Forwarded-For: 127.0.0.1 do not lock the owner out at 127.0.0.1', async () => {
  const owner = await signUp(url);
  const attacker = from('127.0.0.2');
  for (let i = 0; i < 6; i++) {
    const guess = await attacker.post(
      `${url}/accounts/v1/login`,
      { email: owner.email, password: `wrong guess ${i}` },
      { 'x-forwarded-for': '127.0.0.1' },
    );
    await guess.body?.cancel();
  }
  const signIn = await from('127.0.0.1').post(`${url}/accounts/v1/login`, {
    email: owner.email,
    password: owner.password,
  });
  assert.equal(signIn.status, 200, await signIn.text());
});

test('a new X-Forwarded-For on every request does not escape the per-address limits', async () => {
  const strict = await startGateway(
    { AUTH_URLS: auth.url, RATE_LIMIT_LOGIN: 3, RATE_LIMIT_PER_ADDRESS: 3 },
    { auth: 'real' },
  );
  cleanup(() => strict.app.close());
  const client = from('127.0.0.3');
  const statuses = async (send: (i: number) => Promise<Response>) => {
    const seen: number[] = [];
    for (let i = 1; i <= 4; i++) {
      const answer = await send(i);
      await answer.body?.cancel();
      seen.push(answer.status);
    }
    return seen;
  };
  const spoof = (i: number) => ({ 'x-forwarded-for': `198.51.100.${i}` });
  const logins = await statuses((i) =>
    client.post(
      `${strict.url}/accounts/v1/login`,
      { email: 'nobody@example.com', password: 'not this one' },
      spoof(i),
    ),
  );
  assert.deepEqual(logins, [401, 401, 401, 429]);
  const reads = await statuses((i) =>
    client.request(`${strict.url}/accounts/v1/.well-known/jwks.json`, { headers: spoof(i) }),
  );
  assert.deepEqual(reads, [200, 200, 200, 429]);
});

test('the service is told the peer address alone, never what the client claimed', async () => {
  const upstream = await startUpstream(echo('auth'));
  cleanup(upstream.close);
  const plain = await startGateway({ AUTH_URLS: upstream.url });
  cleanup(() => plain.app.close());
  const seen = await json(
    await from('127.0.0.4').request(`${plain.url}/accounts/v1/anything`, {
      headers: { 'x-forwarded-for': '203.0.113.9, 127.0.0.1' },
    }),
  );
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.4');
});

/**
 * A service's HTTP parser keeps only the first ~1,000 header lines (Node's drops the rest without
 * a word), and the gateway used to append its own after the client's: behind a thousand junk
 * headers, its X-Forwarded-For never reached auth, which took the gateway's address (here
 * 127.0.0.1, as every `npm start` client's) for the client's. An attacker's wrong passwords
 * locked the owner out at 127.0.0.1, and a sign-in was recorded from the gateway's address.
 */
test('a thousand headers cannot push the client address out of what the service reads', async () => {
  const junk = Object.fromEntries(Array.from({ length: 1100 }, (_, i) => [`j${i}`, '']));
  // Node 22 and later refuse such a request (431) where Node 20 dropped the extra lines: then the
  // gateway refuses it before any service, and nothing can be pushed out.
  const refused = (await parserAnswer(junk)) === 431;
  const owner = await signUp(url);
  const attacker = from('127.0.0.5');
  for (let i = 0; i < 6; i++) {
    const guess = await attacker.post(
      `${url}/accounts/v1/login`,
      { email: owner.email, password: `wrong guess ${i}` },
      junk,
    );
    if (refused) assert.equal(guess.status, 431);
    await guess.body?.cancel();
  }
  const signIn = await from('127.0.0.1').post(`${url}/accounts/v1/login`, {
    email: owner.email,
    password: owner.password,
  });
  assert.equal(signIn.status, 200, await signIn.text());

  const padded = await from('127.0.0.6').post(
    `${url}/accounts/v1/login`,
    { email: owner.email, password: owner.password },
    junk,
  );
  if (refused) {
    assert.equal(padded.status, 431);
    return;
  }
  assert.equal(padded.status, 200);
  const { access_token } = (await padded.json()) as { access_token: string };
  const sessions = await json<{ items: { ip: string | null; current: boolean }[] }>(
    await fetch(`${url}/accounts/v1/user/sessions`, {
      headers: { authorization: `Bearer ${access_token}` },
    }),
  );
  const current = sessions.items.find((s) => s.current);
  assert.match(String(current?.ip), /^(::ffff:)?127\.0\.0\.6$/);
});

/** The status this Node's own HTTP server answers a request with these headers (200 if it reads it). */
async function parserAnswer(headers: Record<string, string>): Promise<number> {
  const server = createServer((_req, res) => res.end()).listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    const res = await fetch(`http://127.0.0.1:${port}/`, { headers });
    await res.body?.cancel();
    return res.status;
  } finally {
    server.close();
  }
}
