import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeAtEnd, json, type Problem } from './helpers.ts';
import {
  authBehindGateway,
  clientAt,
  mailsTo,
  post,
  signUp,
  tokenIn,
  waitForMail,
} from './services.ts';

/** The real auth service behind a real gateway: what a holder of a stolen token can do. */
const { cleanup } = closeAtEnd();
const { auth, url } = await authBehindGateway();

interface User {
  email: string;
  email_verified: boolean;
  pending_email: string | null;
}

const patchUser = (token: string, body: unknown) =>
  fetch(`${url}/accounts/v1/user`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const me = async (token: string) =>
  (
    await json<{ user: User }>(
      await fetch(`${url}/accounts/v1/user`, { headers: { authorization: `Bearer ${token}` } }),
    )
  ).user;
const loginStatus = async (email: string, password: string) =>
  (await post(`${url}/accounts/v1/login`, { email, password })).status;
const verifyEmail = (token: string) => post(`${url}/accounts/v1/verify-email`, { token });
const CONFIRM = /confirm/i;

test('a stolen access token alone cannot change the email', async () => {
  const victim = await signUp(url);
  const thief = `thief.${victim.email}`;
  const bare = await patchUser(victim.accessToken, { email: thief });
  assert.equal(bare.status, 400);
  assert.match(bare.headers.get('content-type') ?? '', /problem\+json/);
  const errors = (await json<{ errors: { field: string }[] }>(bare)).errors;
  assert.ok(
    errors.some((e) => e.field === 'current_password'),
    JSON.stringify(errors),
  );

  const guessed = await patchUser(victim.accessToken, {
    email: thief,
    current_password: 'a wrong guess',
  });
  assert.equal(guessed.status, 403);
  assert.match(guessed.headers.get('content-type') ?? '', /problem\+json/);
  assert.equal((await json<Problem>(guessed)).status, 403);

  const after = await me(victim.accessToken);
  assert.equal(after.email, victim.email);
  assert.equal(after.pending_email, null);
  assert.deepEqual(await mailsTo(auth.mailDir, thief), []);
});

test('a new email is pending until confirmed from it; the old address is told, resets stay with it', async () => {
  const user = await signUp(url);
  const fresh = `moved.${user.email}`;
  const res = await patchUser(user.accessToken, { email: fresh, current_password: user.password });
  assert.equal(res.status, 200);
  const pending = (await json<{ user: User }>(res)).user;
  assert.equal(pending.email, user.email);
  assert.equal(pending.pending_email, fresh);

  const notice = await waitForMail(auth.mailDir, user.email, /chang/i);
  assert.match(notice.body, new RegExp(fresh.replace(/[.]/g, '\\.')));
  assert.equal(tokenIn(notice), undefined, 'the notice carries no token');
  const token = tokenIn(await waitForMail(auth.mailDir, fresh, CONFIRM));
  assert.ok(token);
  assert.equal(await loginStatus(fresh, user.password), 401);

  // A reset asked for the pending address goes nowhere; for the confirmed one it arrives.
  assert.equal((await post(`${url}/accounts/v1/reset-password`, { email: fresh })).status, 202);
  assert.equal(
    (await post(`${url}/accounts/v1/reset-password`, { email: user.email })).status,
    202,
  );
  await waitForMail(auth.mailDir, user.email, /reset/i);
  assert.equal((await mailsTo(auth.mailDir, fresh)).length, 1, 'only the confirmation');

  assert.equal((await verifyEmail(token)).status, 204);
  const moved = await me(user.accessToken);
  assert.equal(moved.email, fresh);
  assert.equal(moved.pending_email, null);
  assert.equal(moved.email_verified, true);
  assert.equal(await loginStatus(fresh, user.password), 200);
  assert.equal(await loginStatus(user.email, user.password), 401);
});

test('an email change answers alike whether or not the address has an account', async () => {
  const owner = await signUp(url);
  const [asker, control] = [await signUp(url), await signUp(url)];
  const before = (await mailsTo(auth.mailDir, owner.email)).length;
  const free = `free.${control.email}`;

  const taken = await patchUser(asker.accessToken, {
    email: owner.email.toUpperCase(),
    current_password: asker.password,
  });
  const untaken = await patchUser(control.accessToken, {
    email: free,
    current_password: control.password,
  });
  assert.equal(taken.status, 200);
  assert.equal(untaken.status, 200);
  const takenUser = (await json<{ user: User }>(taken)).user;
  const untakenUser = (await json<{ user: User }>(untaken)).user;
  assert.deepEqual(Object.keys(takenUser).sort(), Object.keys(untakenUser).sort());
  assert.equal(takenUser.pending_email, owner.email.toUpperCase());
  assert.equal(untakenUser.pending_email, free);

  // The owner of the taken address hears of the attempt, and gets nothing that could confirm it.
  const warning = await waitForMail(auth.mailDir, owner.email, /./, before + 1);
  assert.equal(tokenIn(warning), undefined);
  assert.ok(tokenIn(await waitForMail(auth.mailDir, free, CONFIRM)));
  assert.equal((await me(owner.accessToken)).email, owner.email);
  assert.equal((await me(asker.accessToken)).email, asker.email);
});

test('confirming an address that was taken meanwhile is a 409 and changes nothing', async () => {
  const user = await signUp(url);
  const wanted = `wanted.${user.email}`;
  const res = await patchUser(user.accessToken, { email: wanted, current_password: user.password });
  assert.equal(res.status, 200);
  const token = tokenIn(await waitForMail(auth.mailDir, wanted, CONFIRM));
  assert.ok(token);
  const squatter = await post(`${url}/accounts/v1/register`, {
    email: wanted,
    username: `sq${user.username.slice(2, 30)}`,
    password: 'squatting passphrase 1',
  });
  assert.equal(squatter.status, 201);

  const confirm = await verifyEmail(token);
  assert.equal(confirm.status, 409);
  assert.match(confirm.headers.get('content-type') ?? '', /problem\+json/);
  assert.equal((await json<Problem>(confirm)).status, 409);
  assert.equal((await me(user.accessToken)).email, user.email);
  assert.equal(await loginStatus(user.email, user.password), 200);
});

test('email changes are rate-limited per account', async () => {
  const user = await signUp(url);
  const statuses: number[] = [];
  let limited: Response | undefined;
  for (let i = 0; i < 12 && !limited; i++) {
    const res = await patchUser(user.accessToken, {
      email: `spam${i}@example.net`,
      current_password: user.password,
    });
    statuses.push(res.status);
    if (res.status === 429) limited = res;
  }
  assert.ok(limited, statuses.join());
  assert.equal(statuses[0], 200);
  assert.match(limited.headers.get('content-type') ?? '', /problem\+json/);
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  const sent = await Promise.all(
    statuses.map(async (_, i) => (await mailsTo(auth.mailDir, `spam${i}@example.net`)).length),
  );
  assert.equal(
    sent.reduce((a, b) => a + b, 0),
    statuses.filter((s) => s === 200).length,
  );
});

test('wrong current passwords are throttled like sign-ins, per address', async () => {
  const user = await signUp(url);
  const [guesser, owner] = [clientAt('127.0.0.2'), clientAt('127.0.0.3')];
  cleanup(guesser.close, owner.close);
  const change = (client: typeof guesser, current_password: string) =>
    client.request(`${url}/accounts/v1/user`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: `other.${user.email}`, current_password }),
    });
  for (let i = 0; i < 5; i++) assert.equal((await change(guesser, `guess ${i}`)).status, 403);
  const locked = await change(guesser, user.password);
  assert.equal(locked.status, 429);
  assert.ok(Number(locked.headers.get('retry-after')) >= 1);
  assert.equal((await change(owner, user.password)).status, 200);
});
