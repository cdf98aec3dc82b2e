import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blackPng } from '../../auth/test/uploads.ts';
import { closeAtEnd, startGateway } from './helpers.ts';
import { eventually, signUp, startAuthService } from './services.ts';

/** Avatar uploads through the gateway to the real auth service, limited to 2 per user. */
const { cleanup } = closeAtEnd();
const auth = await startAuthService({ AVATAR_UPLOADS_PER_WINDOW: '2' });
cleanup(auth.stop);
const gateway = await startGateway({ AUTH_URLS: auth.url }, { auth: 'real' });
cleanup(() => gateway.app.close());
await eventually(async () => (await fetch(`${gateway.url}/health/ready`)).status === 200);

function upload(token: string, png: Buffer) {
  const body = new FormData();
  body.append('file', new Blob([png], { type: 'image/png' }), 'me.png');
  return fetch(`${gateway.url}/accounts/v1/user/avatar`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}` },
    body,
  });
}

/** A counter from the auth service's own /metrics (not served through the gateway). */
async function authMetric(name: string): Promise<number> {
  const text = await (await fetch(`${auth.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(name));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

test('a small PNG declaring 6320×6320 pixels is a 422 problem, and auth never decodes it', async () => {
  const user = await signUp(gateway.url);
  const res = await upload(user.accessToken, blackPng(6320, 6320));
  assert.equal(res.status, 422);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const problem = (await res.json()) as { status: number; detail: string };
  assert.equal(problem.status, 422);
  assert.match(problem.detail, /6320×6320 pixels/);
  assert.equal(await authMetric('auth_avatar_decodes_total'), 0);
  assert.equal(await authMetric('auth_avatar_uploads_refused_total{reason="pixels"'), 1);
});

test('past its upload rate a user gets 429 with Retry-After; another user still uploads', async () => {
  const png = blackPng(300, 300);
  const user = await signUp(gateway.url);
  for (let i = 0; i < 2; i += 1) assert.equal((await upload(user.accessToken, png)).status, 200);
  const refused = await upload(user.accessToken, png);
  assert.equal(refused.status, 429);
  assert.match(refused.headers.get('content-type') ?? '', /^application\/problem\+json/);
  assert.ok(Number(refused.headers.get('retry-after')) > 0);
  assert.equal(((await refused.json()) as { status: number }).status, 429);

  const other = await signUp(gateway.url);
  assert.equal((await upload(other.accessToken, png)).status, 200);
});
