import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeJwt } from 'jose';
import { bearer, buildTestAuth, login, signUp } from './helper.ts';

const ADMIN = { email: 'chief@example.com', password: 'roles admin passphrase 9' };
const { app } = await buildTestAuth({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
const chief = await login(app, ADMIN.email, ADMIN.password);
const chiefId = decodeJwt(chief.accessToken).sub!;

const setRoles = (id: string, roles: unknown, token = chief.accessToken) =>
  app.inject({
    method: 'PUT',
    url: `/accounts/v1/users/${id}/roles`,
    headers: bearer(token),
    payload: { roles },
  });

test('an admin sets roles; the list shows them at once, tokens after the next sign-in', async () => {
  const user = await signUp(app);
  const res = await setRoles(user.id, ['user', 'editor']);
  assert.equal(res.statusCode, 200);
  const { user: changed } = res.json();
  assert.equal(changed.id, user.id);
  assert.deepEqual(changed.roles, ['editor', 'user']);
  assert.deepEqual(changed.permissions, ['categories:manage', 'posts:edit-any', 'posts:write']);

  const editors = await app.inject({
    url: '/accounts/v1/users?role=editor',
    headers: bearer(chief.accessToken),
  });
  assert.deepEqual(
    editors.json().items.map((u: { id: string }) => u.id),
    [user.id],
  );

  // The token in hand was issued before the change and keeps its roles until it is replaced.
  assert.deepEqual(decodeJwt(user.accessToken).roles, ['user']);
  const fresh = await login(app, user.email, user.password);
  assert.deepEqual(decodeJwt(fresh.accessToken).roles, ['editor', 'user']);
  assert.ok((decodeJwt(fresh.accessToken).permissions as string[]).includes('posts:edit-any'));

  const demoted = await setRoles(user.id, ['user']);
  assert.deepEqual(demoted.json().user.roles, ['user']);
  const again = await login(app, user.email, user.password);
  assert.deepEqual(decodeJwt(again.accessToken).roles, ['user']);
});

test('unknown, duplicate, missing or empty roles are 400s and change nothing', async () => {
  const user = await signUp(app);
  const unknown = await setRoles(user.id, ['user', 'superuser']);
  assert.equal(unknown.statusCode, 400);
  assert.deepEqual(unknown.json().errors, [
    { field: 'roles.1', message: '"superuser" is not a role' },
  ]);
  for (const roles of [['user', 'user'], [], 'not-a-list-of-roles!', undefined]) {
    const res = await setRoles(user.id, roles);
    assert.equal(res.statusCode, 400, JSON.stringify(roles));
    assert.ok(res.json().errors.length > 0);
  }
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.deepEqual(me.json().user.roles, ['user']);
});

test('an unknown user is a 404 and a malformed id a 400', async () => {
  const missing = await setRoles('4b8e5c4e-8d3f-4b8a-9a57-0f4e3c1d2b6a', ['user']);
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8');
  const malformed = await setRoles('not-a-uuid', ['user']);
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().errors[0].field, 'id');
});

test('the last admin cannot lose the admin role; with two, one may go', async () => {
  const last = await setRoles(chiefId, ['user']);
  assert.equal(last.statusCode, 409);
  assert.equal(last.json().errors[0].field, 'roles');

  const deputy = await signUp(app);
  assert.equal((await setRoles(deputy.id, ['user', 'admin'])).statusCode, 200);
  const deputyTokens = await login(app, deputy.email, deputy.password);
  const stepDown = await setRoles(chiefId, ['user'], deputyTokens.accessToken);
  assert.equal(stepDown.statusCode, 200);
  assert.deepEqual(stepDown.json().user.roles, ['user']);

  // The chief's token still grants users:manage until it is refreshed, yet cannot remove the
  // one admin left.
  const revenge = await setRoles(deputy.id, ['user'], chief.accessToken);
  assert.equal(revenge.statusCode, 409);
  assert.equal(
    (await setRoles(chiefId, ['user', 'admin'], deputyTokens.accessToken)).statusCode,
    200,
  );
});

test('two admins demoting each other at the same moment leave one admin', async () => {
  for (let round = 0; round < 5; round++) {
    const a = await signUp(app);
    const b = await signUp(app);
    for (const u of [a, b]) assert.equal((await setRoles(u.id, ['user', 'admin'])).statusCode, 200);
    const aTokens = await login(app, a.email, a.password);
    const bTokens = await login(app, b.email, b.password);
    const admins = await app.inject({
      url: '/accounts/v1/users?role=admin',
      headers: bearer(aTokens.accessToken),
    });
    for (const { id } of admins.json().items as { id: string }[]) {
      if (id !== a.id && id !== b.id) {
        assert.equal((await setRoles(id, ['user'], aTokens.accessToken)).statusCode, 200);
      }
    }

    const results = await Promise.all([
      setRoles(b.id, ['user'], aTokens.accessToken),
      setRoles(a.id, ['user'], bTokens.accessToken),
    ]);
    assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409], `round ${round}`);

    const left = await app.inject({
      url: '/accounts/v1/users?role=admin',
      headers: bearer(aTokens.accessToken),
    });
    assert.equal(left.json().items.length, 1);
    // Restore the chief and retire a and b for the next round.
    const survivor = results[0]!.statusCode === 200 ? aTokens : bTokens;
    assert.equal(
      (await setRoles(chiefId, ['user', 'admin'], survivor.accessToken)).statusCode,
      200,
    );
    for (const u of [a, b]) assert.equal((await setRoles(u.id, ['user'])).statusCode, 200);
  }
});
