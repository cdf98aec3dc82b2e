import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '@platform/config';
import { loadManifests } from '@platform/manifest';
import { readLauncherConfig } from '../src/config.ts';
import { planServices, serviceEnv } from '../src/services.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const services = loadManifests(root);

/**
 * Each service's environment under `npm start` with `env` as the launcher's (or `launcher`, when
 * the launcher's own settings are to be read from another environment).
 */
function environments(
  env: NodeJS.ProcessEnv,
  { launcher = env, databaseUrl = 'postgres://x/db' } = {},
) {
  const config = readLauncherConfig(services, launcher);
  const { planned } = planServices(config, root, services);
  const stack = {
    config,
    dataDir: root,
    services,
    urls: Object.fromEntries(planned.map((p) => [p.spec.name, p.url])),
  };
  return (name: string) =>
    serviceEnv(planned.find((p) => p.spec.name === name)!, stack, databaseUrl, env);
}

function secretsDir(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'launcher-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return (name: string, content: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, content);
    return file;
  };
}

// README: any setting X may come from a file, X_FILE=/path. The settings npm start values for a
// service (SMTP_URL, ADMIN_PASSWORD…, its manifest's `launcher`) were read from X only, and
// X_FILE was dropped: ADMIN_PASSWORD_FILE stopped auth with "ADMIN_PASSWORD is not set".
test('X_FILE of a setting npm start values reaches the service as X, read as the services read it', (t) => {
  const write = secretsDir(t);
  const env = {
    // Trimmed as packages/config trims a file: one trailing newline, a byte order mark.
    SMTP_URL_FILE: write('smtp', 'smtp://mailer:s3cret@mail.example.com:587\n'),
    ADMIN_PASSWORD_FILE: write('admin', '\uFEFFa long admin passphrase\r\n'),
    ADMIN_EMAIL: 'root@example.com',
    INFLUX_TOKEN_FILE: write('influx', 'influx-token\n'),
    INFLUX_URL: 'http://127.0.0.1:8086',
    INFLUX_DB: 'analytics',
  };
  const envOf = environments(env);
  const auth = envOf('auth');
  assert.equal(auth.SMTP_URL, 'smtp://mailer:s3cret@mail.example.com:587');
  assert.equal(auth.ADMIN_PASSWORD, 'a long admin passphrase');
  assert.equal(auth.ADMIN_EMAIL, 'root@example.com');
  // The service is handed the value, never both it and a file (packages/config refuses both).
  assert.equal(auth.SMTP_URL_FILE, undefined);
  assert.equal(auth.ADMIN_PASSWORD_FILE, undefined);
  const analytics = envOf('analytics');
  assert.equal(analytics.INFLUX_TOKEN, 'influx-token');
  assert.equal(analytics.INFLUX_TOKEN_FILE, undefined);
  // Another service's secret does not leak into one that does not declare it.
  assert.equal(envOf('main').ADMIN_PASSWORD, undefined);
});

test("a bad X_FILE stops npm start at once with the services' own message", (t) => {
  const write = secretsDir(t);
  const refused = (env: NodeJS.ProcessEnv, message: string) =>
    assert.throws(
      () => readLauncherConfig(services, env),
      (error: unknown) => error instanceof ConfigError && error.message === message,
    );
  const smtp = write('smtp', 'smtp://mail.example.com\n');
  refused(
    { SMTP_URL: 'smtp://other.example.com', SMTP_URL_FILE: smtp },
    'SMTP_URL and SMTP_URL_FILE are both set: expected one of them',
  );
  const missing = path.join(path.dirname(smtp), 'absent');
  refused(
    { ADMIN_PASSWORD_FILE: missing },
    `ADMIN_PASSWORD_FILE is invalid: cannot read ${missing} (ENOENT)`,
  );
  const empty = write('empty', '\n');
  refused({ OIDC_PROVIDERS_FILE: empty }, `OIDC_PROVIDERS_FILE is invalid: ${empty} is empty`);
});

// No environment variable holds a NUL byte, but a file can (text saved as UTF-16, PowerShell 5's
// `echo pw > file`): read from ADMIN_PASSWORD_FILE it reached spawn, whose refusal (`must be a
// string without null bytes. Received '…'`) printed the password on the launcher's last line.
test('an X_FILE holding a NUL byte is refused without its content, never handed to a service', (t) => {
  const write = secretsDir(t);
  const utf16 = write('admin', '');
  writeFileSync(utf16, Buffer.from('\uFEFFhunter2hunter2\r\n', 'utf16le'));
  assert.throws(
    () => readLauncherConfig(services, { ADMIN_PASSWORD_FILE: utf16 }),
    (error: unknown) =>
      error instanceof ConfigError &&
      error.message ===
        `ADMIN_PASSWORD_FILE is invalid: ${utf16} holds a NUL byte (text saved as UTF-16? save it as UTF-8)` &&
      !/h.?u.?n.?t.?e.?r/.test(error.message),
  );
});

// packages/config reads any setting X from the file X_FILE names, and refuses both at once: a
// setting npm start values itself must not meet the shell's X_FILE for it in a service.
test("a setting npm start values is not also handed over as the shell's X_FILE", () => {
  const env = environments(
    {
      SERVICE_TOKEN_FILE: '/run/secrets/SERVICE_TOKEN',
      DATABASE_URL_FILE: '/run/secrets/AUTH_DATABASE_URL',
      SMTP_PASSWORD_FILE: '/run/secrets/smtp',
    },
    { launcher: {}, databaseUrl: 'postgres://x/auth' },
  )('auth');
  assert.equal(env.DATABASE_URL, 'postgres://x/auth');
  assert.equal(env.DATABASE_URL_FILE, undefined);
  assert.equal(env.SERVICE_TOKEN_FILE, undefined);
  // Any other variable still reaches the service as it is.
  assert.equal(env.SMTP_PASSWORD_FILE, '/run/secrets/smtp');
});

// The launcher hands a setting read from X_FILE on to the service as X, in its environment: a file
// of 128 KiB passed every check at start, and spawning the service then failed with E2BIG (Linux
// holds at most 128 KiB in one variable, its name, `=` and NUL included).
test('an X_FILE too large for the variable npm start hands on is refused at start, naming it and the limit', (t) => {
  const write = secretsDir(t);
  const env = {
    ADMIN_EMAIL: 'root@example.com',
    ADMIN_PASSWORD_FILE: write('admin', 'p'.repeat(128 * 1024)),
  };
  assert.throws(
    () => {
      const auth = environments(env)('auth');
      const spawned = spawnSync(process.execPath, ['-e', ''], { env: auth });
      throw new Error(`taken at start; spawning auth then: ${spawned.error ?? 'no error'}`);
    },
    new ConfigError(
      `ADMIN_PASSWORD_FILE is invalid: ${env.ADMIN_PASSWORD_FILE} holds more than 131056 bytes, the most an environment variable ADMIN_PASSWORD holds (128 KiB with its name)`,
    ),
  );
});
