import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertSweepClean, internal, sweepHostileInput } from '@platform/testing';
import { buildTestAuth, login, signUp, TEST_SECRETS } from './helper.ts';

/**
 * Every operation of auth's OpenAPI document, with hostile paths, queries, headers, content
 * types and bodies (packages/testing/src/hostile-input.ts), in process: no 5xx, no hang, every
 * 4xx a problem+json with a code its operation documents, nothing polluted, still healthy.
 */
const ADMIN = { email: 'hostile-admin@example.com', password: 'hostile admin passphrase 1' };
const { app } = await buildTestAuth({
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  // Probes send wrong passwords by the hundred: throttling is not what this tests.
  LOGIN_MAX_FAILURES_PER_ADDRESS: '1000000',
  LOGIN_MAX_FAILURES_PER_ACCOUNT: '1000000',
  MFA_MAX_FAILURES_PER_ACCOUNT: '1000000',
  LOGIN_MAX_FAILURES_PER_ACCOUNT_ADDRESS: '1000000',
  EMAIL_CHANGE_MAX_PER_ACCOUNT: '1000000',
  AVATAR_UPLOADS_PER_WINDOW: '1000000',
});
const base = '/accounts/v1';

/**
 * The operations whose handler first checks the caller's password: each probe they accept costs
 * an argon2id check (~13 ms of CPU at auth's parameters; this file's app hashes at the helper's
 * TEST_ARGON2_PARAMS) and ends in the same 403. The probes whose hostile part only app-wide code
 * reads (odd query strings, headers, content types, keys the schema strips) go through the same
 * hooks and body parser on every route, and all of them still go to login, which checks a
 * password too, and to every other operation. What these handlers
 * read of a request besides its body is the client's address (X-Forwarded-For, kept: the
 * throttle and the audit log store it) and its User-Agent.
 */
const CONFIRMS_PASSWORD = new Set(
  [
    'POST /change-password',
    'DELETE /user',
    'DELETE /users/{id}/mfa',
    'POST /user/mfa/totp',
    'DELETE /user/mfa/totp',
    'POST /user/mfa/recovery-codes',
  ].map((key) => key.replace(' ', ` ${base}`)),
);
const APP_WIDE =
  / (query |header (?!X-Forwarded-For)|content-type |body \(root\) with |body with an unknown field$)/;

test('no hostile request to any auth operation fails the service', async () => {
  const other = await signUp(app);
  let token = (await login(app, ADMIN.email, ADMIN.password)).accessToken;
  let renewing: Promise<string> | undefined;
  const doc = (await app.inject({ url: `${base}/openapi.json` })).json();

  const { sent, faults } = await sweepHostileInput(app, doc, {
    // Nested fields too (the gateway's sweep sent them through the whole stack).
    nested: true,
    only: (probe, op) =>
      !CONFIRMS_PASSWORD.has(`${op.method} ${op.path}`) || !APP_WIDE.test(probe.label),
    // Avatars take 5 MB.
    bodyLimit: 6 * 1024 * 1024,
    pathValues: () => ({ id: other.id, provider: 'none', user_id: other.id }),
    bodies: {
      [`POST ${base}/login`]: { email: other.email, password: 'not the password' },
      [`PUT ${base}/users/{id}/roles`]: { roles: ['user', 'editor'] },
      [`PATCH ${base}/user`]: { display_name: 'Hostile', bio: 'text' },
      [`POST ${base}/login/passkey/options`]: { email: other.email },
    },
    authorization: async (_op, stale) => {
      // A probe (a logout, a revoked session) ended the admin's session: sign in again, once.
      if (stale === `Bearer ${token}`) {
        renewing ??= login(app, ADMIN.email, ADMIN.password).then((t) => {
          token = t.accessToken;
          renewing = undefined;
          return token;
        });
        await renewing;
      }
      return `Bearer ${token}`;
    },
  });
  await assertSweepClean(app, { sent, faults }, 1000);
  // Sign-in still works for the accounts the sweep aimed at.
  await login(app, other.email, other.password);
});

test('no hostile request to auth internal routes fails them', async () => {
  const text = { type: 'string' };
  const { sent, faults } = await sweepHostileInput(
    app,
    {},
    {
      bodyLimit: 1024 * 1024,
      headers: { 'x-service-token': TEST_SECRETS.SERVICE_TOKEN },
      authorization: async () => undefined,
      pathValues: () => ({ service: 'hostile-service' }),
      operations: [
        internal('GET', '/internal/revocations', undefined, ['after', 'limit', 'wait']),
        internal('PUT', '/internal/permissions/{service}', {
          permissions: {
            type: 'array',
            items: { type: 'object', properties: { name: text, description: text, roles: {} } },
          },
        }),
      ],
      bodies: {
        'PUT /internal/permissions/{service}': {
          permissions: [{ name: 'hostile:read', description: 'Reads', roles: ['admin'] }],
        },
      },
    },
  );
  assert.ok(sent > 100, `only ${sent} probes`);
  assert.equal(
    faults.length,
    0,
    `${faults.length} of ${sent} failed:\n${faults.slice(0, 80).join('\n')}`,
  );
  assert.equal((await app.inject({ url: '/health/ready' })).statusCode, 200);
});
