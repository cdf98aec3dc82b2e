import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type App, loggerOptions } from '@platform/http';
import { createTestDatabase, logCapture, TEST_SECRETS } from '@platform/testing';
import pg from 'pg';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { type Config, readConfig } from '../src/config.ts';
import {
  type Argon2Params,
  createPasswordHasher,
  type PasswordHasher,
} from '../src/credentials/hashing.ts';
import { openDatabase } from '../src/db/index.ts';
import { createMailer } from '../src/mail/transport.ts';
import { codeAt } from '../src/second-factor/totp.ts';
import type { RevocationEntry, RevocationPublisher } from '../src/sessions/revocations.ts';

export { TEST_SECRETS };

/** Auth's migrations: each test database is a copy of one migrated with them. */
const MIGRATIONS = path.resolve(import.meta.dirname, '../drizzle');
export const { SERVICE_TOKEN, KEY_ENCRYPTION_KEY } = TEST_SECRETS;

/**
 * argon2id at its smallest (8 KiB, one pass): a hash costs microseconds, where production's
 * (ARGON2_PARAMS, 19 MiB and two passes) costs ~17 ms of CPU, and the tests hash thousands of
 * passwords. The same code runs either way (hash, verify, the dummy verification); a test whose
 * subject is what a check costs or what happens while one runs asks for production's cost
 * (`buildTestAuth(env, { productionHashing: true })`), as do the tests that start auth as a process.
 */
export const TEST_ARGON2_PARAMS: Argon2Params = {
  algorithm: 2,
  memoryCost: 8,
  timeCost: 1,
  parallelism: 1,
};

export interface TestAuth {
  app: App;
  config: Config;
  databaseUrl: string;
  /** Every line the app logged, for tests that check nothing secret is written. */
  logs: ReturnType<typeof logCapture>;
  /** Mail written by the .eml mailer, oldest first. */
  mails(): Promise<string[]>;
}

/**
 * The auth app on a fresh database, closed (and the database dropped) after the test file.
 * `env` overrides configuration, e.g. `{ ACCESS_TOKEN_TTL: '2' }`; `replicaOf` builds a second
 * instance on another's database.
 */
export async function buildTestAuth(
  env: Record<string, string> = {},
  extra: {
    revocations?: RevocationPublisher;
    replicaOf?: TestAuth;
    feed?: Parameters<typeof buildApp>[0]['feed'];
    /** A database the test made (another locale, say), empty: migrated at start, dropped after. */
    database?: { url: string; drop(): Promise<void> };
    /**
     * Passwords hashed as in production (buildApp's default hasher), not at TEST_ARGON2_PARAMS:
     * for tests about the time a password check takes or about what happens while one runs.
     */
    productionHashing?: boolean;
    /** Another hasher than TEST_ARGON2_PARAMS' (settings raised since, say). */
    passwordHasher?: PasswordHasher;
  } = {},
): Promise<TestAuth> {
  const { replicaOf, database: given, productionHashing, ...deps } = extra;
  // A replica shares the first instance's database, as a second process would.
  const database =
    given ??
    (replicaOf
      ? { url: replicaOf.databaseUrl, drop: async () => {} }
      : await createTestDatabase({ migrations: MIGRATIONS }));
  const mailDir = await mkdtemp(path.join(tmpdir(), 'auth-mail-'));
  const config = readConfig({
    DATABASE_URL: database.url,
    MAIL_DIR: mailDir,
    PUBLIC_URL: 'http://gateway.test',
    LOG_LEVEL: 'info',
    ...TEST_SECRETS,
    ...env,
  });
  const db = await openDatabase(config.DATABASE_URL);
  const logs = logCapture();
  const app = await buildApp({
    config,
    database: db,
    mailer: createMailer(config),
    // The production logger settings (redaction, serializers), writing to memory.
    logger: pino(loggerOptions('auth', 'info'), logs.stream),
    ...(productionHashing ? {} : { passwordHasher: createPasswordHasher(TEST_ARGON2_PARAMS) }),
    ...deps,
  });
  await app.ready();
  after(async () => {
    // Every problem the tests provoked carries a code its operation documents (schema.errors).
    const undocumented = [...app.undocumentedProblems];
    await app.close();
    await db.close();
    await database.drop();
    assert.deepEqual(undocumented, [], 'problems with a code their operation does not document');
    await rm(mailDir, { recursive: true, force: true });
  });
  return {
    app,
    config,
    databaseUrl: database.url,
    logs,
    mails: async () => {
      const files = (await readdir(mailDir)).sort();
      return Promise.all(files.map((f) => readFile(path.join(mailDir, f), 'utf8')));
    },
  };
}

let counter = 0;

/** Registers a fresh user and signs in; returns the credentials and the token pair. */
export async function signUp(app: App, overrides: { password?: string } = {}) {
  counter += 1;
  const unique = `${process.pid}${counter}${Math.random().toString(36).slice(2, 7)}`;
  const credentials = {
    email: `user${unique}@example.com`,
    username: `user${unique}`,
    password: overrides.password ?? `correct horse ${unique}`,
  };
  const registered = await app.inject({
    method: 'POST',
    url: '/accounts/v1/register',
    payload: credentials,
  });
  if (registered.statusCode !== 201) throw new Error(`register failed: ${registered.body}`);
  const tokens = await login(app, credentials.email, credentials.password);
  return { ...credentials, id: registered.json().user.id as string, ...tokens };
}

export async function login(app: App, email: string, password: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email, password },
  });
  if (res.statusCode !== 200) throw new Error(`login failed: ${res.statusCode} ${res.body}`);
  const body = res.json();
  return { accessToken: body.access_token as string, refreshToken: body.refresh_token as string };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Starts TOTP enrolment for a signed-in user (`POST /user/mfa/totp`): the pending secret. */
export async function startTotpEnrolment(
  app: App,
  user: { accessToken: string; password: string },
) {
  const started = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/totp',
    headers: bearer(user.accessToken),
    payload: { current_password: user.password },
  });
  assert.equal(started.statusCode, 200, started.body);
  return { secret: (started.json() as { secret: string }).secret, started };
}

/**
 * A fresh user with TOTP on: its secret and recovery codes, and the two answers of enrolment.
 * `codeAgoMs`: the verifying code is that of this long before the verify call (30 000, the previous
 * step, leaves the current code unspent).
 */
export async function enrolledUser(app: App, options: { codeAgoMs?: number } = {}) {
  const user = await signUp(app);
  const { secret, started } = await startTotpEnrolment(app, user);
  const ago = options.codeAgoMs ?? 0;
  // The previous step's code is one step from refused: made in the last 2 s of a step, it was
  // two steps old by the time a loaded machine verified it (a 403 in CI). Wait for the next step.
  const left = 30_000 - (Date.now() % 30_000);
  if (ago > 0 && left < 2_000) await sleep(left + 50);
  // Made now, not when called: sign-up and the password check can outlast a 30 s step.
  const code = codeAt(secret, Date.now() - ago);
  const verified = await app.inject({
    method: 'POST',
    url: '/accounts/v1/user/mfa/totp/verify',
    headers: bearer(user.accessToken),
    payload: { code },
  });
  assert.equal(verified.statusCode, 200, verified.body);
  const recoveryCodes = verified.json().recovery_codes as string[];
  /** `code`: the one that turned MFA on. */
  return { ...user, secret, code, recoveryCodes, answers: { started, verified } };
}

/** The password step of a sign-in with MFA on: the `mfa_token` it answers (undefined if none). */
export async function mfaChallenge(app: App, email: string, password: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/accounts/v1/login',
    payload: { email, password },
  });
  return res.json().mfa_token as string;
}

/** The second step of a sign-in: `{mfa_token, code}` or `{mfa_token, recovery_code}`. */
export const finishMfa = (app: App, payload: object) =>
  app.inject({ method: 'POST', url: '/accounts/v1/login/mfa', payload });

/** One SQL statement on a test database, for set-ups and checks the API does not offer. */
export { sql } from '@platform/testing';

/** A revocation publisher that remembers what it was given. */
export function recordingPublisher(): {
  publisher: RevocationPublisher;
  published: RevocationEntry[];
} {
  const published: RevocationEntry[] = [];
  return {
    published,
    publisher: {
      publish: async (entries) => {
        published.push(...entries);
      },
      close: async () => {},
    },
  };
}

/**
 * Revokes every session of the user in a transaction that holds the user's row, as a password
 * reset or an admin's MFA reset does, starts `request`, and commits once it waits for that row:
 * whatever the request does next, it does for a session signed out before it. `also` does more in
 * that transaction (a reset's new password hash).
 */
export async function revokedWhileWaiting<T extends { statusCode: number; body: string }>(
  databaseUrl: string,
  userId: string,
  request: () => Promise<T>,
  also: (holder: pg.Client) => Promise<unknown> = async () => {},
): Promise<T> {
  const holder = new pg.Client({ connectionString: databaseUrl });
  await holder.connect();
  try {
    await holder.query('begin');
    await holder.query('select 1 from users where id = $1 for update', [userId]);
    await holder.query(
      `update sessions set revoked_at = now(), revoke_reason = 'password reset'
        where user_id = $1 and revoked_at is null`,
      [userId],
    );
    await also(holder);
    const { pid } = (await holder.query('select pg_backend_pid() as pid')).rows[0];
    let settled = false;
    const pending = request().finally(() => {
      settled = true;
    });
    // pg_locks, not pg_stat_activity: that one is read once per transaction and then kept.
    const blocked = async () =>
      (
        await holder.query(
          'select count(*)::int as n from pg_locks where not granted and $1 = any(pg_blocking_pids(pid))',
          [pid],
        )
      ).rows[0].n > 0;
    while (!settled && !(await blocked())) await sleep(5);
    if (settled)
      assert.fail(`answered without waiting for the user's row: ${(await pending).body}`);
    await holder.query('commit');
    return await pending;
  } finally {
    await holder.end();
  }
}
