import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAuth, login, sql as runSql, signUp } from './helper.ts';

const ADMIN = { email: 'root@example.com', password: 'listing admin passphrase 7' };
const { app, databaseUrl } = await buildTestAuth({
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
});
const admin = await login(app, ADMIN.email, ADMIN.password);

const sql = (text: string, values: unknown[] = []) => runSql(databaseUrl, text, values);

const list = (query: string, token = admin.accessToken) =>
  app.inject({ url: `/accounts/v1/users${query}`, headers: bearer(token) });

interface Page {
  items: { id: string; email: string; roles: string[]; permissions: string[] }[];
  next_cursor: string | null;
}

/** Follows next_cursor to the end; returns every id in the order served. */
async function walk(query: string, limit: number, during?: (page: number) => Promise<void>) {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 1000; page++) {
    const params = new URLSearchParams(query);
    params.set('limit', String(limit));
    if (cursor) params.set('cursor', cursor);
    const res = await list(`?${params}`);
    assert.equal(res.statusCode, 200, res.body);
    const body: Page = res.json();
    assert.ok(body.items.length <= limit);
    ids.push(...body.items.map((u) => u.id));
    await during?.(page);
    cursor = body.next_cursor;
    if (!cursor) return ids;
  }
  throw new Error('the cursor never ended');
}

test('a plain user and an editor get 403 from the admin routes; no token is a 401', async () => {
  const plain = await signUp(app);
  const editor = await signUp(app);
  await sql(`insert into user_roles (user_id, role) values ($1, 'editor')`, [editor.id]);
  const editorTokens = await login(app, editor.email, editor.password);
  for (const token of [plain.accessToken, editorTokens.accessToken]) {
    const users = await list('', token);
    assert.equal(users.statusCode, 403);
    assert.equal(users.json().status, 403);
    // Promoting oneself is the obvious attempt; an invalid query changes nothing either.
    const roles = await app.inject({
      method: 'PUT',
      url: `/accounts/v1/users/${plain.id}/roles`,
      headers: bearer(token),
      payload: { roles: ['admin'] },
    });
    assert.equal(roles.statusCode, 403);
    assert.equal((await list('?limit=0', token)).statusCode, 403);
  }
  const after = await sql('select role from user_roles where user_id = $1', [plain.id]);
  assert.deepEqual(
    after.map((r) => r.role),
    ['user'],
  );
  assert.equal((await app.inject({ url: '/accounts/v1/users' })).statusCode, 401);
});

test('walking the cursors returns every user exactly once, ties and new sign-ups included', async () => {
  const created = await Promise.all(Array.from({ length: 9 }, () => signUp(app)));
  // Same instant for some, a microsecond apart for others: the order must still be total.
  await sql(`update users set created_at = '2031-01-01 00:00:00.000001+00' where id = any($1)`, [
    created.slice(0, 4).map((u) => u.id),
  ]);
  await sql(`update users set created_at = '2031-01-01 00:00:00.000002+00' where id = any($1)`, [
    created.slice(4, 6).map((u) => u.id),
  ]);
  const before = (await sql('select id from users')).map((r) => r.id as string);
  const added: string[] = [];
  const ids = await walk('', 2, async (page) => {
    if (page === 1) added.push((await signUp(app)).id);
  });
  assert.equal(new Set(ids).size, ids.length, 'no user twice');
  assert.deepEqual([...ids].sort(), [...before, ...added].sort());

  const ordered = await sql('select id from users order by created_at, id');
  assert.deepEqual(
    ids,
    ordered.map((r) => r.id),
  );

  const whole = await list('?limit=100');
  assert.equal(whole.json().next_cursor, null);
  assert.equal(whole.json().items.length, ids.length);
});

test('the default page holds 20 users and each carries its roles and permissions', async () => {
  while ((await sql('select count(*)::int as n from users'))[0].n < 22) await signUp(app);
  const res = await list('');
  assert.equal(res.statusCode, 200);
  const page: Page = res.json();
  assert.equal(page.items.length, 20);
  assert.ok(page.next_cursor);
  const root = page.items.find((u) => u.email === ADMIN.email);
  assert.deepEqual(root?.roles, ['admin', 'user']);
  assert.ok(root?.permissions.includes('users:manage'));
  const plain = page.items.find((u) => u.email !== ADMIN.email && u.roles.length === 1);
  assert.deepEqual(plain?.permissions, ['posts:write']);
  assert.ok(!res.body.includes('argon2'));
});

test('q matches email, username and display name case-insensitively; % and _ are literal', async () => {
  const named = await signUp(app);
  const percent = await signUp(app);
  await app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(named.accessToken),
    payload: { display_name: 'Zebedee Quux' },
  });
  await app.inject({
    method: 'PATCH',
    url: '/accounts/v1/user',
    headers: bearer(percent.accessToken),
    payload: { display_name: 'Full 100%_sure' },
  });
  const ids = async (q: string) => (await walk(`q=${encodeURIComponent(q)}`, 100)).sort();
  assert.deepEqual(await ids('zEBEDEE q'), [named.id]);
  assert.deepEqual(await ids(named.email.toUpperCase()), [named.id]);
  assert.deepEqual(await ids(named.username.slice(2).toUpperCase()), [named.id]);
  assert.deepEqual(await ids('%'), [percent.id]);
  assert.deepEqual(await ids('0%_s'), [percent.id]);
  assert.deepEqual(await ids('_'), [percent.id]);
  assert.deepEqual(await ids('no such person anywhere'), []);
});

test('role filters the list', async () => {
  const editor = await signUp(app);
  await sql(`insert into user_roles (user_id, role) values ($1, 'editor')`, [editor.id]);
  const editors = await list('?role=editor&limit=100');
  assert.ok(editors.json().items.some((u: { id: string }) => u.id === editor.id));
  assert.ok(editors.json().items.every((u: { roles: string[] }) => u.roles.includes('editor')));
  const admins = await list('?role=admin');
  assert.deepEqual(
    admins.json().items.map((u: { email: string }) => u.email),
    [ADMIN.email],
  );
});

test('limit outside 1–100 and a cursor this service did not make are 400s', async () => {
  for (const query of ['?limit=0', '?limit=101', '?limit=ten', '?limit=2.5', '?limit=Infinity']) {
    const res = await list(query);
    assert.equal(res.statusCode, 400, query);
    assert.equal(res.json().errors[0].field, 'limit');
  }
  for (const [query, field] of [
    ['?q=a%00b', 'q'],
    ['?role=a%00', 'role'],
  ]) {
    const res = await list(query!);
    assert.equal(res.statusCode, 400, query);
    assert.equal(res.json().errors[0].field, field);
  }
  const forged = [
    'not a cursor',
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from('{"at":"x"}').toString('base64url'),
    Buffer.from(
      JSON.stringify(['2031-02-30T00:00:00.000000', '00000000-0000-4000-8000-000000000000']),
    ).toString('base64url'),
    // Date.parse reads year 0; Postgres has none.
    Buffer.from(
      JSON.stringify(['0000-01-01T00:00:00.000000', '00000000-0000-4000-8000-000000000000']),
    ).toString('base64url'),
    Buffer.from(
      JSON.stringify(["2031-01-01T00:00:00.000000'; drop table users; --", 'x']),
    ).toString('base64url'),
  ];
  // Empty is no cursor a page gave: a client looping on `cursor=${next ?? ''}` would start over.
  for (const cursor of [...forged, '']) {
    const res = await list(`?cursor=${encodeURIComponent(cursor)}`);
    assert.equal(res.statusCode, 400, cursor);
    assert.equal(res.json().errors[0].field, 'cursor');
  }
});
