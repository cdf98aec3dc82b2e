import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseOptions } from '@node-rs/argon2';
import { compiledScript, createTestDatabase, TEST_SECRETS } from '@platform/testing';
import { ARGON2_PARAMS } from '../src/credentials/hashing.ts';
import { buildTestAuth, signUp, sql, TEST_ARGON2_PARAMS } from './helper.ts';

/**
 * The in-process tests hash at TEST_ARGON2_PARAMS (test/helper.ts) to save CPU. The cheap
 * parameters reach the app only as buildApp's `passwordHasher`, which src/server.ts never passes:
 * the service itself hashes at OWASP's minimum for argon2id, as docs/auth.md says.
 */
const root = path.resolve(import.meta.dirname, '../../..');

/** The argon2 settings a stored hash was made with. */
function paramsOf(passwordHash: string) {
  const { algorithm, memoryCost, timeCost, parallelism } = parseOptions(passwordHash);
  return { algorithm, memoryCost, timeCost, parallelism };
}

const PRODUCTION = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 };

test('ARGON2_PARAMS are those docs/auth.md gives: argon2id, 19 MiB, t=2, p=1', () => {
  assert.deepEqual({ ...ARGON2_PARAMS }, PRODUCTION);
});

test('the service started as src/server.ts starts it hashes at production cost', async () => {
  const database = await createTestDatabase({
    migrations: path.resolve(import.meta.dirname, '../drizzle'),
  });
  const mailDir = await mkdtemp(path.join(tmpdir(), 'auth-hashing-mail-'));
  const email = 'hashing-admin@example.com';
  // ADMIN_*: the service hashes the admin's password at start, before it listens.
  const child = spawn(process.execPath, await compiledScript('services/auth/src/server.ts'), {
    cwd: root,
    env: {
      PATH: process.env.PATH,
      ...TEST_SECRETS,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      DATABASE_URL: database.url,
      MAIL_DIR: mailDir,
      ADMIN_EMAIL: email,
      ADMIN_PASSWORD: 'a production-cost passphrase 5',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, 'exit');
  try {
    let hash: string | undefined;
    for (const deadline = Date.now() + 60_000; !hash && Date.now() < deadline; ) {
      if (child.exitCode !== null) assert.fail(`the service exited: ${stderr}`);
      const rows = await sql(database.url, 'select password_hash from users where email = $1', [
        email,
      ]);
      hash = rows[0]?.password_hash;
      if (!hash) await sleep(100);
    }
    assert.ok(hash, 'the service made the admin account within a minute');
    assert.deepEqual(paramsOf(hash), PRODUCTION);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    await database.drop();
    await rm(mailDir, { recursive: true, force: true });
  }
});

test('buildApp hashes at ARGON2_PARAMS unless given a hasher; the test helper gives the cheap one', async () => {
  const production = await buildTestAuth({}, { productionHashing: true });
  const cheap = await buildTestAuth();
  const hashOf = async (auth: typeof cheap) => {
    const user = await signUp(auth.app);
    const [row] = await sql(auth.databaseUrl, 'select password_hash from users where id = $1', [
      user.id,
    ]);
    return paramsOf(row.password_hash);
  };
  assert.deepEqual(await hashOf(production), PRODUCTION);
  assert.deepEqual(await hashOf(cheap), { ...TEST_ARGON2_PARAMS });
});
