import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopAll } from '@platform/launcher';
import { closeAtEnd } from './helpers.ts';
import { eventually, post, signUp, startAuthService, startMainService } from './services.ts';

// Real processes, no Redis: two auth replicas on one database, and main following the second's
// revocation feed (a long poll held there), while sign-ins and logouts go to the first.
const { cleanup } = closeAtEnd();
const first = await startAuthService();
cleanup(first.stop);
const second = await startAuthService({}, first);
cleanup(second.stop);
const main = await startMainService(second);
cleanup(main.stop);

/** Feed requests `auth` holds open right now. */
async function heldPolls(auth: { url: string }): Promise<number> {
  const text = await (await fetch(`${auth.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('auth_revocation_feed_held_polls{'));
  return Number(line?.split(' ').at(-1) ?? 0);
}

const posts = (token: string) =>
  fetch(`${main.url}/main/v1/posts?limit=1`, { headers: { authorization: `Bearer ${token}` } });

test('a logout at one auth process is refused by main, following the other, within 1 s', async () => {
  const user = await signUp(first.url);
  assert.equal((await posts(user.accessToken)).status, 200);
  await eventually(async () => (await heldPolls(second)) >= 1);

  const res = await post(
    `${first.url}/accounts/v1/logout`,
    {},
    {
      authorization: `Bearer ${user.accessToken}`,
    },
  );
  assert.equal(res.status, 204);
  const loggedOutAt = Date.now();
  for (;;) {
    const askedAt = Date.now();
    const status = (await posts(user.accessToken)).status;
    if (status === 401) {
      assert.ok(askedAt - loggedOutAt < 1000, `refused ${askedAt - loggedOutAt} ms after logout`);
      break;
    }
    assert.equal(status, 200);
    assert.ok(askedAt - loggedOutAt < 1000, 'still accepted 1 s after logout');
    await sleep(20);
  }
});

test('SIGTERM with polls held: auth answers them and exits at once, cleanly', async () => {
  await eventually(async () => (await heldPolls(second)) >= 1);
  // Waiting out a held poll (25 s) would overrun shutdown's own 10 s grace: it would exit 1.
  const killed = await stopAll([second.process], 20_000);
  assert.deepEqual(killed, []);
  assert.equal(second.process.child.exitCode, 0);
});
