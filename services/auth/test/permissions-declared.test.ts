import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { buildTestAuth, login, SERVICE_TOKEN, signUp, sql } from './helper.ts';

const { app, databaseUrl } = await buildTestAuth();

const declare = (service: string, permissions: unknown, token: string | null = SERVICE_TOKEN) =>
  app.inject({
    method: 'PUT',
    url: `/internal/permissions/${service}`,
    headers: token === null ? {} : { 'x-service-token': token },
    payload: { permissions },
  });

/** The permissions in the access token of a fresh sign-in by `user`. */
const tokenPermissions = async (user: { email: string; password: string }) =>
  decodeJwt((await login(app, user.email, user.password)).accessToken).permissions as string[];

const notes = (roles = ['user']) => [
  { name: 'notes:write', description: 'Write notes', roles },
  { name: 'notes:read-any', description: 'Read anyone’s notes', roles: ['admin'] },
];

test('a permission a service declares is in the next token of a user whose role has it, with no migration', async () => {
  const user = await signUp(app);
  assert.ok(!(await tokenPermissions(user)).includes('notes:write'));

  assert.equal((await declare('notes', notes())).statusCode, 204);
  assert.deepEqual((await tokenPermissions(user)).sort(), ['notes:write', 'posts:write']);

  // Declaring the same again is a no-op.
  assert.equal((await declare('notes', notes())).statusCode, 204);
  const rows = await sql(databaseUrl, `select name from permissions where service = 'notes'`);
  assert.deepEqual(rows.map((r) => r.name).sort(), ['notes:read-any', 'notes:write']);
});

test('a role dropped from a permission, or a permission no longer declared, leaves the next token', async () => {
  const user = await signUp(app);
  assert.equal((await declare('notes', notes())).statusCode, 204);
  assert.ok((await tokenPermissions(user)).includes('notes:write'));

  assert.equal((await declare('notes', notes(['editor']))).statusCode, 204);
  assert.ok(!(await tokenPermissions(user)).includes('notes:write'));

  assert.equal((await declare('notes', notes().slice(1))).statusCode, 204);
  const left = await sql(databaseUrl, `select name from permissions where service = 'notes'`);
  assert.deepEqual(left, [{ name: 'notes:read-any' }]);
  assert.deepEqual(
    await sql(databaseUrl, `select role from role_permissions where permission = 'notes:write'`),
    [],
  );

  assert.equal((await declare('notes', [])).statusCode, 204);
  assert.deepEqual(
    await sql(databaseUrl, `select name from permissions where service = 'notes'`),
    [],
  );
});

test('the existing permissions belong to the services that check them, auth’s from its manifest', async () => {
  const rows = await sql(databaseUrl, 'select name, service from permissions order by name');
  const owners = Object.fromEntries(rows.map((r) => [r.name, r.service]));
  assert.equal(owners['users:manage'], 'auth');
  assert.equal(owners['posts:write'], 'main');
  assert.equal(owners['categories:manage'], 'main');
  assert.equal(owners['analytics:read'], 'analytics');
  assert.equal(owners['analytics:manage'], 'analytics');
});

test('declaring needs the service token', async () => {
  assert.equal((await declare('notes', notes(), null)).statusCode, 401);
  const wrong = await declare('notes', notes(), 'not-the-service-token-0123456789abcdef');
  assert.equal(wrong.statusCode, 401);
  assert.equal(wrong.headers['content-type'], 'application/problem+json; charset=utf-8');
});

test('a name another service owns is a 409 and changes nothing', async () => {
  const res = await declare('notes', [
    ...notes(),
    { name: 'posts:write', description: 'Mine now', roles: ['user'] },
  ]);
  assert.equal(res.statusCode, 409);
  assert.deepEqual(res.json().errors, [
    { field: 'permissions.2.name', message: '"posts:write" belongs to main' },
  ]);
  const [row] = await sql(
    databaseUrl,
    `select description, service from permissions where name = 'posts:write'`,
  );
  assert.deepEqual(row, {
    description: 'Create posts and edit or delete own posts',
    service: 'main',
  });
});

test('an unknown role, a bad name or a name declared twice is a 400 naming the field', async () => {
  const before = await sql(databaseUrl, 'select * from role_permissions order by 1, 2');
  const unknown = await declare('notes', notes(['user', 'superuser']));
  assert.equal(unknown.statusCode, 400);
  assert.deepEqual(unknown.json().errors, [
    { field: 'permissions.0.roles.1', message: '"superuser" is not a role' },
  ]);

  const badName = await declare('notes', [{ name: 'Notes', description: 'x', roles: [] }]);
  assert.equal(badName.statusCode, 400);
  assert.match(JSON.stringify(badName.json().errors), /permissions\.0\.name/);

  const twice = await declare('notes', [notes()[0], notes()[0]]);
  assert.equal(twice.statusCode, 400);
  assert.deepEqual(twice.json().errors, [
    { field: 'permissions.1.name', message: '"notes:write" is declared twice' },
  ]);
  assert.deepEqual(await sql(databaseUrl, 'select * from role_permissions order by 1, 2'), before);
});
