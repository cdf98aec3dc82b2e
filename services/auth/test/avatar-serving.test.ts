import assert from 'node:assert/strict';
import { test } from 'node:test';
import sharp from 'sharp';
import { bearer, buildTestAuth, signUp } from './helper.ts';

const { app } = await buildTestAuth();

async function uploadColour(token: string, r: number) {
  const png = await sharp({
    create: { width: 64, height: 64, channels: 3, background: { r, g: 0, b: 0 } },
  })
    .png()
    .toBuffer();
  const boundary = 'avatar-serving-boundary';
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n`,
    ),
    png,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  const res = await app.inject({
    method: 'PUT',
    url: '/accounts/v1/user/avatar',
    headers: { ...bearer(token), 'content-type': `multipart/form-data; boundary=${boundary}` },
    payload,
  });
  assert.equal(res.statusCode, 200, res.body);
  return new URL(res.json().user.avatar_url as string);
}

test('no avatar, an unknown user or a malformed id: 404, 404 and 400 problems', async () => {
  const user = await signUp(app);
  const none = await app.inject({ url: `/accounts/v1/users/${user.id}/avatar` });
  assert.equal(none.statusCode, 404);
  assert.equal(none.headers['content-type'], 'application/problem+json; charset=utf-8');
  const unknown = await app.inject({
    url: '/accounts/v1/users/0b6e2f7c-3c1e-4f7a-9d35-7a8c2d1e4f60/avatar',
  });
  assert.equal(unknown.statusCode, 404);
  const malformed = await app.inject({ url: '/accounts/v1/users/12345/avatar' });
  assert.equal(malformed.statusCode, 400);
  assert.equal(malformed.json().errors[0].field, 'id');
});

test('a new upload gets a new version; an outdated URL must be revalidated', async () => {
  const user = await signUp(app);
  const first = await uploadColour(user.accessToken, 255);
  const second = await uploadColour(user.accessToken, 0);
  assert.equal(first.pathname, second.pathname);
  assert.notEqual(first.searchParams.get('v'), second.searchParams.get('v'));

  const current = await app.inject({ url: `${second.pathname}${second.search}` });
  const outdated = await app.inject({ url: `${first.pathname}${first.search}` });
  const bare = await app.inject({ url: first.pathname });
  for (const res of [outdated, bare]) {
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.rawPayload, current.rawPayload);
    assert.equal(res.headers['cache-control'], 'public, no-cache');
    assert.equal(res.headers.etag, `"${second.searchParams.get('v')}"`);
  }
  const old = await app.inject({
    url: first.pathname,
    headers: { 'if-none-match': `"${first.searchParams.get('v')}"` },
  });
  assert.equal(old.statusCode, 200);
});

test('the same image uploaded twice keeps its version', async () => {
  const user = await signUp(app);
  const a = await uploadColour(user.accessToken, 10);
  const b = await uploadColour(user.accessToken, 10);
  assert.equal(a.href, b.href);
});

test('DELETE /user/avatar removes it (204), idempotently; it needs a token', async () => {
  const user = await signUp(app);
  const url = await uploadColour(user.accessToken, 128);
  const anonymous = await app.inject({ method: 'DELETE', url: '/accounts/v1/user/avatar' });
  assert.equal(anonymous.statusCode, 401);
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({
      method: 'DELETE',
      url: '/accounts/v1/user/avatar',
      headers: bearer(user.accessToken),
    });
    assert.equal(res.statusCode, 204);
  }
  const gone = await app.inject({ url: `${url.pathname}${url.search}` });
  assert.equal(gone.statusCode, 404);
  const me = await app.inject({ url: '/accounts/v1/user', headers: bearer(user.accessToken) });
  assert.equal(me.json().user.avatar_url, null);
});

test("one user cannot change or remove another user's avatar", async () => {
  const owner = await signUp(app);
  const other = await signUp(app);
  const url = await uploadColour(owner.accessToken, 77);
  const before = await app.inject({ url: `${url.pathname}${url.search}` });
  await app.inject({
    method: 'DELETE',
    url: '/accounts/v1/user/avatar',
    headers: bearer(other.accessToken),
  });
  await uploadColour(other.accessToken, 200);
  const after = await app.inject({ url: `${url.pathname}${url.search}` });
  assert.equal(after.statusCode, 200);
  assert.deepEqual(after.rawPayload, before.rawPayload);
});
