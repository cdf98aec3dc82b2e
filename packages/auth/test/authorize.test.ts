import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { authentication, type Principal } from '@platform/auth';
import { createApp } from '@platform/http';

const principal = (permissions: string[]): Principal => ({
  userId: '00000000-0000-4000-8000-000000000001',
  sessionId: 's',
  roles: ['user'],
  permissions,
});

test('a token without the permission is a 403 naming it, and saying an older token may lack it', async () => {
  const app = await createApp({ name: 'test', prefix: '/test/v1', logLevel: 'silent' });
  after(() => app.close());
  await app.register(authentication, {
    verify: async (token) => principal(token === 'sender' ? ['notes:send'] : []),
  });
  app.post('/send', { onRequest: app.authorize('notes:send') }, async () => ({ sent: true }));
  const send = (token: string) =>
    app.inject({ method: 'POST', url: '/send', headers: { authorization: `Bearer ${token}` } });

  const refused = await send('plain');
  assert.equal(refused.statusCode, 403);
  const body = refused.json() as { code: string; detail: string };
  assert.equal(body.code, 'forbidden');
  assert.match(body.detail, /notes:send/);
  assert.match(body.detail, /sign in again/);
  assert.equal((await send('sender')).statusCode, 200);
});
