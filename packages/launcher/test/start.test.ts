import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
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
  stop,
  until,
  waitGone,
} from './launch.ts';

const { Client } = pg;

describe('npm start', () => {
  let dataDir: string;
  /** The ports and folder of the first start, which the second start reuses. */
  let env: Record<string, string> | undefined;
  const user = {
    email: 'persist@example.com',
    username: 'persist',
    password: 'correct horse battery staple',
  };

  /** The second start ends the way the test after it is about: the launcher killed outright. */
  let second: Launched | undefined;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'launcher-'));
  });
  after(async () => {
    // Its own process group (as a shell's job), left running only if a test failed midway; not
    // once it has exited or was killed (its group is gone then: ESRCH).
    if (second && second.child.exitCode === null && second.child.signalCode === null)
      process.kill(-second.child.pid!, 'SIGKILL');
    await rm(dataDir, { recursive: true, force: true });
  });

  test('a first start on an empty folder serves through the gateway, runs the services compiled, stops cleanly', async () => {
    env = { ...(await ports()), DATA_DIR: dataDir };
    // The admin's sign-up event waits in auth's outbox until analytics, started later, is up.
    // This start runs the launcher as package.json's `npm start` does (the others, compiled).
    const first = await launch(
      { ...env, ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'a long admin passphrase 42' },
      [],
      { asNpmStart: true },
    );
    const [, url] = await first.waitFor(/Gateway ready at (http:\/\/\S+)/, READY_MS);
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
    const pids = servicePids(first.child.pid!);
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
    const [, pgUser, pgHost, passwordFile] = first
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
    assert.doesNotMatch(first.output(), /"level":"(warn|error)"/);

    // Auth's signing keys are sealed with a key kept for the next start, readable by its owner.
    const kek = await stat(path.join(dataDir, 'key-encryption-key'));
    assert.equal(kek.mode & 0o777, 0o600);

    const children = descendants(first.child.pid!);
    assert.ok(children.length >= 3, `expected postgres, auth and gateway, saw ${children.length}`);
    assert.equal(await stop(first), 0, first.output());
    assert.deepEqual(await waitGone(children, 2000), [], 'processes left behind');
    const builds = path.join(root, 'node_modules', '.cache', 'platform-launcher');
    assert.equal(existsSync(path.join(builds, String(first.child.pid))), false, 'build left');
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
