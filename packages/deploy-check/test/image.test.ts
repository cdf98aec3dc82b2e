import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { loadManifests } from '@platform/manifest';
import { createTestDatabase, startOtlpReceiver, TEST_SECRETS } from '@platform/testing';
import pg from 'pg';
import { root } from './helper.ts';

/**
 * What the Dockerfile's build stage makes (deploy/docker/build.mjs), run the way the image runs
 * it: plain `node main.js`, no tsx, no TypeScript. node_modules is the repository's, with the
 * workspace packages pointing at the compiled copies (the image gets them from `npm ci --omit=dev`).
 */
function buildImageTree(service: string): Promise<string> {
  let known = built.get(service);
  if (!known) {
    known = build(service);
    built.set(service, known);
  }
  return known;
}

async function build(service: string): Promise<string> {
  const out = mkdtempSync(path.join(tmpdir(), `image-${service}-`));
  made.push(out);
  await promisify(execFile)(process.execPath, [
    path.join(root, 'deploy/docker/build.mjs'),
    service,
    out,
  ]);
  const app = path.join(out, 'app');
  const modules = path.join(app, 'node_modules');
  mkdirSync(path.join(modules, '@platform'), { recursive: true });
  for (const entry of readdirSync(path.join(root, 'node_modules'))) {
    if (entry === '@platform' || entry === '@services' || entry.startsWith('.')) continue;
    symlinkSync(path.join(root, 'node_modules', entry), path.join(modules, entry));
  }
  for (const name of readdirSync(path.join(app, 'packages'))) {
    symlinkSync(path.join(app, 'packages', name), path.join(modules, '@platform', name));
    const nested = path.join(root, 'packages', name, 'node_modules');
    if (existsSync(nested)) symlinkSync(nested, path.join(app, 'packages', name, 'node_modules'));
  }
  return app;
}

/**
 * One build per service for the file (auth's was made three times): the tests only read it. Not
 * one after another: a build mostly waits on the disk (its CPU, tsc's included, ~1 s).
 */
const built = new Map<string, Promise<string>>();
const made: string[] = [];
after(() => {
  for (const out of made) rmSync(out, { recursive: true, force: true });
});

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

/** The services the stack runs (a manifest without server.ts yet is skipped). */
const imageServices = () =>
  loadManifests(root)
    .map((s) => s.name)
    .filter((service) => existsSync(path.join(root, 'services', service, 'src', 'server.ts')));

test('the image build compiles auth to JavaScript that plain node runs: ready, then SIGTERM exits 0', async (t) => {
  // The other services' builds, for the test that reads them, go on meanwhile.
  for (const service of imageServices()) buildImageTree(service).catch(() => {});
  const app = await buildImageTree('auth');
  const sources = readdirSync(app, { recursive: true, encoding: 'utf8' }).filter(
    (f) => !f.split(path.sep).includes('node_modules') && f.endsWith('.ts'),
  );
  assert.deepEqual(sources, [], 'no TypeScript in the image');
  assert.match(
    readFileSync(path.join(app, 'packages/http/package.json'), 'utf8'),
    /"\.\/src\/index\.js"/,
  );
  assert.ok(existsSync(path.join(app, 'services/auth/drizzle/0000_init.sql')));
  assert.ok(existsSync(path.join(app, 'services/auth/data/common-passwords.txt')));
  assert.ok(!existsSync(path.join(app, 'packages/launcher')), 'only what auth needs at run time');

  const database = await createTestDatabase();
  t.after(() => database.drop());
  // Traced, as main.js loads OpenTelemetry before the service: its spans must reach a receiver.
  const traces = await startOtlpReceiver();
  t.after(() => traces.close());
  const port = await freePort();
  const child = spawn(process.execPath, ['main.js'], {
    cwd: app,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SMTP_URL: 'smtp://127.0.0.1:9',
      // As the Dockerfile sets it.
      SERVICE_NAME: 'auth',
      OTEL_EXPORTER_OTLP_ENDPOINT: traces.url,
      ...TEST_SECRETS,
    },
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  t.after(() => child.kill('SIGKILL'));

  // Ready: polled over HTTP (a probe process every 250 ms cost ~1 s of CPU over a start), then the
  // Dockerfile's HEALTHCHECK, verbatim, must pass.
  const healthcheck = `fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  const healthy = () =>
    new Promise<boolean>((resolve) => {
      const probe = spawn(process.execPath, ['-e', healthcheck], { env: { PORT: String(port) } });
      probe.on('exit', (code) => resolve(code === 0));
    });
  const ready = () =>
    fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
  const deadline = Date.now() + 60_000;
  while (!(await ready())) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `never became ready: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.ok(await healthy(), 'the HEALTHCHECK passes once the service is ready');
  const jwks = await fetch(`http://127.0.0.1:${port}/accounts/v1/.well-known/jwks.json`);
  assert.equal(jwks.status, 200);

  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, stderr);
  // Spans still buffered are sent at shutdown.
  assert.ok(
    traces.spans.some(
      (s) => s.service === 'auth' && s.name === 'GET /accounts/v1/.well-known/jwks.json',
    ),
    `the request's span was exported: ${JSON.stringify(traces.spans.map((s) => s.name))}`,
  );
});

test('migrate.js, the migrations Job entry point, applies the migrations and nothing else', async (t) => {
  const app = await buildImageTree('auth');
  const database = await createTestDatabase();
  t.after(() => database.drop());
  execFileSync(process.execPath, ['migrate.js'], {
    cwd: app,
    env: { PATH: process.env.PATH, DATABASE_URL: database.url },
    stdio: 'pipe',
  });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query(
      "select count(*)::int as n from information_schema.tables where table_schema = 'public'",
    );
    assert.ok(rows[0].n > 3, 'auth tables exist');
    const keys = await client.query('select count(*)::int as n from signing_keys');
    assert.equal(keys.rows[0].n, 0, 'the service did not start: no signing key was made');
  } finally {
    await client.end();
  }
});

test('every service the stack runs compiles, and the ones with a database get migrate.js', async () => {
  const services = imageServices();
  const apps = await Promise.all(services.map(buildImageTree));
  for (const [i, service] of services.entries()) {
    const app = apps[i]!;
    assert.ok(existsSync(path.join(app, `services/${service}/src/server.js`)), service);
    // Read at start: the permissions a service declares to auth come from it.
    assert.ok(existsSync(path.join(app, `services/${service}/service.json`)), service);
    assert.equal(
      existsSync(path.join(app, 'migrate.js')),
      existsSync(path.join(root, 'services', service, 'drizzle')),
      service,
    );
  }
});

test('the Dockerfile: node:24 slim stages, production dependencies only, non-root, HEALTHCHECK, exec-form CMD', () => {
  // Instructions with their continuation lines joined; comments dropped.
  const instructions = readFileSync(path.join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const args = instructions.filter((i) => i.startsWith('ARG NODE_IMAGE='));
  assert.deepEqual(args, ['ARG NODE_IMAGE=node:24-bookworm-slim']);
  const from = (stage: string) => `FROM $${'{NODE_IMAGE}'} AS ${stage}`;
  const stages = instructions.filter((i) => i.startsWith('FROM '));
  assert.deepEqual(stages, [from('build'), from('deps'), from('runtime')]);
  const runtime = instructions.slice(instructions.indexOf(from('runtime')));
  const deps = instructions.slice(
    instructions.indexOf(from('deps')),
    instructions.indexOf(from('runtime')),
  );
  assert.ok(deps.some((i) => /^RUN npm ci --omit=dev .*--workspace "services\/\$SERVICE"/.test(i)));
  assert.ok(runtime.includes('USER node'));
  assert.ok(!runtime.some((i) => /^RUN /.test(i)), 'nothing runs as root in the final stage');
  assert.ok(runtime.some((i) => i.startsWith('HEALTHCHECK ') && i.includes('/health/ready')));
  const cmd = runtime.find((i) => i.startsWith('CMD '))!;
  assert.deepEqual(JSON.parse(cmd.slice(4)), ['node', 'main.js'], 'exec form: node is PID 1');
  // What the runtime stage copies is what build.mjs writes.
  assert.ok(runtime.includes('COPY --from=build /out/app ./'));
  assert.ok(deps.includes('COPY --from=build /out/manifests ./'));
  const dockerignore = readFileSync(path.join(root, '.dockerignore'), 'utf8');
  for (const excluded of ['**/node_modules', '.git', '.env']) {
    assert.ok(dockerignore.split('\n').includes(excluded), excluded);
  }
});
