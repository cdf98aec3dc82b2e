import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type TestContext, test } from 'node:test';
import { envStem, loadManifests } from '@platform/manifest';
import { parse } from 'yaml';
import type { ComposeFile } from '../src/compose.ts';
import { root } from './helper.ts';

// deploy/secrets/init.sh run by sh in a scratch folder, as Compose's init-secrets service runs it
// against the secrets volume, and compose.yaml read for where each secret comes from.

const INIT = path.join(root, 'deploy/secrets/init.sh');
const WRAPPER = path.join(root, 'deploy/secrets/env-from-files.sh');
const initText = readFileSync(INIT, 'utf8');
/** The files init.sh writes: `secret NAME …` (kept once made) and `url NAME …` (rewritten). */
const secrets = [...initText.matchAll(/^secret ([A-Z0-9_]+) /gm)].map((m) => m[1]!);
const urls = [...initText.matchAll(/^url ([A-Z0-9_]+) /gm)].map((m) => m[1]!);

function scratch(t: TestContext): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'secrets-'));
  // Redis's own volume, beside it (init below).
  mkdirSync(`${dir}-redis`);
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}-redis`, { recursive: true, force: true });
  });
  return dir;
}

function init(dir: string, env: Record<string, string> = {}): void {
  execFileSync('sh', [INIT], {
    env: {
      PATH: process.env.PATH,
      SECRETS_DIR: dir,
      REDIS_SECRETS_DIR: path.join(dir, '..', `${path.basename(dir)}-redis`),
      ...env,
    },
    stdio: 'pipe',
  });
}

const contents = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));

test('init.sh makes every secret once, strong, readable by its reader only, and keeps it', (t) => {
  const dir = scratch(t);
  init(dir);
  const first = contents(dir);
  assert.deepEqual(Object.keys(first).sort(), [...secrets, ...urls].sort(), 'no temporary file');
  for (const name of secrets) {
    // 32 random bytes, base64url: nothing to escape in a URL, a shell or a config file.
    assert.match(first[name]!, /^[A-Za-z0-9_-]{43}$/, name);
  }
  assert.equal(new Set(secrets.map((n) => first[n])).size, secrets.length, 'all different');
  assert.equal(first.REDIS_URL, `redis://:${first.REDIS_PASSWORD}@redis:6379`);
  for (const s of loadManifests(root).filter((m) => m.database)) {
    const stem = envStem(s.name);
    assert.equal(
      first[`${stem}_DATABASE_URL`],
      `postgres://${s.name}:${first[`${stem}_DB_PASSWORD`]}@postgres:5432/${s.name}`,
    );
  }
  const stat = (name: string) => statSync(path.join(dir, name));
  for (const name of [...secrets, ...urls]) {
    const shared = /^secret \S+ "\$\w+:\$\w+"$/m.test(
      initText.split('\n').find((l) => l.startsWith(`secret ${name} `)) ?? '',
    );
    assert.equal(stat(name).mode & 0o777, shared ? 0o440 : 0o400, name);
  }
  if (process.getuid?.() === 0) {
    // Given to the user each image runs as (only root can; run as anyone else, they stay theirs).
    assert.equal(stat('POSTGRES_PASSWORD').uid, 999);
    assert.equal(stat('SERVICE_TOKEN').uid, 1000);
    assert.equal(stat('REDIS_PASSWORD').uid, 0);
    assert.deepEqual(
      [stat('INFLUX_GRAFANA_PASSWORD').uid, stat('INFLUX_GRAFANA_PASSWORD').gid],
      [472, 1500],
    );
  }

  // Redis gets its password in a volume of its own (see the test below).
  assert.deepEqual(contents(`${dir}-redis`), { REDIS_PASSWORD: first.REDIS_PASSWORD });

  init(dir);
  assert.deepEqual(contents(dir), first, 'the second start changes nothing');
});

test('init.sh writes a value given in the environment, at the first start and any later one', (t) => {
  const dir = scratch(t);
  const token = 'a-service-token-of-the-operators-own-choosing';
  init(dir, { SERVICE_TOKEN: token, REDIS_PASSWORD: 'redis-from-env' });
  let now = contents(dir);
  assert.equal(now.SERVICE_TOKEN, token);
  assert.equal(now.REDIS_URL, 'redis://:redis-from-env@redis:6379');
  const generated = now.POSTGRES_PASSWORD;
  assert.match(generated!, /^[A-Za-z0-9_-]{43}$/);

  // A later .env wins over the file; an empty variable (compose's `${X:-}`) is not a value.
  init(dir, { SERVICE_TOKEN: '', REDIS_PASSWORD: 'redis-changed', POSTGRES_PASSWORD: 'pg-given' });
  now = contents(dir);
  assert.equal(now.SERVICE_TOKEN, token);
  assert.equal(now.REDIS_PASSWORD, 'redis-changed');
  assert.equal(now.REDIS_URL, 'redis://:redis-changed@redis:6379', 'the URL follows its password');
  assert.equal(now.POSTGRES_PASSWORD, 'pg-given');
});

test('init.sh percent-encodes a given password inside the URLs it writes', (t) => {
  const dir = scratch(t);
  // What an operator may well have in .env: every character with a meaning in a URL, a quote,
  // a shell's metacharacters, something not ASCII.
  const password = `p@ss/w:rd#?%41 "it's" $(id) \`x\` é`;
  init(dir, { REDIS_PASSWORD: password, MAIN_DB_PASSWORD: password });
  const now = contents(dir);
  assert.equal(now.REDIS_PASSWORD, password, 'the password itself as given');
  assert.equal(now.MAIN_DB_PASSWORD, password);
  for (const [file, host] of [
    ['REDIS_URL', 'redis'],
    ['MAIN_DATABASE_URL', 'postgres'],
  ] as const) {
    const url = new URL(now[file]!);
    assert.equal(url.hostname, host, file);
    assert.equal(decodeURIComponent(url.password), password, file);
  }
});

test('init.sh with no randomness stops, and writes no empty secret', (t) => {
  const dir = scratch(t);
  // A `head` that fails, as reading /dev/urandom would in a broken container.
  const bin = path.join(dir, '..', `${path.basename(dir)}-bin`);
  mkdirSync(bin);
  t.after(() => rmSync(bin, { recursive: true, force: true }));
  writeFileSync(path.join(bin, 'head'), '#!/bin/sh\nexit 1\n', { mode: 0o755 });
  const ran = spawnSync('sh', [INIT], {
    env: { PATH: `${bin}:${process.env.PATH}`, SECRETS_DIR: dir },
    encoding: 'utf8',
  });
  assert.notEqual(ran.status, 0, 'a failed start, which Compose reports, not an empty password');
  assert.match(ran.stderr, /no randomness/);
  for (const [name, value] of Object.entries(contents(dir))) assert.notEqual(value, '', name);
});

test('init.sh recovers from a start killed halfway, with only the capabilities Compose gives it', (t) => {
  const dir = scratch(t);
  init(dir);
  // A temporary file left by a start killed between its chown and its rename: it belongs to the
  // reader already. Run as Compose runs it (cap_drop ALL, cap_add CHOWN and DAC_OVERRIDE), which
  // only root can set up; as anyone else the files stay theirs and there is nothing to give away.
  const left = path.join(dir, '.REDIS_URL.tmp');
  writeFileSync(left, 'half', { mode: 0o400 });
  const asCompose = process.getuid?.() === 0;
  if (asCompose) chownSync(left, 1000, 1000);
  const ran = spawnSync(
    asCompose ? 'setpriv' : 'sh',
    [
      ...(asCompose ? ['--bounding-set=-all,+chown,+dac_override', '--inh-caps=-all', 'sh'] : []),
      INIT,
    ],
    { env: { PATH: process.env.PATH, SECRETS_DIR: dir }, encoding: 'utf8' },
  );
  assert.equal(ran.status, 0, ran.stderr);
  assert.ok(!existsSync(left), 'no temporary file left');
});

test('env-from-files.sh exports NAME from NAME_FILE, then runs the entrypoint', (t) => {
  const dir = scratch(t);
  writeFileSync(path.join(dir, 'pw'), 'from-the-file', { mode: 0o400 });
  const env = {
    PATH: process.env.PATH,
    INFLUXDB_ADMIN_PASSWORD_FILE: path.join(dir, 'pw'),
    // Grafana's own convention (two underscores) is Grafana's to read.
    GF_SECURITY_ADMIN_PASSWORD__FILE: '/elsewhere',
  };
  const print =
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's ${VAR-default}
    'printf "%s|%s|%s" "$INFLUXDB_ADMIN_PASSWORD" "${INFLUXDB_ADMIN_PASSWORD_FILE-unset}" "$GF_SECURITY_ADMIN_PASSWORD__FILE"';
  const ran = spawnSync('sh', [WRAPPER, 'sh', '-c', print], { env, encoding: 'utf8' });
  assert.equal(ran.status, 0, ran.stderr);
  assert.equal(ran.stdout, 'from-the-file|unset|/elsewhere');

  const missing = path.join(dir, 'missing');
  const failed = spawnSync('sh', [WRAPPER, 'true'], {
    env: { PATH: process.env.PATH, INFLUXDB_ADMIN_PASSWORD_FILE: missing },
    encoding: 'utf8',
  });
  assert.equal(failed.status, 1);
  assert.match(
    failed.stderr,
    new RegExp(
      `\\nenv-from-files\\.sh: cannot read INFLUXDB_ADMIN_PASSWORD_FILE \\(${missing}\\)\\n$`,
    ),
  );
});

test('compose.yaml requires no variable and hands every secret over as a file of the volume', () => {
  const text = readFileSync(path.join(root, 'compose.yaml'), 'utf8');
  assert.doesNotMatch(text, /\$\{[A-Za-z0-9_]+:?\?/, 'a required variable stops a fresh clone');
  // Not interpolated: the values as written.
  const services = (parse(text, { merge: true }) as ComposeFile).services!;
  const initEnv = services['init-secrets']!.environment as Record<string, string>;
  for (const name of secrets) {
    assert.equal(initEnv[name], `\${${name}:-}`, `init-secrets takes ${name} from .env`);
  }
  const written = new Set([...secrets, ...urls]);
  for (const [name, service] of Object.entries(services)) {
    if (name === 'init-secrets') continue;
    const env = Object.entries((service.environment ?? {}) as Record<string, unknown>);
    for (const [key, raw] of env) {
      const value = String(raw);
      assert.doesNotMatch(value, /:\/\/[^/@\s]*:[^/@\s]+@/, `${name}.${key}: a password in a URL`);
      if (/(PASSWORD|TOKEN|ENCRYPTION_KEY)$/.test(key)) {
        // Only an optional secret a user may give (ADMIN_PASSWORD): nothing to generate.
        assert.match(value, /^\$\{[A-Z0-9_]+:-\}$/, `${name}.${key} is a value, not a file`);
      }
    }
    const read = [...JSON.stringify(service).matchAll(/\/run\/secrets\/([A-Za-z0-9_]+)/g)];
    if (!read.length) continue;
    for (const [, file] of read) assert.ok(written.has(file!), `${name}: init.sh writes ${file}`);
    // Redis and each of our services (all run as one uid) mount a volume of their own.
    const ours = loadManifests(root).some((m) => m.name === name);
    const volume = name === 'redis' ? 'redis-secret' : ours ? `secrets-${name}` : 'secrets';
    assert.ok(
      (service.volumes ?? []).includes(`${volume}:/run/secrets:ro`),
      `${name} mounts the ${volume} volume, read-only`,
    );
    const after = (service.depends_on as Record<string, { condition: string }>)['init-secrets'];
    assert.equal(after?.condition, 'service_completed_successfully', `${name} waits for it`);
  }
  // Every service of ours reads what holds a password from a file.
  for (const s of loadManifests(root)) {
    const env = services[s.name]!.environment as Record<string, string>;
    if (s.database) assert.match(env.DATABASE_URL_FILE!, /^\/run\/secrets\//, s.name);
    for (const setting of ['SERVICE_TOKEN', 'REDIS_URL', 'KEY_ENCRYPTION_KEY']) {
      if (s.settings.platform.includes(setting)) {
        assert.match(env[`${setting}_FILE`]!, /^\/run\/secrets\//, `${s.name} ${setting}`);
      }
    }
  }
});

test('no command a container runs has a password among its arguments', () => {
  // Arguments are in /proc/<pid>/cmdline, which `ps` on the host shows to every user there:
  // a password reaches a program through its environment or standard input instead.
  const services = (
    parse(readFileSync(path.join(root, 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile
  ).services!;
  const flags = /(^|\s)(--requirepass|-password|--password|-a|--pass)(\s|=|$)/;
  for (const [name, service] of Object.entries(services)) {
    const s = service as Record<string, unknown> & { healthcheck?: { test?: unknown } };
    for (const [what, value] of [
      ['entrypoint', s.entrypoint],
      ['command', s.command],
      ['healthcheck', s.healthcheck?.test],
    ] as const) {
      const text = ([] as unknown[]).concat(value ?? []).join(' ');
      assert.doesNotMatch(text, flags, `${name}'s ${what}`);
    }
  }
  // PostgreSQL's init script: psql's variables are arguments too.
  const postgresInit = readFileSync(path.join(root, 'deploy/postgres/init.sh'), 'utf8');
  assert.doesNotMatch(postgresInit, /--set=password|-v password/);
});

test('no container that mounts the secrets volume shares a uid with another image reading it', () => {
  // The user each image's process runs as once started (from the images' Dockerfiles and
  // entrypoints): init.sh gives each file to one of them, so a second image running as the same uid
  // reads it too. redis drops to 999 (docker-library/redis: useradd -u 999), the uid of postgres,
  // whose files are PostgreSQL's superuser password and every service's database password.
  const runsAs: Record<string, number> = {
    'postgres:': 999,
    'redis:': 999,
    'influxdb:': 1500,
    'grafana/grafana:': 472,
    'microservice-template/': 1000, // our Dockerfile's node, every service
  };
  const services = (
    parse(readFileSync(path.join(root, 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile
  ).services!;
  const images = new Map<number, Set<string>>();
  for (const [name, service] of Object.entries(services)) {
    if (name === 'init-secrets') continue;
    if (!(service.volumes ?? []).some((v) => String(v).startsWith('secrets:'))) continue;
    const image = String(service.image).replace(/^\$\{IMAGE_PREFIX:-([^}]*)\}/, '$1');
    const prefix = Object.keys(runsAs).find((p) => image.startsWith(p));
    assert.ok(prefix, `${name}: the uid ${image} runs as is known here`);
    const uid = runsAs[prefix]!;
    images.set(uid, (images.get(uid) ?? new Set()).add(prefix));
  }
  for (const [uid, readers] of images) {
    assert.equal(readers.size, 1, `uid ${uid} is both ${[...readers].join(' and ')}`);
  }
});

test('redis-server is started with its password on no command line', async (t) => {
  const dir = scratch(t);
  const password = `p4ss "with" \\ quotes, spaces\nand-${process.pid}`;
  writeFileSync(path.join(dir, 'REDIS_PASSWORD'), password, { mode: 0o400 });
  // The image's entrypoint as far as it matters here: it runs what it is given (after a chown,
  // then again through gosu, each a process `ps` lists with these arguments, on the host too).
  writeFileSync(
    path.join(dir, 'docker-entrypoint.sh'),
    `#!/bin/sh\nprintf '%s\\n' "$@" >'${dir}/args'\nexec "$@"\n`,
    { mode: 0o755 },
  );
  const socket = path.join(dir, 'redis.sock');
  const redis = spawn(
    'sh',
    [
      path.join(root, 'deploy/redis/start.sh'),
      ...['--port', '0', '--unixsocket', socket, '--dir', dir, '--appendonly', 'no'],
      ...['--save', ''],
    ],
    {
      env: {
        PATH: `${dir}:${process.env.PATH}`,
        REDIS_PASSWORD_FILE: path.join(dir, 'REDIS_PASSWORD'),
      },
      stdio: 'ignore',
    },
  );
  t.after(() => redis.kill('SIGKILL'));
  const cli = (...args: string[]) =>
    spawnSync('redis-cli', ['-s', socket, ...args], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, REDISCLI_AUTH: password },
    });
  for (let i = 0; !existsSync(socket); i++) {
    assert.ok(i < 100, 'redis-server started');
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(cli('ping').stdout.trim(), 'PONG', 'the password is the one in the file');
  const anonymous = spawnSync('redis-cli', ['-s', socket, 'ping'], { encoding: 'utf8' });
  assert.match(anonymous.stdout, /NOAUTH/);
  const args = readFileSync(path.join(dir, 'args'), 'utf8');
  assert.match(args, /^redis-server\n/);
  assert.ok(!args.includes('p4ss'), args);
  assert.ok(!args.includes('requirepass'), args);
});

test("each service's own volume holds the secrets it reads, and nothing else", (t) => {
  const dir = scratch(t);
  const services = (
    parse(readFileSync(path.join(root, 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile
  ).services!;
  const ours = loadManifests(root).map((m) => m.name);
  const volumes = path.join(dir, '..', `${path.basename(dir)}-services`);
  t.after(() => rmSync(volumes, { recursive: true, force: true }));
  for (const name of ours) mkdirSync(path.join(volumes, name), { recursive: true });
  // A file left from an earlier start, which the service no longer reads.
  writeFileSync(path.join(volumes, 'gateway', 'AUTH_DATABASE_URL'), 'stale');
  init(dir, { SERVICES_SECRETS_DIR: volumes });
  const all = contents(dir);
  for (const name of ours) {
    const reads = [
      ...new Set(
        [...JSON.stringify(services[name]).matchAll(/\/run\/secrets\/([A-Za-z0-9_]+)/g)].map(
          (m) => m[1]!,
        ),
      ),
    ].sort();
    const own = contents(path.join(volumes, name));
    assert.deepEqual(Object.keys(own).sort(), reads, name);
    for (const file of reads) {
      assert.equal(own[file], all[file], `${name} ${file}`);
      assert.equal(statSync(path.join(volumes, name, file)).mode & 0o777, 0o400);
    }
  }
  // Each mounted by its service alone.
  const mounts = Object.entries(services)
    .filter(([name]) => name !== 'init-secrets')
    .flatMap(([, service]) => (service.volumes ?? []).map(String))
    .filter((v) => v.startsWith('secrets-'))
    .map((v) => v.split(':')[0]!);
  assert.deepEqual(mounts.sort(), ours.map((n) => `secrets-${n}`).sort());
  // The gateway, the one that faces the internet, reads no database's password, nor the key
  // that opens auth's signing keys.
  assert.ok(
    !Object.keys(contents(path.join(volumes, 'gateway'))).some((f) => /DATABASE|KEY/.test(f)),
  );
});

test("Grafana seals what it stores with a key of its own, not its public default 'SW2YcwTIb9zpOOhoPsMm'", (t) => {
  const grafana = (
    parse(readFileSync(path.join(root, 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile
  ).services!.grafana as { environment?: Record<string, string> };
  assert.equal(grafana.environment?.GF_SECURITY_SECRET_KEY_FILE, '/run/secrets/GRAFANA_SECRET_KEY');
  const dir = scratch(t);
  init(dir);
  assert.match(readFileSync(path.join(dir, 'GRAFANA_SECRET_KEY'), 'utf8'), /^[A-Za-z0-9_-]{43}$/);
  if (process.getuid?.() === 0)
    assert.equal(statSync(path.join(dir, 'GRAFANA_SECRET_KEY')).uid, 472);
});

// Under Compose a volume init.sh fills (a service's own, Redis's) that was not mounted was
// skipped without a word, as when init.sh runs by hand: init-secrets succeeded, and the service
// stopped later on a secret file that was never there.
test('init.sh under Compose stops, naming the volume, when one it fills is not mounted', (t) => {
  const dir = scratch(t);
  const volumes = path.join(dir, '..', `${path.basename(dir)}-services`);
  t.after(() => rmSync(volumes, { recursive: true, force: true }));
  const ours = loadManifests(root).map((m) => m.name);
  for (const name of ours.filter((n) => n !== 'main')) {
    mkdirSync(path.join(volumes, name), { recursive: true });
  }
  const run = (env: Record<string, string>) =>
    spawnSync('sh', [INIT], {
      env: {
        PATH: process.env.PATH,
        SECRETS_DIR: dir,
        REDIS_SECRETS_DIR: `${dir}-redis`,
        ...env,
      },
      encoding: 'utf8',
    });
  const noMain = run({ SERVICES_SECRETS_DIR: volumes });
  assert.equal(noMain.status, 1, noMain.stderr);
  assert.equal(
    noMain.stderr,
    `init.sh: ${volumes}/main is not there: mount the volume secrets-main on it in compose.yaml's init-secrets (npm run generate writes it)\n`,
  );
  const noRedis = run({ REDIS_SECRETS_DIR: path.join(dir, 'not-mounted') });
  assert.equal(noRedis.status, 1, noRedis.stderr);
  assert.equal(
    noRedis.stderr,
    `init.sh: ${path.join(dir, 'not-mounted')} is not there: mount the volume redis-secret on it in compose.yaml's init-secrets\n`,
  );
  // Run by hand (neither variable set) there are no such volumes: nothing to fill.
  assert.equal(run({ REDIS_SECRETS_DIR: '' }).status, 0);
});

test('compose.yaml tells init.sh where it mounts the volumes it fills, so a missing one stops it', () => {
  const initSecrets = (
    parse(readFileSync(path.join(root, 'compose.yaml'), 'utf8'), { merge: true }) as ComposeFile
  ).services!['init-secrets']!;
  const env = initSecrets.environment as Record<string, string>;
  assert.equal(env.SERVICES_SECRETS_DIR, '/run/secrets-services');
  assert.equal(env.REDIS_SECRETS_DIR, '/run/secrets-redis');
  const mounts = (initSecrets.volumes ?? []).map(String);
  assert.ok(mounts.includes('redis-secret:/run/secrets-redis'), String(mounts));
  for (const { name } of loadManifests(root)) {
    assert.ok(mounts.includes(`secrets-${name}:/run/secrets-services/${name}`), name);
  }
});
