import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestMain } from '../../main/test/helper.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { post, signUp, startAuthService } from './services.ts';

const ADMIN = { email: 'admin@example.com', password: 'admin password for gateway tests' };

/**
 * Main's own tests sign tokens with a test issuer and a table of what each role grants; this
 * proves against the real auth service that a role given there grants in main what that table
 * says: a user writes own posts only, an editor any post.
 */
test('roles given in auth decide what a user may do in main, through the gateway', async () => {
  const { cleanup } = closeAtEnd();
  const auth = await startAuthService({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
  cleanup(auth.stop);
  const main = await buildTestMain({ AUTH_URL: auth.url });
  const mainUrl = await main.app.listen({ port: 0, host: '127.0.0.1' });
  const { app, url } = await startGateway(
    { AUTH_URLS: auth.url, MAIN_URLS: mainUrl },
    { auth: 'real' },
  );
  cleanup(() => app.close());
  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const patch = (id: string, token: string) =>
    fetch(`${url}/main/v1/posts/${id}`, {
      method: 'PATCH',
      headers: { ...as(token), 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Edited by someone else' }),
    });

  const [alice, bob] = [await signUp(url), await signUp(url)];
  const created = await post(
    `${url}/main/v1/posts`,
    { title: 'Written after signing up', body: 'b', status: 'published' },
    as(alice.accessToken),
  );
  assert.equal(created.status, 201);
  const { post: written } = (await created.json()) as { post: { id: string; author_id: string } };
  assert.equal(written.author_id, alice.id);
  assert.equal((await patch(written.id, bob.accessToken)).status, 403);

  const admin = (await (await post(`${url}/accounts/v1/login`, ADMIN)).json()) as {
    access_token: string;
  };
  const promoted = await fetch(`${url}/accounts/v1/users/${bob.id}/roles`, {
    method: 'PUT',
    headers: { ...as(admin.access_token), 'content-type': 'application/json' },
    body: JSON.stringify({ roles: ['user', 'editor'] }),
  });
  assert.equal(promoted.status, 200);
  const login = await post(`${url}/accounts/v1/login`, {
    email: bob.email,
    password: bob.password,
  });
  const editor = (await login.json()) as { access_token: string };
  const edited = await patch(written.id, editor.access_token);
  assert.equal(edited.status, 200);
  assert.equal(((await edited.json()) as { post: { author_id: string } }).post.author_id, alice.id);
});
