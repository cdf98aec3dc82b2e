import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startOtlpReceiver } from '@platform/testing';
import pg from 'pg';
import {
  descendants,
  type Launched,
  launch,
  ports,
  postgresOf,
  READY_MS,
  readCommandLine,
  root,
  SERVICE_NAMES,
  servicePids,
  until,
  waitGone,
} from './launch.ts';

const { Client } = pg;

/** What a service logs when PostgreSQL went away under it. */
const LOST_DATABASE =
  /terminating connection|Connection terminated|ECONNREFUSED|the database system is shutting down|57P01|connection (error|ended)/i;

const answersReady = async (url: string) => {
  try {
    return (await fetch(`${url}/health/ready`)).status === 200;
  } catch {
    return false;
  }
};

/**
 * Two stacks (a whole stack is ~15 s of CPU). The first, on an empty folder and with an OTLP
 * endpoint, serves, then main crashes and is started again, the stack serves a traced request,
 * and it is stopped by the Ctrl-C under test, with its services' spans still being exported. The
 * second, on that folder, keeps the data and ends killed outright. (A stop while a crash restart
 * is pending: dev.test.ts; a Ctrl-C while the stack is still starting: ctrl-c.test.ts.)
 */
describe('npm start', () => {
  let dataDir: string;
  let receiver: Awaited<ReturnType<typeof startOtlpReceiver>>;
  /** The ports and folder of the first start, which the second start reuses. */
  let env: Record<string, string> | undefined;
  const user = {
    email: 'persist@example.com',
    username: 'persist',
    password: 'correct horse battery staple',
  };

  /** The first start, used by the tests after it until its Ctrl-C. */
  let first: Launched | undefined;
  /** Its gateway's URL. */
  let url: string;
  /** The second start ends the way the test after it is about: the launcher killed outright. */
  let second: Launched | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
    dataDir = await mkdtemp(path.join(tmpdir(), 'launcher-'));
  });
  after(async () => {
    // Each in its own process group (as a shell's job), left running only if a test failed
    // midway; not once it has exited or was killed (its group is gone then: ESRCH).
    for (const launched of [first, second])
      if (launched && launched.child.exitCode === null && launched.child.signalCode === null)
        process.kill(-launched.child.pid!, 'SIGKILL');
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a first start on an empty folder serves through the gateway, runs the services compiled', async () => {
    env = { ...(await ports()), DATA_DIR: dataDir };
    // The admin's sign-up event waits in auth's outbox until analytics, started later, is up.
    // This start runs the launcher as package.json's `npm start` does (the others, compiled), in
    // its own process group, as a shell runs a foreground job; this test stays outside it.
    const launched = await launch(
      {
        ...env,
        ADMIN_EMAIL: 'admin@example.com',
        ADMIN_PASSWORD: 'a long admin passphrase 42',
        LOG_LEVEL: 'info',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      [],
      { asNpmStart: true, detached: true },
    );
    first = launched;
    [, url] = (await launched.waitFor(/Gateway ready at (http:\/\/\S+)/, READY_MS)) as [
      string,
      string,
    ];
    assert.equal(url, `http://127.0.0.1:${env.GATEWAY_PORT}`);

    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200, await health.clone().text());
    const jwks = (await (await fetch(`${url}/accounts/v1/.well-known/jwks.json`)).json()) as {
      keys: unknown[];
    };
    assert.ok(jwks.keys.length > 0);
    const registered = await fetch(`${url}/accounts/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(user),
    });
    assert.equal(registered.status, 201, await registered.clone().text());

    // Each service runs compiled (compile.ts), as its image does: no tsx loader thread in it.
    const pids = servicePids(launched.child.pid!);
    assert.deepEqual(Object.keys(pids).sort(), SERVICE_NAMES);
    for (const [name, pid] of Object.entries(pids)) {
      const commandLine = readCommandLine(pid);
      assert.match(commandLine, new RegExp(`node_modules/\\.cache/.*services/${name}/main\\.mjs`));
      assert.doesNotMatch(commandLine, /tsx/);
      const nodeOptions = readFileSync(`/proc/${pid}/environ`, 'utf8')
        .split('\0')
        .find((v) => v.startsWith('NODE_OPTIONS='));
      assert.doesNotMatch(nodeOptions ?? '', /tsx/, name);
    }
    // main and the gateway start side by side: the gateway may have found main not up yet and
    // set it aside for a moment (its failover), so this waits until main answers through it.
    await until(
      async () => (await fetch(`${url}/main/v1/posts`)).status === 200,
      30_000,
      'GET /main/v1/posts through the gateway answering 200',
    );

    // The banner says where the embedded PostgreSQL is; with the password in its file, the
    // user's account is there in auth's database.
    const [, pgUser, pgHost, passwordFile] = launched
      .output()
      .match(/^ {2}postgres +postgres:\/\/(\w+)@(\S+)\/<service> \(password in (\S+)\)$/m)!;
    const pgPassword = readFileSync(path.resolve(root, passwordFile!), 'utf8').trim();
    const pg = new Client(`postgres://${pgUser}:${encodeURIComponent(pgPassword)}@${pgHost}/auth`);
    await pg.connect();
    try {
      const { rows } = await pg.query('select email from users');
      assert.deepEqual(rows.map((r) => r.email).sort(), ['admin@example.com', user.email]);
    } finally {
      await pg.end();
    }

    // A cold start is quiet: services not up yet are debug lines, not warnings with stacks.
    // Only the offending lines, whole: node's assert cuts a long input short of them.
    const loud = launched
      .output()
      .split('\n')
      .filter((line) => /"level":"(warn|error)"/.test(line));
    assert.deepEqual(loud, []);

    // Auth's signing keys are sealed with a key kept for the next start, readable by its owner.
    const kek = await stat(path.join(dataDir, 'key-encryption-key'));
    assert.equal(kek.mode & 0o777, 0o600);
  });

  /** Kills main as a crash would; resolves with its new pid once it answers ready again. */
  async function crashMain(launched: Launched, crash: number, delay: string) {
    const before = servicePids(launched.child.pid!);
    process.kill(before.main!, 'SIGKILL');
    await launched.waitFor(
      new RegExp(
        `main exited with signal SIGKILL \\(crash ${crash} in a row\\); restarting in ${delay}\\n`,
      ),
      10_000,
    );
    const pid = await until(
      () => {
        const now = servicePids(launched.child.pid!).main;
        return now !== undefined && now !== before.main && now;
      },
      READY_MS,
      'main started again',
    );
    await until(
      () => answersReady(`http://127.0.0.1:${env!.MAIN_PORT}`),
      READY_MS,
      'main ready again on its port',
    );
    const after = servicePids(launched.child.pid!);
    for (const name of SERVICE_NAMES.filter((n) => n !== 'main'))
      assert.equal(after[name], before[name], `${name} was restarted too`);
    return pid;
  }

  test('a crashed service is started again on its port with a growing delay; the others keep running', async () => {
    assert.ok(first, 'the first start ran');
    const launched = first;
    const before = servicePids(launched.child.pid!);
    assert.deepEqual(Object.keys(before).sort(), SERVICE_NAMES);
    const again = await crashMain(launched, 1, '0.5 s');
    const third = await crashMain(launched, 2, '1 s');
    assert.notEqual(again, before.main);
    assert.notEqual(third, again);
    await until(
      async () => (await fetch(`${url}/health`)).status === 200,
      READY_MS,
      'the gateway sees every service ready',
    );
    // The launcher polls readiness on its own schedule: its line may trail the port's answer.
    await launched.waitFor(/main is back \(ready in [\d.]+ s\)/, READY_MS);
  });

  /**
   * `npm start` runs the services bundled (compile.ts) with their npm packages left to Node's
   * loader: OpenTelemetry's hooks must still see pg and pino load, after the telemetry module.
   */
  test('the compiled services trace pg and put trace ids in logs', async () => {
    assert.ok(first, 'the first start ran');
    const launched = first;
    const traceId = `${'a'.repeat(31)}b`;
    const answer = await fetch(`${url}/main/v1/posts?limit=5`, {
      headers: { traceparent: `00-${traceId}-${'c'.repeat(16)}-01` },
    });
    assert.equal(answer.status, 200, await answer.clone().text());
    const inTrace = () => receiver.spans.filter((s) => s.traceId === traceId);
    await until(
      () => inTrace().some((s) => s.service === 'main' && s.name.startsWith('pg.query')),
      30_000,
      `a pg span from main in ${JSON.stringify(inTrace().map((s) => [s.service, s.name]))}`,
    );
    // pino's instrumentation: main's access line for the request carries its trace id.
    await until(
      () =>
        launched
          .output()
          .split('\n')
          .some((l) => l.startsWith('main') && l.includes(`"trace_id":"${traceId}"`)),
      10_000,
      'a log line of main with the trace id',
    );
  });

  test('Ctrl-C (SIGINT to the whole foreground group): services drain on a live PostgreSQL, which stops last', async () => {
    assert.ok(first, 'the first start ran');
    const launched = first;
    // Some work for the services, so their pools hold connections when the signal comes.
    const registered = await fetch(`${url}/accounts/v1/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: 'ctrl-c@example.com',
        username: 'ctrlc',
        password: 'correct horse battery staple',
      }),
    });
    assert.equal(registered.status, 201, await registered.text());
    const postgres = postgresOf(dataDir);
    assert.ok(postgres.length > 0, 'PostgreSQL runs with that data folder');
    const children = descendants(launched.child.pid!);
    assert.ok(children.length >= 3, `expected postgres, auth and gateway, saw ${children.length}`);
    const before = launched.output().length;

    process.kill(-launched.child.pid!, 'SIGINT');
    const code = await Promise.race([
      launched.exited,
      sleep(60_000, undefined, { ref: false }).then(() => 'timeout'),
    ]);
    assert.equal(code, 0, launched.output());
    const stopping = launched.output().slice(before);
    assert.match(stopping, /SIGINT received, stopping/);
    assert.doesNotMatch(stopping, LOST_DATABASE, stopping);
    // Nor an error of any kind on the way out (the launcher's own are `error: …` lines).
    assert.doesNotMatch(stopping, /"level":"(error|fatal)"|^error:/m, stopping);
    // A service's own last passes (analytics' writer, outbox relays) run before its pool closes.
    assert.doesNotMatch(stopping, /after calling end on the pool/, stopping);
    // The gateway stops first: its last performance samples still reach analytics.
    assert.doesNotMatch(stopping, /sending performance samples failed/, stopping);
    // Stopped, not left running on its own.
    assert.deepEqual(
      await waitGone([...children, ...postgres], 10_000),
      [],
      'processes left behind',
    );
    await until(() => postgresOf(dataDir).length === 0, 10_000, 'no postgres with the data folder');
    const builds = path.join(root, 'node_modules', '.cache', 'platform-launcher');
    assert.equal(existsSync(path.join(builds, String(launched.child.pid))), false, 'build left');
  });

  test('a second start on that folder keeps the data', async () => {
    assert.ok(env, 'the first start ran');
    second = await launch(env, [], { detached: true });
    const [, url] = await second.waitFor(/Gateway ready at (http:\/\/\S+)/, READY_MS);
    const login = await fetch(`${url}/accounts/v1/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: user.password }),
    });
    assert.equal(login.status, 200, await login.clone().text());
    assert.ok(((await login.json()) as { access_token?: string }).access_token);
  });

  test('the launcher killed outright (SIGKILL) takes its PostgreSQL and its services down with it', async () => {
    assert.ok(second, 'the second start ran');
    await second.waitFor(/Gateway ready at/, READY_MS);
    const postgres = postgresOf(dataDir);
    assert.ok(postgres.length > 0, 'PostgreSQL runs with that data folder');
    const children = descendants(second.child.pid!);
    assert.deepEqual(Object.keys(servicePids(second.child.pid!)).sort(), SERVICE_NAMES);
    second.child.kill('SIGKILL');
    await second.exited;
    // PostgreSQL's guard sees its stdin end; each service, its IPC channel to the launcher. Their
    // logs have no reader any more: a service that exited with log lines still queued used to
    // stay, writing them for ever (the sonic-boom override in package.json; packages/http's
    // graceful-shutdown test shows it on its own).
    await until(
      () => postgresOf(dataDir).length === 0,
      30_000,
      'PostgreSQL stopping after its owner died',
    );
    const left = await waitGone(children, 30_000);
    // Named by their command lines: which kind of process outlived its owner. Then ended: in
    // process groups of their own, nothing else would.
    const named = left.map((pid) => `${pid} ${readCommandLine(pid)}`);
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    assert.deepEqual(named, [], "processes still running 30 s after the launcher's SIGKILL");
  });

  test('a port in use ends the launcher at once with a message naming it', async () => {
    const env = await ports();
    const blocker: Server = createServer();
    await new Promise<void>((resolve) =>
      blocker.listen(Number(env.GATEWAY_PORT), '127.0.0.1', resolve),
    );
    try {
      const launched = await launch({ ...env, DATA_DIR: dataDir });
      // From the spawn: launch() may first compile the launcher (compiledScript).
      const started = Date.now();
      assert.equal(await launched.exited, 1);
      assert.ok(Date.now() - started < 15_000, 'exited quickly');
      const output = launched.output();
      assert.match(
        output,
        new RegExp(`port ${env.GATEWAY_PORT} \\(GATEWAY_PORT\\) is already in use`),
      );
      assert.equal(output.split('\n').filter((l) => l.startsWith('error:')).length, 1, output);
      assert.doesNotMatch(output, /Gateway ready/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  test('a malformed setting ends the launcher with a one-line reason', async () => {
    const launched = await launch({ GATEWAY_PORT: 'eighty', DATA_DIR: dataDir });
    assert.equal(await launched.exited, 1);
    assert.match(launched.output(), /^error: configuration error: GATEWAY_PORT is invalid/);
    assert.equal(launched.output().trim().split('\n').length, 1, launched.output());
  });
});
