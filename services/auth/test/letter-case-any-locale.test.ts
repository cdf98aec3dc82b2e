import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { databaseUrl } from '@platform/db';
import pg from 'pg';
import { bearer, buildTestAuth, login } from './helper.ts';

/**
 * An existing PostgreSQL (POSTGRES_URL) makes auth's database in its own default locale. In a
 * Turkish one `lower('I')` is the dotless `ı`, so `lower(email)` told ILKER@ from ilker@ apart:
 * the same address (and username) in other letter case opened a second account, and signing in
 * in other letters than registered found none. Emails and usernames are ASCII, folded by ASCII
 * rules whatever the database's locale.
 */
async function turkishDatabase() {
  const server = process.env.TEST_POSTGRES_URL!;
  const name = `test_tr_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(
    `create database ${name} template template0 locale_provider icu icu_locale 'tr-TR' locale 'C'`,
  );
  await admin.end();
  return {
    url: databaseUrl(server, name),
    drop: async () => {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

const database = await turkishDatabase();
const ADMIN = { email: 'yonetici@example.com', password: 'ankara admin passphrase 1923' };
const { app } = await buildTestAuth(
  { ADMIN_EMAIL: ADMIN.email, ADMIN_PASSWORD: ADMIN.password },
  { database },
);

const register = (payload: object) =>
  app.inject({ method: 'POST', url: '/accounts/v1/register', payload });

test('in a database with Turkish case rules, an email or username in other letter case is still taken, and signs in', async () => {
  const check = await new pg.Client({ connectionString: database.url });
  await check.connect();
  const { rows } = await check.query(`select lower('ILKER') as folded`);
  await check.end();
  assert.equal(rows[0].folded, 'ılker', 'the database folds I to the dotless ı');

  const password = 'istanbul bosphorus 1453';
  const first = await register({ email: 'ilker@example.com', username: 'ilker', password });
  assert.equal(first.statusCode, 201, first.body);

  const sameEmail = await register({ email: 'ILKER@example.com', username: 'other', password });
  assert.equal(sameEmail.statusCode, 409, sameEmail.body);
  assert.equal(sameEmail.json().errors[0].field, 'email');
  const sameName = await register({ email: 'other@example.com', username: 'ILKER', password });
  assert.equal(sameName.statusCode, 409, sameName.body);
  assert.equal(sameName.json().errors[0].field, 'username');

  for (const login of [{ email: 'Ilker@Example.COM' }, { username: 'ILKER' }]) {
    const res = await app.inject({
      method: 'POST',
      url: '/accounts/v1/login',
      payload: { ...login, password },
    });
    assert.equal(res.statusCode, 200, `${JSON.stringify(login)}: ${res.body}`);
    assert.equal(res.json().user.id, first.json().user.id);
  }
});

test('in a database with Turkish case rules, the admin search finds an email or username in other letter case', async () => {
  const password = 'izmir aegean coast 35';
  const made = await register({ email: 'irmak@example.com', username: 'irmak.i', password });
  assert.equal(made.statusCode, 201, made.body);
  const admin = await login(app, ADMIN.email, ADMIN.password);
  for (const q of ['IRMAK@EXAMPLE', 'Irmak.I', 'irmak']) {
    const res = await app.inject({
      url: `/accounts/v1/users?q=${encodeURIComponent(q)}`,
      headers: bearer(admin.accessToken),
    });
    assert.equal(res.statusCode, 200, res.body);
    const found = (res.json().items as { id: string }[]).map((u) => u.id);
    assert.deepEqual(found, [made.json().user.id], q);
  }
});
