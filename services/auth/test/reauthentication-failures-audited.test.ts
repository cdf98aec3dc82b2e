import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bearer, buildTestAuth, enrolledUser, login, signUp, sql } from './helper.ts';

// A wrong `current_password` sent with a valid access token is what a stolen token looks like:
// someone holds the session but not the password. It must show in the audit log, where an
// operator looks, and not only in the throttle's counters.

const ADMIN = { email: 'root@example.com', password: 'audited admin passphrase 7' };
const auth = await buildTestAuth({ ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password });
const { app } = auth;
const admin = await login(app, ADMIN.email, ADMIN.password);
const [{ id: adminId }] = (await sql(auth.databaseUrl, 'select id from users where email = $1', [
  ADMIN.email,
])) as [{ id: string }];

const failures = async (userId: string) =>
  (
    await sql(
      auth.databaseUrl,
      "select actor_id, ip, details from audit_events where user_id = $1 and type = 'login.failed' order by id",
      [userId],
    )
  ).map((r) => ({ actor_id: r.actor_id, ip: r.ip, ...r.details }));

test("a wrong admin password on an MFA reset is audited against the admin's account", async () => {
  const user = await enrolledUser(app);
  const res = await app.inject({
    method: 'DELETE',
    url: `/accounts/v1/users/${user.id}/mfa`,
    headers: bearer(admin.accessToken),
    payload: { current_password: 'a guess with a stolen token' },
    remoteAddress: '198.51.100.9',
  });
  assert.equal(res.statusCode, 403, res.body);
  assert.deepEqual(await failures(adminId), [
    {
      actor_id: null,
      ip: '198.51.100.9',
      reason: 'invalid_password',
      method: 'password',
      during: 'mfa.admin_reset',
    },
  ]);
  assert.deepEqual(await failures(user.id), [], "nothing is written on the target's account");
});

test('wrong current passwords elsewhere, and the throttle refusing them, are audited too', async () => {
  const user = await signUp(app);
  let status = 0;
  for (let i = 0; i < 12 && status !== 429; i++) {
    const res = await app.inject({
      method: 'POST',
      url: '/accounts/v1/change-password',
      headers: bearer(user.accessToken),
      payload: { current_password: `guess number ${i}`, new_password: 'whatever comes next 1' },
      remoteAddress: '198.51.100.10',
    });
    status = res.statusCode;
    assert.ok([403, 429].includes(status), res.body);
  }
  assert.equal(status, 429);
  const reasons = (await failures(user.id)).map((f) => `${f.reason}:${f.during}`);
  assert.ok(reasons.includes('invalid_password:reauthentication'), reasons.join(', '));
  assert.equal(reasons.at(-1), 'rate_limited:reauthentication', reasons.join(', '));
});
