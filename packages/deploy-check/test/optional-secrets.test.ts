import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { parse } from 'yaml';
import { type ComposeFile, loadCompose } from '../src/compose.ts';
import { root } from './helper.ts';

// The optional secrets a user may give (auth's ADMIN_PASSWORD, OIDC_PROVIDERS with its client
// secrets, KEY_ENCRYPTION_KEY_PREVIOUS) were plain `${X:-}` values in the container's
// environment (docker inspect shows them), while docs/deploying.md said every container reads
// its secrets from files. Now a file too, named only when given.

const OPTIONAL = ['ADMIN_PASSWORD', 'ADMIN_EMAIL', 'OIDC_PROVIDERS', 'KEY_ENCRYPTION_KEY_PREVIOUS'];

function run(t: TestContext, env: Record<string, string>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'optional-secrets-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const secrets = path.join(dir, 'secrets');
  const services = path.join(dir, 'services');
  mkdirSync(secrets);
  mkdirSync(path.join(dir, 'redis'));
  mkdirSync(path.join(services, 'auth'), { recursive: true });
  const init = (given: Record<string, string>) =>
    execFileSync('sh', [path.join(root, 'deploy/secrets/init.sh')], {
      env: {
        PATH: process.env.PATH,
        SECRETS_DIR: secrets,
        REDIS_SECRETS_DIR: path.join(dir, 'redis'),
        SERVICES_SECRETS_DIR: services,
        ...given,
      },
      stdio: 'pipe',
    });
  init(env);
  return { auth: path.join(services, 'auth'), secrets, init };
}

test("auth's optional secrets are files named only when given, never values in its environment", (t) => {
  const text = readFileSync(path.join(root, 'compose.yaml'), 'utf8');
  const auth = (parse(text, { merge: true }) as ComposeFile).services!.auth!;
  const env = auth.environment as Record<string, string>;
  for (const name of OPTIONAL) {
    assert.equal(env[name], undefined, `${name} is no value in auth's environment`);
    assert.equal(env[`${name}_FILE`], `\${${name}:+/run/secrets/${name}}`);
  }
  // As docker compose reads it: .env.example gives ADMIN_PASSWORD none, so no file is named
  // (empty: unset, for packages/config) and auth starts without one.
  const authEnv = (envFile?: string) => {
    const { compose, errors } = loadCompose({ root, envFile });
    assert.deepEqual(errors, []);
    return compose!.services!.auth!.environment as Record<string, string>;
  };
  assert.equal(authEnv().ADMIN_PASSWORD_FILE, '');
  // Given in .env: the file init.sh writes.
  const dir = mkdtempSync(path.join(tmpdir(), 'optional-secrets-env-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const envFile = path.join(dir, '.env');
  const example = readFileSync(path.join(root, '.env.example'), 'utf8');
  writeFileSync(envFile, example.replace(/^ADMIN_PASSWORD=.*$/m, 'ADMIN_PASSWORD=change-me-x'));
  assert.equal(authEnv(envFile).ADMIN_PASSWORD_FILE, '/run/secrets/ADMIN_PASSWORD');
});

test('init.sh writes an optional secret only when given, and removes it once it is not', (t) => {
  const { auth, secrets, init } = run(t, {
    ADMIN_EMAIL: 'admin@example.com',
    ADMIN_PASSWORD: 'a long admin passphrase',
  });
  assert.equal(readFileSync(path.join(auth, 'ADMIN_PASSWORD'), 'utf8'), 'a long admin passphrase');
  assert.equal(readFileSync(path.join(auth, 'ADMIN_EMAIL'), 'utf8'), 'admin@example.com');
  assert.equal(statSync(path.join(auth, 'ADMIN_PASSWORD')).mode & 0o777, 0o400);
  // Not given: no file, nothing generated (a random OIDC_PROVIDERS would stop auth).
  assert.equal(existsSync(path.join(auth, 'OIDC_PROVIDERS')), false);
  assert.equal(existsSync(path.join(secrets, 'OIDC_PROVIDERS')), false);
  // A later start without it: gone from both volumes, as compose then names no file.
  init({});
  assert.equal(existsSync(path.join(auth, 'ADMIN_PASSWORD')), false);
  assert.equal(existsSync(path.join(secrets, 'ADMIN_PASSWORD')), false);
  // The secrets every start needs are still there.
  assert.ok(existsSync(path.join(auth, 'AUTH_DATABASE_URL')));
});
