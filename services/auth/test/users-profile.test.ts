import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import { bearer, buildTestAuth, login, revokedWhileWaiting, signUp } from './helper.ts';

const { app, databaseUrl, mails } = await buildTestAuth();

const patch = (token: string | undefined, payload: unknown) =>
  app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: token ? bearer(token) : {},
    payload: payload as object,
  });

async function updatedAt(id: string): Promise<Date> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query('select updated_at from users where id = $1', [id]);
    return rows[0].updated_at;
  } finally {
    await client.end();
  }
}

test('PATCH /user sets and clears display_name and bio and moves updated_at', async () => {
  const user = await signUp(app);
  const before = await updatedAt(user.id);
  const set = await patch(user.accessToken, {
    display_name: '  Ada L.  ',
    bio: 'Poetical science',
  });
  assert.equal(set.statusCode, 200);
  assert.equal(set.json().user.display_name, 'Ada L.');
  assert.equal(set.json().user.bio, 'Poetical science');
  assert.ok((await updatedAt(user.id)) > before);

  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.display_name, 'Ada L.');

  const cleared = await patch(user.accessToken, { display_name: null, bio: '   ' });
  assert.equal(cleared.statusCode, 200);
  assert.equal(cleared.json().user.display_name, null);
  assert.equal(cleared.json().user.bio, null);
  assert.equal(cleared.json().user.email, user.email);
});

test('PATCH /user changes the username; the new one signs in', async () => {
  const user = await signUp(app);
  const username = `renamed${user.username.slice(4, 20)}`;
  const res = await patch(user.accessToken, { username });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().user.username, username);
  const relogin = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { username, password: user.password },
  });
  assert.equal(relogin.statusCode, 200);
});

test('an email change needs the current password: missing is 400, wrong is 403', async () => {
  const user = await signUp(app);
  const email = `new.${user.email}`;
  const missing = await patch(user.accessToken, { email });
  assert.equal(missing.statusCode, 400);
  assert.deepEqual(
    missing.json().errors.map((e: { field: string }) => e.field),
    ['current_password'],
  );
  const wrong = await patch(user.accessToken, { email, current_password: 'not my password' });
  assert.equal(wrong.statusCode, 403);
  assert.equal(wrong.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.deepEqual(wrong.json().errors, [{ field: 'current_password', message: 'is incorrect' }]);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.email, user.email);
  assert.equal(me.json().user.pending_email, null);
});

test('a new email stays pending, verified state untouched, until its token comes back', async () => {
  const user = await signUp(app);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('update users set email_verified = true where id = $1', [user.id]);
  await client.end();
  const sentBefore = (await mails()).length;

  const email = `new.${user.email}`;
  const res = await patch(user.accessToken, { email, current_password: user.password });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().user.email, user.email);
  assert.equal(res.json().user.email_verified, true);
  assert.equal(res.json().user.pending_email, email);

  const sent = (await mails()).slice(sentBefore);
  assert.equal(sent.length, 2);
  const confirmation = sent.find((m) =>
    new RegExp(`^To: ${email.replace(/[.]/g, '\\.')}$`, 'm').test(m),
  );
  const token = /^ {4}(\S+)$/m.exec(confirmation ?? '')?.[1];
  assert.ok(token);
  const verify = await app.inject({
    method: 'POST',
    url: '/accounts/v1/verify-email',
    payload: { token },
  });
  assert.equal(verify.statusCode, 204);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.email, email);
  assert.equal(me.json().user.pending_email, null);
  assert.equal(me.json().user.email_verified, true);
  await login(app, email, user.password);
});

test('the same address in other letter case is respelled at once and mails nothing', async () => {
  const user = await signUp(app);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('update users set email_verified = true where id = $1', [user.id]);
  await client.end();
  const sentBefore = (await mails()).length;
  const res = await patch(user.accessToken, {
    email: user.email.toUpperCase(),
    current_password: user.password,
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().user.email, user.email.toUpperCase());
  assert.equal(res.json().user.email_verified, true);
  assert.equal(res.json().user.pending_email, null);
  assert.equal((await mails()).length, sentBefore);
});

test('only ASCII letter case is a respelling: an address with a Kelvin sign needs the mailed proof for k', async () => {
  // An address no form accepts, as an OIDC sign-up stored it before its claim was checked:
  // JavaScript lower-cases the Kelvin sign (U+212A) to k, so kate-… passed for the same address
  // and became the account's verified email without a word to that mailbox.
  const user = await signUp(app);
  const local = `ate-${user.id.slice(0, 8)}@example.com`;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('update users set email = $2, email_verified = true where id = $1', [
    user.id,
    `\u212A${local}`,
  ]);
  await client.end();
  const res = await patch(user.accessToken, {
    email: `k${local}`,
    current_password: user.password,
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().user.email, `\u212A${local}`);
  assert.equal(res.json().user.pending_email, `k${local}`);
  // The token mailed to k… proves that address, not the one it folds to: the change completes.
  const confirmation = (await mails()).find((m) => m.includes(`To: k${local}`));
  const token = /^ {4}(\S+)$/m.exec(confirmation ?? '')?.[1];
  assert.ok(token);
  const verify = await app.inject({
    method: 'POST',
    url: '/accounts/v1/verify-email',
    payload: { token },
  });
  assert.equal(verify.statusCode, 204);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.email, `k${local}`);
  assert.equal(me.json().user.pending_email, null);
});

test('a taken username is a 409 naming the field, whatever the letter case', async () => {
  const taken = await signUp(app);
  const user = await signUp(app);
  const username = await patch(user.accessToken, { username: taken.username.toUpperCase() });
  assert.equal(username.statusCode, 409);
  assert.equal(username.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(username.json().errors[0].field, 'username');
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.email, user.email);
  assert.equal(me.json().user.username, user.username);
});

test('a taken email gets the same answer as a free one; its owner is told, with no token', async () => {
  const taken = await signUp(app);
  const user = await signUp(app);
  const sentBefore = (await mails()).length;
  const res = await patch(user.accessToken, {
    email: taken.email.toUpperCase(),
    current_password: user.password,
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().user.email, user.email);
  assert.equal(res.json().user.pending_email, taken.email.toUpperCase());
  const sent = (await mails()).slice(sentBefore);
  const warning = sent.find((m) => m.toLowerCase().includes(`to: ${taken.email}`));
  assert.match(warning ?? '', /^Subject: Someone tried to use this address$/m);
  assert.doesNotMatch(warning!, /^ {4}\S{43}$/m);
});

test('PATCH /user refuses an empty body, unknown-only fields and invalid values with 400', async () => {
  const user = await signUp(app);
  // Both are validation failures with `errors`, as the contract has them (the unknown-only body
  // was a `bad_request` without any).
  for (const payload of [{}, { nickname: 'x' }, { roles: ['admin'] }]) {
    const res = await patch(user.accessToken, payload);
    assert.equal(res.statusCode, 400, JSON.stringify(payload));
    assert.equal(res.json().code, 'validation_failed', res.body);
    assert.equal(res.json().errors[0].field, '(root)', res.body);
  }
  const invalid = await patch(user.accessToken, {
    email: 'not-an-email',
    username: 'a b',
    display_name: 'x'.repeat(101),
    bio: 'y'.repeat(2001),
  });
  assert.equal(invalid.statusCode, 400);
  const fields = new Set(invalid.json().errors.map((e: { field: string }) => e.field));
  assert.deepEqual([...fields].sort(), ['bio', 'display_name', 'email', 'username']);
  const control = await patch(user.accessToken, { display_name: 'evil\u0000name' });
  assert.equal(control.statusCode, 400);
  const limits = await patch(user.accessToken, {
    display_name: 'x'.repeat(100),
    bio: 'y'.repeat(2000),
  });
  assert.equal(limits.statusCode, 200);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.display_name, 'x'.repeat(100));
});

test('PATCH /user without a token is a 401, even with an invalid body', async () => {
  for (const payload of [{ bio: 'hello' }, {}]) {
    const res = await patch(undefined, payload);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().status, 401);
  }
});

test('an email change stands when a mail cannot be sent; the failure is logged', async () => {
  const broken = await buildTestAuth({ SMTP_URL: 'smtp://127.0.0.1:1' });
  const user = await signUp(broken.app);
  const email = `moved.${user.email}`;
  const res = await broken.app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(user.accessToken),
    payload: { email, current_password: user.password },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(res.json().user.pending_email, email);
  const warning = broken.logs.lines.find((l) => l.includes('email change mail not sent'));
  assert.ok(warning);
  assert.ok(!warning.includes(email));
});

test('a newer email change replaces the pending one, whose token stops working', async () => {
  const user = await signUp(app);
  const tokenFor = async (to: string) =>
    /^ {4}(\S+)$/m.exec((await mails()).find((m) => m.includes(`To: ${to}`)) ?? '')?.[1];
  const verify = (token: string | undefined) =>
    app.inject({ method: 'POST', url: '/accounts/v1/verify-email', payload: { token } });
  const [first, second] = [`first.${user.email}`, `second.${user.email}`];
  for (const email of [first, second]) {
    const res = await patch(user.accessToken, { email, current_password: user.password });
    assert.equal(res.json().user.pending_email, email);
  }
  assert.equal((await verify(await tokenFor(first))).statusCode, 400);
  assert.equal((await verify(await tokenFor(second))).statusCode, 204);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.email, second);
});

test('giving the current address again cancels a pending change', async () => {
  const user = await signUp(app);
  const away = `away.${user.email}`;
  await patch(user.accessToken, { email: away, current_password: user.password });
  const back = await patch(user.accessToken, {
    email: user.email,
    current_password: user.password,
  });
  assert.equal(back.statusCode, 200);
  assert.equal(back.json().user.pending_email, null);
  const token = /^ {4}(\S+)$/m.exec(
    (await mails()).find((m) => m.includes(`To: ${away}`)) ?? '',
  )?.[1];
  const verify = await app.inject({
    method: 'POST',
    url: '/accounts/v1/verify-email',
    payload: { token },
  });
  assert.equal(verify.statusCode, 400);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.email, user.email);
});

test('email changes are limited per account, and only real changes count', async () => {
  const limited = await buildTestAuth({ EMAIL_CHANGE_MAX_PER_ACCOUNT: '2' });
  const user = await signUp(limited.app);
  const change = (email: string) =>
    limited.app.inject({
      method: 'PATCH',
      url: '/accounts/v1/user',
      headers: bearer(user.accessToken),
      payload: { email, current_password: user.password },
    });
  assert.equal((await change(user.email.toUpperCase())).statusCode, 200);
  assert.equal((await change(`one.${user.email}`)).statusCode, 200);
  assert.equal((await change(`two.${user.email}`)).statusCode, 200);
  const refused = await change(`three.${user.email}`);
  assert.equal(refused.statusCode, 429);
  assert.ok(Number(refused.headers['retry-after']) >= 1);
  const tooMany = await Promise.all([1, 2, 3].map((i) => change(`burst${i}.${user.email}`)));
  assert.deepEqual(
    tooMany.map((r) => r.statusCode),
    [429, 429, 429],
  );
  // Other profile changes are not limited.
  const bio = await limited.app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(user.accessToken),
    payload: { bio: 'still editable' },
  });
  assert.equal(bio.statusCode, 200);
});

// The password was checked before the change locked the user: an email change from a session a
// reset revoked meanwhile staged the intruder's address on the account the reset gave back (its
// link then moved the account, and a reset from there took it).
test('a profile change whose session a reset revoked while it waited changes nothing', async () => {
  const user = await signUp(app);
  const res = await revokedWhileWaiting(databaseUrl, user.id, () =>
    patch(user.accessToken, {
      email: `taken-${user.email}`,
      current_password: user.password,
      display_name: 'intruder',
    }),
  );
  assert.equal(res.statusCode, 401, res.body);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      'select pending_email, display_name from users where id = $1',
      [user.id],
    );
    assert.deepEqual(rows[0], { pending_email: null, display_name: null });
  } finally {
    await client.end();
  }
});
