import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestAuth, enrolledUser, finishMfa, mfaChallenge } from './helper.ts';

/**
 * Every 401 names the scheme that would succeed (RFC 9110 §11.6.1: a 401 MUST carry
 * WWW-Authenticate), not only those of a missing or bad access token and of `/login`: a refused
 * refresh token or second factor said nothing, so a client keying its sign-in on the challenge
 * (as HTTP libraries do) did not see one.
 */
const { app } = await buildTestAuth();

const post = (url: string, payload: object) =>
  app.inject({ method: 'POST', url: `/accounts/v1${url}`, payload });

function assertChallenge(
  res: { statusCode: number; headers: Record<string, unknown>; body: string },
  code: string,
) {
  assert.equal(res.statusCode, 401, res.body);
  assert.equal(JSON.parse(res.body).code, code);
  assert.equal(res.headers['www-authenticate'], 'Bearer');
}

test('a refused refresh token and a refused second factor answer with a challenge', async () => {
  assertChallenge(
    await post('/refresh', { refresh_token: 'not a refresh token' }),
    'invalid_refresh_token',
  );
  assertChallenge(
    await finishMfa(app, { mfa_token: 'not an mfa token', code: '123456' }),
    'invalid_mfa_token',
  );
  const user = await enrolledUser(app);
  const mfaToken = await mfaChallenge(app, user.email, user.password);
  assertChallenge(
    await finishMfa(app, { mfa_token: mfaToken, code: 'abcdef' }),
    'invalid_mfa_code',
  );
  assertChallenge(
    await finishMfa(app, { mfa_token: mfaToken, recovery_code: 'aaaa-bbbb-cccc-dddd' }),
    'invalid_mfa_code',
  );
});
