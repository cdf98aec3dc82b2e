import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, logCapture, TEST_SECRETS } from '@platform/testing';
import { decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import pino from 'pino';
import { buildApp } from '../src/app.ts';
import { readConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/index.ts';
import { signingKeys } from '../src/db/schema.ts';
import { buildTestAuth, signUp, sql } from './helper.ts';
import { currentSigningKey } from './signing-key.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const mailer = { send: async () => {}, close: () => {} };

/** Builds the auth app on `databaseUrl` with the given key; closed after the file. */
async function start(databaseUrl: string, keyEncryptionKey: string) {
  const config = readConfig({
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'silent',
    ...TEST_SECRETS,
    KEY_ENCRYPTION_KEY: keyEncryptionKey,
  });
  const database = await openDatabase(databaseUrl);
  after(() => database.close());
  const logger = pino({ level: 'silent' }, logCapture().stream);
  const app = await buildApp({ config, database, mailer, logger });
  after(() => app.close());
  return app;
}

/**
 * `npm test` compiles the services' entry points with the test files (scripts/test.ts), as
 * `npm start` runs them: a start without tsx's hooks costs a quarter of the CPU.
 */
const compiledServer =
  process.env.TEST_COMPILED_DIR &&
  path.join(process.env.TEST_COMPILED_DIR, 'services', 'auth', 'src', 'server.mjs');

/** The auth service's entry point as its own process, with `env` on top of a working one. */
async function runServer(env: Record<string, string | undefined>) {
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    ...TEST_SECRETS,
    PORT: '0',
    LOG_LEVEL: 'silent',
    DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  };
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) delete base[key];
    else base[key] = value;
  }
  const run = promisify(execFile)(
    process.execPath,
    compiledServer && existsSync(compiledServer)
      ? // As the gateway's tests start services (services/gateway/test/services.ts): npm
        // packages from the code cache, no optimising compiler for a process that lives a second.
        [
          '--no-turbofan',
          '--import',
          pathToFileURL(path.join(process.env.TEST_COMPILED_DIR!, 'preload.mjs')).href,
          compiledServer,
        ]
      : ['--import', 'tsx', 'services/auth/src/server.ts'],
    {
      cwd: root,
      env: base,
      timeout: 60_000,
    },
  );
  try {
    await run;
    return { code: 0, stderr: '' };
  } catch (error) {
    const failed = error as { code: number; stderr: string };
    return { code: failed.code, stderr: failed.stderr };
  }
}

test('the key table holds the private key only sealed: no plaintext "d" anywhere', async () => {
  const auth = await buildTestAuth();
  await signUp(auth.app);
  const { jwk } = await currentSigningKey(auth.databaseUrl);
  assert.equal(typeof jwk.d, 'string');
  const rows = await sql(auth.databaseUrl, 'select * from signing_keys');
  assert.ok(rows.length >= 1);
  for (const row of rows) {
    assert.equal(row.private_jwk, null);
    assert.match(row.private_key_sealed, /^v2\.[A-Za-z0-9_-]{11}\.[A-Za-z0-9_-]+$/);
  }
  const table = JSON.stringify(rows);
  assert.ok(!table.includes(jwk.d!), 'the private key is readable in the table');
  assert.ok(!table.includes('"d"'), 'a JWK "d" member is stored');
});

test('a key stored in plaintext by an earlier version is sealed at start and keeps signing', async () => {
  const database = await createTestDatabase();
  after(() => database.drop());
  const migrated = await openDatabase(database.url);
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', {
    crv: 'Ed25519',
    extractable: true,
  });
  const kid = randomUUID();
  const privateJwk = await exportJWK(privateKey);
  await migrated.db.insert(signingKeys).values({
    kid,
    algorithm: 'EdDSA',
    privateJwk: { ...privateJwk },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' },
  });
  await migrated.close();

  const app = await start(database.url, TEST_SECRETS.KEY_ENCRYPTION_KEY);
  const [row] = await sql(database.url, 'select * from signing_keys where kid = $1', [kid]);
  assert.equal(row.private_jwk, null);
  assert.ok(!JSON.stringify(row).includes(privateJwk.d!));
  const { jwk } = await currentSigningKey(database.url);
  assert.equal(jwk.d, privateJwk.d);

  const { accessToken } = await signUp(app);
  assert.equal(decodeProtectedHeader(accessToken).kid, kid);
  await jwtVerify(accessToken, publicKey);
});

test('another KEY_ENCRYPTION_KEY than the keys were sealed with stops the start', async () => {
  const auth = await buildTestAuth();
  const other = randomBytes(32).toString('base64url');
  await assert.rejects(start(auth.databaseUrl, other), {
    name: 'ConfigError',
    message: /^KEY_ENCRYPTION_KEY does not open signing key [0-9a-f-]+ in the database/,
  });
  // The service itself says so in one line and exits 1.
  const { code, stderr } = await runServer({
    DATABASE_URL: auth.databaseUrl,
    KEY_ENCRYPTION_KEY: other,
  });
  assert.equal(code, 1);
  assert.match(stderr, /^configuration error: KEY_ENCRYPTION_KEY does not open signing key /);
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
});

test('a missing or malformed KEY_ENCRYPTION_KEY stops the service with a one-line reason', async () => {
  for (const [value, reason] of [
    [undefined, 'is not set'],
    ['too-short', 'is invalid'],
    [`${TEST_SECRETS.KEY_ENCRYPTION_KEY}AAAA`, 'is invalid'],
  ] as const) {
    const { code, stderr } = await runServer({ KEY_ENCRYPTION_KEY: value });
    assert.equal(code, 1, `${value}: ${stderr}`);
    assert.equal(
      stderr.trim(),
      `configuration error: KEY_ENCRYPTION_KEY ${reason}: expected 32 random bytes in base64url or base64 (43 or 44 characters)`,
    );
  }
});
