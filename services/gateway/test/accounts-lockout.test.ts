import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeAtEnd } from './helpers.ts';
import { authBehindGateway, clientAt, signUp } from './services.ts';

/**
 * Sign-in throttling with the default policy, through the real gateway, from several client
 * addresses (sockets bound to other loopback addresses; the gateway tells auth each one's address).
 */
const { cleanup } = closeAtEnd();
const { url } = await authBehindGateway();

const clients = new Map<string, ReturnType<typeof clientAt>>();
function from(address: string) {
  let client = clients.get(address);
  if (!client) {
    client = clientAt(address);
    clients.set(address, client);
    cleanup(client.close);
  }
  return client;
}
const login = (address: string, email: string, password: string) =>
  from(address).post(`${url}/accounts/v1/login`, { email, password });

test('failed guesses from one address do not lock the owner out at another', async () => {
  const owner = await signUp(url);
  for (let i = 0; i < 5; i++) {
    assert.equal((await login('127.0.0.2', owner.email, `wrong guess ${i}`)).status, 401);
  }
  const locked = await login('127.0.0.2', owner.email, owner.password);
  assert.equal(locked.status, 429);
  const retryAfter = Number(locked.headers.get('retry-after'));
  assert.ok(retryAfter >= 1 && retryAfter <= 900, `Retry-After ${retryAfter}`);
  // Auth's own limit, not the gateway's: the gateway's headers say the same, not "94 left".
  assert.equal(locked.headers.get('ratelimit-remaining'), '0');
  assert.equal(locked.headers.get('ratelimit-reset'), String(retryAfter));
  assert.ok(Number(locked.headers.get('ratelimit-limit')) > 0);

  assert.equal((await login('127.0.0.3', owner.email, owner.password)).status, 200);
  assert.equal((await login('127.0.0.1', owner.email, owner.password)).status, 200);
  assert.equal((await login('127.0.0.2', owner.email, owner.password)).status, 429);
});

test('guesses spread over many addresses meet a per-account ceiling; the known address still signs in', async () => {
  const owner = await signUp(url);
  assert.equal((await login('127.0.0.4', owner.email, owner.password)).status, 200);
  // 100 failures in the window, four from each of 25 addresses: under every per-address limit.
  for (let host = 1; host <= 25; host++) {
    for (let i = 0; i < 4; i++) {
      const res = await login(`127.0.1.${host}`, owner.email, `distributed guess ${host}.${i}`);
      assert.equal(res.status, 401, `guess ${i} from 127.0.1.${host}`);
    }
  }
  const stranger = await login('127.0.1.26', owner.email, owner.password);
  assert.equal(stranger.status, 429);
  assert.equal((await login('127.0.0.4', owner.email, owner.password)).status, 200);
});
