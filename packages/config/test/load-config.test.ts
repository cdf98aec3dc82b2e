import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { compiledScript } from '@platform/testing';
import { ConfigError, Env, loadConfig, Type } from '../src/index.ts';

const Schema = Type.Object({
  PORT: Env.port(8080),
  DATABASE_URL: Env.postgresUrl(),
  LOG_LEVEL: Env.logLevel(),
  SECRET: Type.String({ minLength: 16, description: 'at least 16 characters' }),
  VERBOSE: Type.Boolean({ default: false }),
});
const valid = { DATABASE_URL: 'postgres://u:p@h/db', SECRET: 'a'.repeat(16) };

test('applies defaults and coerces numbers and booleans', () => {
  const config = loadConfig(Schema, { ...valid, PORT: '9000', VERBOSE: 'true' });
  assert.deepEqual(config, { ...valid, PORT: 9000, LOG_LEVEL: 'info', VERBOSE: true });
  assert.equal(loadConfig(Schema, valid).PORT, 8080);
});

test('an empty variable counts as unset', () => {
  assert.equal(loadConfig(Schema, { ...valid, PORT: '' }).PORT, 8080);
});

test('a missing variable is named with what it expects', () => {
  assert.throws(
    () => loadConfig(Schema, { SECRET: valid.SECRET }),
    new ConfigError('DATABASE_URL is not set: expected a postgres:// connection URL'),
  );
});

test('a malformed variable is named and its value is never echoed', () => {
  for (const [env, expected] of [
    [{ PORT: 'eighty' }, 'PORT is invalid: expected a TCP port number'],
    [{ PORT: '70000' }, 'PORT is invalid: expected a TCP port number'],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL is invalid: expected one of fatal, error, warn, info, debug, trace, silent',
    ],
    [{ SECRET: 'hunter2' }, 'SECRET is invalid: expected at least 16 characters'],
  ] as const) {
    assert.throws(
      () => loadConfig(Schema, { ...valid, ...env }),
      (error: Error) => {
        assert.equal(error.message, expected);
        assert.ok(!error.message.includes('hunter2'));
        return true;
      },
    );
  }
});

/** A file holding `content` in a scratch folder removed after the test. */
function secretFile(t: TestContext, content: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'config-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'secret');
  writeFileSync(file, content, { mode: 0o400 });
  return file;
}

test('X_FILE reads X from that file, one trailing newline dropped', (t) => {
  const env = {
    SECRET_FILE: secretFile(t, `${'s'.repeat(16)}\n`),
    DATABASE_URL_FILE: secretFile(t, 'postgres://u:p@h/db\r\n'),
    PORT_FILE: secretFile(t, '9000'),
  };
  assert.deepEqual(loadConfig(Schema, env), {
    DATABASE_URL: 'postgres://u:p@h/db',
    SECRET: 's'.repeat(16),
    PORT: 9000,
    LOG_LEVEL: 'info',
    VERBOSE: false,
  });
  // Only one newline: a value may end in spaces or newlines of its own, and is checked as is.
  const padded = { ...valid, SECRET_FILE: secretFile(t, `${'s'.repeat(16)}  \n\n`) };
  assert.equal(
    loadConfig(Schema, { ...padded, SECRET: undefined }).SECRET,
    `${'s'.repeat(16)}  \n`,
  );
});

test('X and X_FILE both set is one line naming both, the value never echoed', (t) => {
  const env = { ...valid, SECRET_FILE: secretFile(t, 'hunter2hunter2hunter2') };
  assert.throws(
    () => loadConfig(Schema, env),
    new ConfigError('SECRET and SECRET_FILE are both set: expected one of them'),
  );
});

test('an X_FILE that cannot be read is one line naming the variable and the file', (t) => {
  const missing = path.join(path.dirname(secretFile(t, '')), 'missing');
  assert.throws(
    () => loadConfig(Schema, { DATABASE_URL: valid.DATABASE_URL, SECRET_FILE: missing }),
    new ConfigError(`SECRET_FILE is invalid: cannot read ${missing} (ENOENT)`),
  );
  // What the file holds is checked like any value, and not echoed either.
  assert.throws(
    () =>
      loadConfig(Schema, {
        DATABASE_URL: valid.DATABASE_URL,
        SECRET_FILE: secretFile(t, 'hunter2\n'),
      }),
    new ConfigError('SECRET is invalid: expected at least 16 characters'),
  );
});

test('a number or flag is taken only as written: no fraction, hex, exponent or word for an integer', () => {
  for (const env of [
    { PORT: '80.7' },
    { PORT: '0x1F90' },
    { PORT: '8e3' },
    { PORT: 'true' },
    { PORT: '80 80' },
    { VERBOSE: 'yes' },
    { VERBOSE: '2' },
  ]) {
    const [name] = Object.keys(env);
    assert.throws(
      () => loadConfig(Schema, { ...valid, ...env }),
      (error: Error) =>
        error instanceof ConfigError && error.message.startsWith(`${name} is invalid`),
      JSON.stringify(env),
    );
  }
  const config = loadConfig(Schema, { ...valid, PORT: ' 9000 ', VERBOSE: 'FALSE' });
  assert.equal(config.PORT, 9000);
  assert.equal(config.VERBOSE, false);
});

test('a number is refused where JavaScript would not hold it as written; spaces around one never count', () => {
  const Numbers = Type.Object({
    COUNT: Type.Integer({ minimum: 0, description: 'a count' }),
    RATIO: Type.Number({ description: 'a ratio' }),
    FLAG: Type.Boolean({ default: false }),
  });
  // 9007199254740993 became …992 and 400 nines Infinity ("must be number"), without a word.
  for (const [name, value, expected] of [
    ['COUNT', '9007199254740993', 'a count'],
    ['COUNT', '99999999999999999999999', 'a count'],
    ['RATIO', '9'.repeat(400), 'a ratio'],
  ]) {
    assert.throws(
      () => loadConfig(Numbers, { COUNT: '1', RATIO: '1', [name!]: value }),
      new ConfigError(`${name} is invalid: expected ${expected}`),
    );
  }
  const config = loadConfig(Numbers, { COUNT: ' 9007199254740991 ', RATIO: ' .5', FLAG: ' true ' });
  assert.deepEqual(config, { COUNT: 9007199254740991, RATIO: 0.5, FLAG: true });
});

test('a timer setting holds no more than a Node timer does (a longer one fired after 1 ms)', () => {
  const Timers = Type.Object({ WAIT_MS: Env.millis(1000), TIMEOUT: Env.timerSeconds(60) });
  assert.deepEqual(loadConfig(Timers, { WAIT_MS: '2147483647', TIMEOUT: '2147483' }), {
    WAIT_MS: 2 ** 31 - 1,
    TIMEOUT: 2147483,
  });
  assert.throws(
    () => loadConfig(Timers, { WAIT_MS: '2147483648' }),
    new ConfigError(
      'WAIT_MS is invalid: expected a number of milliseconds, 1 to 2147483647 (24.8 days)',
    ),
  );
  assert.throws(
    () => loadConfig(Timers, { TIMEOUT: '2147484' }),
    new ConfigError(
      'TIMEOUT is invalid: expected a number of seconds, at most 2147483 (24.8 days)',
    ),
  );
});

test('a number of seconds counted from now holds at most 100 years (SESSION_TTL=10^13 made every sign-in a 500)', () => {
  const Spans = Type.Object({ TTL: Env.seconds(60), MAX_LIFETIME: Env.accessTokenMaxLifetime() });
  assert.deepEqual(loadConfig(Spans, { TTL: '3155760000', MAX_LIFETIME: '3155760000' }), {
    TTL: 3155760000,
    MAX_LIFETIME: 3155760000,
  });
  for (const key of ['TTL', 'MAX_LIFETIME']) {
    assert.throws(
      () => loadConfig(Spans, { [key]: '10000000000000' }),
      new ConfigError(
        `${key} is invalid: expected a number of seconds, at most 3155760000 (100 years)`,
      ),
    );
  }
});

test('an X_FILE is read up to what an environment variable X holds: a larger file is refused, not read to its end', (t) => {
  // Linux's MAX_ARG_STRLEN (128 KiB) bounds `SECRET=value` and its NUL: the launcher hands the
  // value on as SECRET, and a 128 KiB value (taken before) made spawn fail with E2BIG.
  const limit = 128 * 1024 - 'SECRET='.length - 1;
  const fits = loadConfig(Schema, {
    ...valid,
    SECRET: undefined,
    SECRET_FILE: secretFile(t, `\uFEFF${'s'.repeat(limit)}\r\n`),
  });
  assert.equal(fits.SECRET.length, limit);
  const child = spawnSync(process.execPath, ['-e', ''], { env: { SECRET: fits.SECRET } });
  assert.equal(child.error, undefined);
  assert.equal(child.status, 0);
  // A file named by mistake (a log) was taken whole.
  for (const size of [limit + 1, 128 * 1024]) {
    const large = secretFile(t, 's'.repeat(size));
    assert.throws(
      () => loadConfig(Schema, { ...valid, SECRET: undefined, SECRET_FILE: large }),
      new ConfigError(
        `SECRET_FILE is invalid: ${large} holds more than ${limit} bytes, the most an environment variable SECRET holds (128 KiB with its name)`,
      ),
    );
  }
});

test('an X_FILE that is not a regular file is refused in one line', (t) => {
  const dir = path.dirname(secretFile(t, 'x'));
  const kinds: [string, string][] = [
    [dir, 'a directory'],
    ['/dev/zero', 'a character device'],
  ];
  for (const [file, kind] of kinds) {
    assert.throws(
      () => loadConfig(Schema, { ...valid, SECRET: undefined, SECRET_FILE: file }),
      new ConfigError(`SECRET_FILE is invalid: ${file} is ${kind}, not a regular file`),
    );
  }
  // A link to a file is that file (Kubernetes mounts each secret so).
  const link = path.join(dir, 'link');
  symlinkSync(secretFile(t, 'l'.repeat(16)), link);
  assert.equal(
    loadConfig(Schema, { ...valid, SECRET: undefined, SECRET_FILE: link }).SECRET,
    'l'.repeat(16),
  );
});

test('a UTF-8 byte order mark at the start of an X_FILE is no part of X', (t) => {
  // Notepad and PowerShell's `Out-File -Encoding utf8` write one; it made the value longer than
  // it looks, and a URL or a token it begins never matched.
  const env = {
    SECRET_FILE: secretFile(t, `\ufeff${'s'.repeat(16)}\r\n`),
    DATABASE_URL_FILE: secretFile(t, '\ufeffpostgres://u:p@h/db'),
    PORT_FILE: secretFile(t, '\ufeff9000\n'),
  };
  assert.deepEqual(loadConfig(Schema, env), {
    DATABASE_URL: 'postgres://u:p@h/db',
    SECRET: 's'.repeat(16),
    PORT: 9000,
    LOG_LEVEL: 'info',
    VERBOSE: false,
  });
  // Only at the start, and one: a file of nothing but a mark is empty.
  const marked = secretFile(t, '\ufeff\n');
  assert.throws(
    () => loadConfig(Schema, { ...valid, VERBOSE_FILE: marked }),
    new ConfigError(`VERBOSE_FILE is invalid: ${marked} is empty`),
  );
  const inside = `${'s'.repeat(8)}\ufeff${'s'.repeat(8)}`;
  assert.equal(
    loadConfig(Schema, { ...valid, SECRET: undefined, SECRET_FILE: secretFile(t, inside) }).SECRET,
    inside,
  );
});

test('an X_FILE holding a NUL byte is refused, its content never echoed', (t) => {
  // No environment variable can hold one, so X and X_FILE would differ. Text saved as UTF-16
  // (PowerShell 5's `echo pw > file`) was taken as a password of interleaved NULs that nobody
  // could type, and the launcher passing it on as X printed it in spawn's refusal.
  const dir = mkdtempSync(path.join(tmpdir(), 'config-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const utf16 = path.join(dir, 'secret');
  writeFileSync(utf16, Buffer.from(`\ufeff${'s'.repeat(16)}\r\n`, 'utf16le'));
  assert.throws(
    () => loadConfig(Schema, { ...valid, SECRET: undefined, SECRET_FILE: utf16 }),
    new ConfigError(
      `SECRET_FILE is invalid: ${utf16} holds a NUL byte (text saved as UTF-16? save it as UTF-8)`,
    ),
  );
});

test('an X_FILE whose file is empty is an error, not X unset', (t) => {
  // Unset, a setting with a default (or an optional one: REDIS_URL, and the gateway would count
  // rate limits per replica) would quietly take it; a file named but empty is a secret that was
  // never written.
  for (const content of ['', '\n']) {
    const empty = secretFile(t, content);
    assert.throws(
      () => loadConfig(Schema, { ...valid, VERBOSE_FILE: empty }),
      new ConfigError(`VERBOSE_FILE is invalid: ${empty} is empty`),
    );
  }
});

test('runMain stops the process with one line on a configuration error', async () => {
  const script = await compiledScript(
    path.join(import.meta.dirname, 'fixtures', 'needs-config.ts'),
  );
  const result = spawnSync(process.execPath, script, {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  assert.equal(result.status, 1);
  assert.equal(
    result.stderr,
    'configuration error: DATABASE_URL is not set: expected a postgres:// connection URL\n',
  );
});

test('start-up with an X_FILE that is a FIFO no one writes to stops with one line, never waits', async (t) => {
  // The open itself waited for a writer: the service hung at start, silent.
  const fifo = path.join(path.dirname(secretFile(t, 'x')), 'fifo');
  execFileSync('mkfifo', [fifo]);
  const script = await compiledScript(
    path.join(import.meta.dirname, 'fixtures', 'needs-config.ts'),
  );
  const result = spawnSync(process.execPath, script, {
    env: { PATH: process.env.PATH, DATABASE_URL_FILE: fifo },
    encoding: 'utf8',
    timeout: 10_000,
  });
  assert.equal(result.signal, null, 'still waiting after 10 s');
  assert.equal(result.status, 1);
  assert.equal(
    result.stderr,
    `configuration error: DATABASE_URL_FILE is invalid: ${fifo} is a FIFO, not a regular file\n`,
  );
});

test('runMain names the cause of a fatal error, which a wrapped error holds alone', async () => {
  const script = await compiledScript(
    path.join(import.meta.dirname, 'fixtures', 'fails-with-cause.ts'),
  );
  const result = spawnSync(process.execPath, script, {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /^fatal: Error: Failed query: CREATE TABLE "items"\n/);
  assert.match(result.stderr, /\ncaused by: relation "items" already exists\n$/);
});

test('runMain says in one line, without a stack, that a server it needs cannot be reached', async () => {
  const script = await compiledScript(
    path.join(import.meta.dirname, 'fixtures', 'cannot-connect.ts'),
  );
  const result = spawnSync(process.execPath, script, {
    env: { PATH: process.env.PATH },
    encoding: 'utf8',
  });
  assert.equal(result.status, 1);
  assert.match(
    result.stderr,
    /^fatal: cannot reach 127\.0\.0\.1:\d+ \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)\n$/,
  );
});

test('a URL setting must be a URL naming a host, not just begin with its scheme', () => {
  const Urls = Type.Object({
    DATABASE_URL: Env.postgresUrl(),
    AUTH_URL: Env.url('http://127.0.0.1:8081'),
    REDIS_URL: Env.redisUrl(),
    SMTP_URL: Env.smtpUrl(),
  });
  const base = { DATABASE_URL: 'postgres://u:p@h/db' };
  // Each passed its scheme pattern: the service then died later with a stack (Invalid URL) or
  // quietly used another host (pg and ioredis take `postgres://`, `redis://` for localhost).
  for (const [key, written, expected] of [
    ['DATABASE_URL', 'postgres://', 'a postgres:// connection URL'],
    ['DATABASE_URL', 'postgres://u:p@127.0.0.1:99999/main', 'a postgres:// connection URL'],
    ['AUTH_URL', 'http://', 'an http(s):// URL'],
    ['AUTH_URL', 'http://exa mple.com', 'an http(s):// URL'],
    ['AUTH_URL', 'http://127.0.0.1:8081 ', 'an http(s):// URL'],
    // Paths are appended to it: every call went to `…?x=1/v1/…`.
    [
      'AUTH_URL',
      'http://auth:8081/?x=1',
      'an http(s):// URL with no query or fragment (paths are appended to it)',
    ],
    [
      'AUTH_URL',
      'https://app.example/#/',
      'an http(s):// URL with no query or fragment (paths are appended to it)',
    ],
    ['REDIS_URL', 'redis://', 'a redis:// URL'],
    ['SMTP_URL', 'smtp://:25', 'an smtp:// or smtps:// URL'],
  ] as const) {
    assert.throws(
      () => loadConfig(Urls, { ...base, [key]: written }),
      new ConfigError(`${key} is invalid: expected ${expected}`),
      `${key}=${written}`,
    );
  }
  const config = loadConfig(Urls, {
    DATABASE_URL: 'postgres:///main?host=/run/postgresql',
    AUTH_URL: 'https://[::1]:8081/',
    REDIS_URL: 'rediss://:secret@cache.internal:6380/0',
    SMTP_URL: 'smtp://user:pass@mail.example.com:587',
  });
  assert.equal(config.AUTH_URL, 'https://[::1]:8081/');
  assert.equal(loadConfig(Urls, base).AUTH_URL, 'http://127.0.0.1:8081');
});

test('TRUST_PROXY takes only what Fastify compiles: a malformed entry is one line, not its stack at start', () => {
  const Proxies = Type.Object({ TRUST_PROXY: Env.trustProxy('loopback') });
  for (const written of [
    'zzz',
    'nonsense/99',
    '10.0.0.0/99',
    '10.0.0.0/0',
    '::1/129',
    '10.0.0.0/255.0.255.0',
    '::1/255.0.0.0',
    '10.0.0.1, bogus',
  ]) {
    assert.throws(
      () => loadConfig(Proxies, { TRUST_PROXY: written }),
      new ConfigError('TRUST_PROXY is invalid: expected addresses or CIDRs, comma-separated'),
      written,
    );
  }
  for (const written of [
    'loopback',
    '10.0.0.1, 172.16.0.0/12,uniquelocal',
    '::1/128',
    'fd00::/8',
    '192.168.0.0/255.255.0.0',
    'linklocal,',
  ]) {
    assert.equal(loadConfig(Proxies, { TRUST_PROXY: written }).TRUST_PROXY, written);
  }
  assert.equal(loadConfig(Type.Object({ TRUST_PROXY: Env.trustProxy('') }), {}).TRUST_PROXY, '');
});

test('EVENT_SUBSCRIBERS: each subscriber URL must parse, not just begin with http://', () => {
  const Subscribers = Type.Object({ EVENT_SUBSCRIBERS: Env.eventSubscribers() });
  const expected = new ConfigError(
    'EVENT_SUBSCRIBERS is invalid: expected name:type,type=url entries separated by ;',
  );
  for (const written of [
    'analytics:*=http://127.0.0.1:99999',
    'analytics:*=http://a:1;search:post.*=http://',
  ]) {
    assert.throws(() => loadConfig(Subscribers, { EVENT_SUBSCRIBERS: written }), expected, written);
  }
  const good =
    'analytics:*=http://127.0.0.1:8083;search:post.created,post.updated=https://search:443';
  assert.equal(loadConfig(Subscribers, { EVENT_SUBSCRIBERS: good }).EVENT_SUBSCRIBERS, good);
});

test('CORS_ORIGINS: each entry must be an origin as a browser sends it, refused naming the entry', () => {
  const Origins = Type.Object({ CORS_ORIGINS: Env.origins() });
  // Each was taken as text and then never matched a browser's Origin header, silently.
  for (const [written, problem] of [
    ['example.com', '"example.com" is not an origin: expected http(s)://host[:port]'],
    ['https://ok.example, garbage', '"garbage" is not an origin: expected http(s)://host[:port]'],
    ['ftp://example.com', '"ftp://example.com" is not an origin: expected http(s)://host[:port]'],
    ['null', '"null" is not an origin'],
    [
      'https://example.com/',
      '"https://example.com/" is not an origin: no path, query or trailing slash (write https://example.com)',
    ],
    ['https://example.com/app', '"https://example.com/app" is not an origin: no path'],
    ['https://u:p@example.com', '"https://u:p@example.com" is not an origin: no path'],
    [
      'http://example.com:80',
      '"http://example.com:80" never matches a browser\'s Origin header: write it as http://example.com',
    ],
    ['https://example.com:443', 'write it as https://example.com'],
    ['HTTPS://App.Example.com', 'write it as https://app.example.com'],
    ['https://*.example.com', 'no wildcards'],
  ] as const) {
    assert.throws(
      () => loadConfig(Origins, { CORS_ORIGINS: written }),
      (error: Error) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.message.startsWith('CORS_ORIGINS is invalid: '), error.message);
        assert.ok(error.message.includes(problem), `${written}: ${error.message}`);
        return true;
      },
      written,
    );
  }
  for (const written of [
    '*',
    'https://app.example.com',
    'http://localhost:3000, https://app.example.com,',
    'http://[::1]:8080',
    'http://127.0.0.1:5173',
  ]) {
    assert.equal(loadConfig(Origins, { CORS_ORIGINS: written }).CORS_ORIGINS, written);
  }
  assert.equal(loadConfig(Origins, {}).CORS_ORIGINS, '');
});
